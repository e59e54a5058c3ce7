//! Invitations (docs/product.md §4): who may be invited at once, and the lifecycle of one
//! invitation.
//!
//! ```text
//!                 accept (before expires_at)
//!   ┌─────────┐ ─────────────────────────────▶ Accepted
//!   │ Pending │ ── revoke ───────────────────▶ Revoked
//!   └─────────┘ ── time passes expires_at ───▶ Expired ── resend ──▶ Pending (new token)
//!        │  ▲
//!        └──┘ resend: a new token and 7 more days; the old link stops working
//! ```
//!
//! Accepted and Revoked are final. A pending invitation whose time is over reads as
//! Expired at once ([`InvitationState::at`]), before the Cron writes it down. The
//! single-use guarantee itself lives in the store: acceptance is one conditional update
//! that only one caller can win.

use super::{email::Email, time::Timestamp, validation::FieldError};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// Emails in one invitation request at most.
pub const MAX_INVITEES: usize = 100;
/// Characters of the optional personal message at most.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    /// Waiting for the invitee; the link works until `expires_at`.
    Pending {
        /// End of the link's life.
        expires_at: Timestamp,
    },
    /// The invitee joined.
    Accepted {
        /// When.
        at: Timestamp,
    },
    /// An administrator took it back.
    Revoked {
        /// When.
        at: Timestamp,
    },
    /// Nobody accepted it in time.
    Expired,
}

/// Why an invitation cannot be used or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its time is over.
    Expired,
    /// It was accepted already.
    Used,
    /// It was revoked.
    Revoked,
}

impl InvitationState {
    /// A new invitation made at `now`.
    #[must_use]
    pub const fn new(now: Timestamp) -> Self {
        Self::Pending {
            expires_at: now.plus_days(INVITATION_DAYS),
        }
    }

    /// The state as of `now`: a pending invitation past its end is expired.
    #[must_use]
    pub fn at(self, now: Timestamp) -> Self {
        match self {
            Self::Pending { expires_at } if expires_at <= now => Self::Expired,
            other => other,
        }
    }

    /// The stable status name (`pending`, `accepted`, `revoked`, `expired`).
    #[must_use]
    pub const fn status(self) -> &'static str {
        match self {
            Self::Pending { .. } => "pending",
            Self::Accepted { .. } => "accepted",
            Self::Revoked { .. } => "revoked",
            Self::Expired => "expired",
        }
    }

    /// Accepting at `now`.
    ///
    /// # Errors
    /// The [`Refusal`] when it is not pending (or its time is over).
    pub fn accept(self, now: Timestamp) -> Result<Self, Refusal> {
        match self.at(now) {
            Self::Pending { .. } => Ok(Self::Accepted { at: now }),
            Self::Accepted { .. } => Err(Refusal::Used),
            Self::Revoked { .. } => Err(Refusal::Revoked),
            Self::Expired => Err(Refusal::Expired),
        }
    }

    /// Revoking at `now`: only a pending invitation (an expired one is left as it is).
    ///
    /// # Errors
    /// The [`Refusal`] otherwise.
    pub fn revoke(self, now: Timestamp) -> Result<Self, Refusal> {
        match self.at(now) {
            Self::Pending { .. } => Ok(Self::Revoked { at: now }),
            other => Err(other.refusal()),
        }
    }

    /// Resending at `now`: a pending or expired invitation gets 7 fresh days (and, in
    /// the store, a new token).
    ///
    /// # Errors
    /// [`Refusal::Used`] or [`Refusal::Revoked`].
    pub fn resend(self, now: Timestamp) -> Result<Self, Refusal> {
        match self {
            Self::Pending { .. } | Self::Expired => Ok(Self::new(now)),
            other => Err(other.refusal()),
        }
    }

    /// What the Cron writes down: a pending invitation past its end becomes expired.
    #[must_use]
    pub fn expire(self, now: Timestamp) -> Self {
        self.at(now)
    }

    fn refusal(self) -> Refusal {
        match self {
            Self::Accepted { .. } => Refusal::Used,
            Self::Revoked { .. } => Refusal::Revoked,
            Self::Pending { .. } | Self::Expired => Refusal::Expired,
        }
    }

    /// Reads the stored columns.
    #[must_use]
    pub fn from_columns(
        status: &str,
        expires_at: Timestamp,
        decided_at: Option<Timestamp>,
    ) -> Option<Self> {
        Some(match (status, decided_at) {
            ("pending", _) => Self::Pending { expires_at },
            ("accepted", Some(at)) => Self::Accepted { at },
            ("revoked", Some(at)) => Self::Revoked { at },
            ("expired", _) => Self::Expired,
            _ => return None,
        })
    }
}

/// The emails of one invitation request, read as a person typed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitees {
    /// Distinct valid addresses, in the order typed.
    pub emails: Vec<Email>,
    /// What was typed but is not an email address, verbatim (trimmed).
    pub malformed: Vec<String>,
}

/// Splits `typed` (each entry may hold several addresses separated by commas,
/// semicolons or whitespace), normalises, and keeps each address once.
///
/// # Errors
/// `no_emails` when nothing was typed, `too_many_emails` above [`MAX_INVITEES`]
/// distinct addresses.
pub fn invitees<'a>(typed: impl IntoIterator<Item = &'a str>) -> Result<Invitees, FieldError> {
    let mut emails: Vec<Email> = Vec::new();
    let mut malformed = Vec::new();
    for part in typed
        .into_iter()
        .flat_map(|t| t.split(|c: char| c == ',' || c == ';' || c.is_whitespace()))
        .filter(|p| !p.is_empty())
    {
        match Email::parse(part) {
            Ok(email) if !emails.contains(&email) => emails.push(email),
            Ok(_) => {}
            Err(_) => malformed.push(part.to_owned()),
        }
    }
    if emails.is_empty() && malformed.is_empty() {
        return Err(FieldError::new(
            "emails",
            "no_emails",
            "Type at least one email address.",
        ));
    }
    if emails.len() > MAX_INVITEES {
        return Err(FieldError::new(
            "emails",
            "too_many_emails",
            "Invite at most 100 people at once.",
        ));
    }
    Ok(Invitees { emails, malformed })
}

/// The optional personal message: trimmed, empty means none, at most
/// [`MAX_MESSAGE_CHARS`] characters.
///
/// # Errors
/// `invalid_message` when too long, or holding bidirectional or control characters
/// (line breaks and tabs aside).
pub fn message(input: Option<&str>) -> Result<Option<String>, FieldError> {
    let text = input.map(str::trim).unwrap_or_default();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(FieldError::new(
            "message",
            "invalid_message",
            "Keep the message under 1000 characters.",
        ));
    }
    // The message is quoted in the invitation email: nothing that reorders the text
    // around it (the names' rule), and no control characters but line breaks and tabs.
    if text.chars().any(|c| {
        super::validation::is_bidi_control(c)
            || (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    }) {
        return Err(FieldError::new(
            "message",
            "invalid_message",
            "Remove the invisible formatting characters from the message.",
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// A group name: trimmed, 1 to 100 characters, no control characters; unique per
/// organization without regard to case ([`group_name_key`]).
///
/// # Errors
/// `invalid_name` otherwise.
pub fn group_name(input: &str) -> Result<String, FieldError> {
    super::validation::bounded_name(input)
}

/// The key under which group names are unique (lower-cased).
#[must_use]
pub fn group_name_key(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_millis(1_800_000_000_000);

    #[test]
    fn walks_every_transition() {
        let pending = InvitationState::new(T0);
        let end = T0.plus_days(INVITATION_DAYS);
        assert_eq!(pending, InvitationState::Pending { expires_at: end });
        assert_eq!(pending.status(), "pending");

        // Pending → Accepted (just before the end), then final.
        let just_before = end.plus_millis(-1);
        let accepted = pending.accept(just_before).unwrap();
        assert_eq!(accepted, InvitationState::Accepted { at: just_before });
        assert_eq!(accepted.accept(just_before), Err(Refusal::Used));
        assert_eq!(accepted.revoke(just_before), Err(Refusal::Used));
        assert_eq!(accepted.resend(just_before), Err(Refusal::Used));
        assert_eq!(accepted.expire(end.plus_days(9)), accepted);

        // Pending → Revoked, then final.
        let revoked = pending.revoke(T0).unwrap();
        assert_eq!(revoked.status(), "revoked");
        assert_eq!(revoked.accept(T0), Err(Refusal::Revoked));
        assert_eq!(revoked.resend(T0), Err(Refusal::Revoked));

        // Pending → Expired at the end (reads so before the Cron writes it).
        assert_eq!(pending.at(end), InvitationState::Expired);
        assert_eq!(pending.accept(end), Err(Refusal::Expired));
        assert_eq!(pending.revoke(end), Err(Refusal::Expired));
        assert_eq!(pending.expire(just_before), pending);
        let expired = pending.expire(end);
        assert_eq!(expired.status(), "expired");

        // Resend: pending or expired → pending with 7 fresh days.
        let later = end.plus_days(2);
        assert_eq!(expired.resend(later), Ok(InvitationState::new(later)));
        assert_eq!(
            pending.resend(T0.plus_days(1)),
            Ok(InvitationState::new(T0.plus_days(1)))
        );
    }

    #[test]
    fn columns_round_trip() {
        for state in [
            InvitationState::new(T0),
            InvitationState::Accepted { at: T0 },
            InvitationState::Revoked { at: T0 },
            InvitationState::Expired,
        ] {
            let (expires, decided) = match state {
                InvitationState::Pending { expires_at } => (expires_at, None),
                InvitationState::Accepted { at } | InvitationState::Revoked { at } => {
                    (T0, Some(at))
                }
                InvitationState::Expired => (T0, None),
            };
            assert_eq!(
                InvitationState::from_columns(state.status(), expires, decided),
                Some(state)
            );
        }
        assert_eq!(InvitationState::from_columns("accepted", T0, None), None);
        assert_eq!(InvitationState::from_columns("lost", T0, None), None);
    }

    #[test]
    fn invitees_are_split_normalised_and_counted_once() {
        let got = invitees([
            "Ann@Example.com, bob@example.com",
            "ann@example.com;carl@example.com",
            "not-an-email",
        ])
        .unwrap();
        let emails: Vec<&str> = got.emails.iter().map(Email::as_str).collect();
        assert_eq!(
            emails,
            ["ann@example.com", "bob@example.com", "carl@example.com"]
        );
        assert_eq!(got.malformed, ["not-an-email"]);
        assert_eq!(invitees(["  ", ""]).unwrap_err().code, "no_emails");
        let many: Vec<String> = (0..101).map(|i| format!("p{i}@example.com")).collect();
        assert_eq!(
            invitees(many.iter().map(String::as_str)).unwrap_err().code,
            "too_many_emails"
        );
        let hundred: Vec<String> = (0..100)
            .map(|i| format!("p{i}@example.com"))
            .chain(["p0@example.com".into()])
            .collect();
        assert_eq!(
            invitees(hundred.iter().map(String::as_str))
                .unwrap()
                .emails
                .len(),
            100
        );
    }

    #[test]
    fn messages_and_group_names() {
        assert_eq!(message(None), Ok(None));
        assert_eq!(message(Some("  ")), Ok(None));
        assert_eq!(message(Some(" Welcome! ")), Ok(Some("Welcome!".to_owned())));
        assert_eq!(
            message(Some(&"x".repeat(1001))).unwrap_err().code,
            "invalid_message"
        );
        assert_eq!(
            message(Some("Hi,\n\twelcome")),
            Ok(Some("Hi,\n\twelcome".to_owned()))
        );
        for bad in ["pay \u{202E}gnp.exe", "a\u{2066}b", "bell\u{7}"] {
            assert_eq!(
                message(Some(bad)).unwrap_err().code,
                "invalid_message",
                "{bad:?}"
            );
        }
        assert_eq!(group_name(" Design "), Ok("Design".to_owned()));
        assert!(group_name("").is_err());
        assert_eq!(group_name_key("Design"), group_name_key("DESIGN"));
    }
}
