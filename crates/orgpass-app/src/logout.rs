//! Logging out of the products, both ways (docs/api.md "Products sign in"):
//!
//! - **RP-initiated logout** (RP-Initiated Logout 1.0): a product sends the browser to
//!   the end-session endpoint with the ID token it holds as `id_token_hint`; orgpass
//!   ends that session and returns to the product's registered
//!   `post_logout_redirect_uri` (never to another). Without a valid hint the person is
//!   asked to confirm, so that a link elsewhere cannot log anybody out.
//! - **Back-Channel Logout** (Back-Channel Logout 1.0): whenever an orgpass session
//!   ends, a D1 trigger queues a logout token for each client holding tokens of it
//!   (migrations/0013). [`App::deliver_logouts`] posts them: right after the request
//!   that ended the session, then from the Cron, with growing pauses, until the client
//!   answers 2xx or [`MAX_LOGOUT_ATTEMPTS`] are spent. Delivery is at least once; each
//!   queued logout has its own `jti`, the same on every attempt.

use orgpass_core::{
    oidc::{authorize::redirect_with, claims::logout_token, hint::Hint},
    time::MINUTE_MS,
    TokenHash,
};

use super::{
    ports::{LogoutAttempt, LogoutChannel, LogoutStore, PortError, Random},
    App,
};

/// Attempts per logout before it is given up (the last about a day after the first).
pub const MAX_LOGOUT_ATTEMPTS: i64 = 8;

/// How long a deliverer holds the logouts it leased.
const LEASE_MS: i64 = 2 * MINUTE_MS;

/// The pause after the `attempts`-th failed attempt: 1, 5, 15 minutes, then 1, 3, 6
/// and 12 hours (the Cron runs hourly, so later retries happen on its hour).
#[must_use]
pub const fn retry_delay_ms(attempts: i64) -> i64 {
    let minutes = match attempts {
        ..=1 => 1,
        2 => 5,
        3 => 15,
        4 => 60,
        5 => 180,
        6 => 360,
        _ => 720,
    };
    minutes * MINUTE_MS
}

/// What one delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogoutReport {
    /// Logout tokens the clients accepted.
    pub delivered: u32,
    /// Attempts that failed (to be retried, or given up after the last).
    pub failed: u32,
}

/// Where the end-session endpoint sends the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndSession {
    /// To the product's registered post-logout URI (with `state`).
    Redirect {
        /// The URL.
        to: String,
        /// Clear the browser's session cookie (it was the ended session).
        clear_cookie: bool,
    },
    /// The "you are logged out" page.
    LoggedOut {
        /// Clear the browser's session cookie.
        clear_cookie: bool,
    },
    /// Ask the signed-in person to confirm (no valid hint).
    Confirm,
}

/// An end-session request, its hint verified by the edge.
#[derive(Debug, Clone, Copy)]
pub struct EndSessionRequest<'a> {
    /// The verified `id_token_hint`, if one was sent and is ours.
    pub hint: Option<&'a Hint>,
    /// `client_id`, if sent.
    pub client_id: Option<&'a str>,
    /// `post_logout_redirect_uri`, if sent.
    pub post_logout_redirect_uri: Option<&'a str>,
    /// `state`, echoed to the redirect.
    pub state: Option<&'a str>,
    /// The browser's cookie session.
    pub cookie: Option<&'a TokenHash>,
}

impl<S: LogoutStore, H, R: Random> App<S, H, R> {
    /// The end-session endpoint with a verified (or no) hint. One round trip.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    pub async fn end_session(
        &self,
        request: EndSessionRequest<'_>,
    ) -> Result<EndSession, PortError> {
        let Some(hint) = request.hint else {
            return Ok(if request.cookie.is_some() {
                EndSession::Confirm
            } else {
                EndSession::LoggedOut {
                    clear_cookie: false,
                }
            });
        };
        let ended = self
            .store
            .end_hinted_session(
                &hint.client_id,
                &hint.account_id,
                &hint.session_id,
                request.cookie,
                self.now,
            )
            .await?;
        let clear_cookie = ended.was_cookie_session;
        let registered = ended.client.as_ref().and_then(|client| {
            let uri = request.post_logout_redirect_uri?;
            let same_client = request.client_id.is_none_or(|id| id == client.client_id);
            (same_client && client.post_logout_redirect_uris.iter().any(|r| r == uri))
                .then_some(uri)
        });
        Ok(match registered {
            Some(uri) => {
                let state: Vec<(&str, &str)> =
                    request.state.map(|s| ("state", s)).into_iter().collect();
                EndSession::Redirect {
                    to: if state.is_empty() {
                        uri.to_owned()
                    } else {
                        redirect_with(uri, &state)
                    },
                    clear_cookie,
                }
            }
            None => EndSession::LoggedOut { clear_cookie },
        })
    }

    /// Posts up to `limit` due logout tokens through `channel`. Two round trips (lease,
    /// record) however many are posted.
    ///
    /// # Errors
    /// [`PortError`] when the store fails.
    pub async fn deliver_logouts(
        &self,
        channel: &impl LogoutChannel,
        limit: u32,
    ) -> Result<LogoutReport, PortError> {
        let marker = self.fresh_id("lease")?;
        let due = self
            .store
            .lease_logouts(
                &marker,
                self.now,
                self.now.plus_millis(LEASE_MS),
                MAX_LOGOUT_ATTEMPTS,
                limit,
            )
            .await?;
        if due.is_empty() {
            return Ok(LogoutReport::default());
        }
        let mut report = LogoutReport::default();
        let mut attempts = Vec::with_capacity(due.len());
        for logout in &due {
            let claims = logout_token(
                &self.config.base_url,
                &logout.client_id,
                &logout.account_id,
                &logout.session_id,
                &logout.jti,
                self.now,
            );
            let outcome = match channel.sign(&claims).await {
                Ok(token) => channel.post(&logout.uri, &token).await,
                Err(e) => Err(format!("signing: {e}")),
            };
            match outcome {
                Ok(()) => report.delivered += 1,
                Err(_) => report.failed += 1,
            }
            attempts.push(LogoutAttempt {
                jti: logout.jti.clone(),
                retry_at: (outcome.is_err() && logout.attempts < MAX_LOGOUT_ATTEMPTS)
                    .then(|| self.now.plus_millis(retry_delay_ms(logout.attempts))),
                error: outcome.err(),
            });
        }
        self.store.finish_logouts(&attempts, self.now).await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_twelve_hours() {
        assert_eq!(retry_delay_ms(1), MINUTE_MS);
        assert!((1..MAX_LOGOUT_ATTEMPTS).all(|a| retry_delay_ms(a) <= retry_delay_ms(a + 1)));
        assert_eq!(retry_delay_ms(20), 720 * MINUTE_MS);
        let total: i64 = (1..MAX_LOGOUT_ATTEMPTS).map(retry_delay_ms).sum();
        assert!(
            total > 20 * 60 * MINUTE_MS,
            "the last attempt comes about a day later"
        );
    }
}
