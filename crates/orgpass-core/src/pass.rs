//! The single sign-on add-on ("Pass") lifecycle, as a pure state machine
//! (docs/product.md §7).
//!
//! ```text
//!            apply                 approve (trial = now + 30 d)
//!   None ─────────────► Applied ─────────────────────────────► Trial ──┐
//!     ▲                    │                                    │  │    │ set_trial_end
//!     │ (never)            │ reject                              │  │ ◄──┘ (operator)
//!     │                    ▼                                    │  │
//!     │                 Rejected ── apply ──► Applied           │  │ trial_ends_at ≤ now
//!     │                                                         │  ▼
//!     │                      payment_completed                  │ Expired ◄──────────┐
//!     │            ┌──────────────────────────────────────────── ┘   │                │
//!     │            ▼                                                 │ payment_       │ period
//!     │         Active { period_end, cancel_at: None } ◄─────────────┘ completed      │ ended
//!     │            │  ▲   invoice_paid (period_end moves on)                          │ unpaid
//!     │     cancel │  │ resume (cancel_at cleared) / payment_completed                 │
//!     │            ▼  │                                                               │
//!     │         Active { period_end, cancel_at: Some(period_end) } ───────────────────┘
//!     │            │
//!     │            │ cancel_at ≤ now, or subscription_deleted
//!     │            ▼
//!     │         Canceled ── payment_completed ──► Active
//! ```
//!
//! Time-driven moves (a trial running out, a cancellation taking effect, a paid period
//! ending unpaid) are applied by [`Pass::at`], which every reader uses: the Cron writes
//! them down hourly, but a request evaluates them from the stored end times, so an
//! expiry takes effect on time even when the Cron is late. [`Pass::sso_allowed`] is the
//! one entitlement check.

use super::{audit::Action, time::Timestamp};

/// Length of the free trial an approval starts.
pub const TRIAL_DAYS: i64 = 30;
/// A paid period that ended without a renewal is still honoured this long (payment
/// retries), then the add-on expires.
pub const GRACE_DAYS: i64 = 3;

/// Where the add-on stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Never applied for.
    None,
    /// Applied; waiting for the operator.
    Applied,
    /// The operator refused the application.
    Rejected,
    /// Free trial until `ends_at`.
    Trial {
        /// End of the trial.
        ends_at: Timestamp,
    },
    /// Paid until `period_end`; ends then if `cancel_at` is set.
    Active {
        /// End of the paid period.
        period_end: Timestamp,
        /// When a requested cancellation takes effect (the period end).
        cancel_at: Option<Timestamp>,
    },
    /// The trial ended without upgrade, or a subscription lapsed.
    Expired,
    /// A cancellation took effect.
    Canceled,
}

/// A transition the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Already applied, in trial or subscribed.
    AlreadyApplied,
    /// Only an application waiting for review can be approved or rejected.
    NotApplied,
    /// Only a trial's end can be moved.
    NotInTrial,
    /// Upgrading needs an approved add-on (trial, expired, canceled, or active with a
    /// pending cancellation to undo by paying).
    NotEligible,
    /// Only an active subscription can be canceled.
    NotActive,
    /// The cancellation is already scheduled.
    AlreadyCanceled,
}

impl Pass {
    /// The audit log's action for the move from `self` to `to` (docs/api.md "Audit
    /// log"); `None` when the status stays as it was in a way nobody asked about.
    #[must_use]
    pub const fn action_to(self, to: Self) -> Option<Action> {
        Some(match (self, to) {
            (_, Self::Applied) => Action::PassApplied,
            (Self::Applied, Self::Trial { .. }) => Action::PassApproved,
            (Self::Trial { .. }, Self::Trial { .. }) => Action::PassTrialEndChanged,
            (_, Self::Rejected) => Action::PassRejected,
            (
                Self::Active {
                    cancel_at: None, ..
                },
                Self::Active {
                    cancel_at: Some(_), ..
                },
            ) => Action::PassCanceled,
            (
                Self::Active {
                    cancel_at: Some(_), ..
                },
                Self::Active {
                    cancel_at: None, ..
                },
            ) => Action::PassUpgraded,
            (Self::Active { .. }, Self::Active { .. }) => Action::PassRenewed,
            (_, Self::Active { .. }) => Action::PassUpgraded,
            (_, Self::Expired | Self::Canceled) => Action::PassExpired,
            _ => return None,
        })
    }

    /// Every stable status name.
    pub const STATUSES: [&'static str; 7] = [
        "none", "applied", "rejected", "trial", "active", "expired", "canceled",
    ];

    /// The state at `now`: time-driven moves applied.
    #[must_use]
    pub fn at(self, now: Timestamp) -> Self {
        match self {
            Self::Trial { ends_at } if ends_at <= now => Self::Expired,
            Self::Active {
                cancel_at: Some(at),
                ..
            } if at <= now => Self::Canceled,
            Self::Active { period_end, .. } if period_end.plus_days(GRACE_DAYS) <= now => {
                Self::Expired
            }
            other => other,
        }
    }

    /// Whether single sign-on (SAML settings, domains, managed accounts and their
    /// logins) is available at `now`.
    #[must_use]
    pub fn sso_allowed(self, now: Timestamp) -> bool {
        matches!(self.at(now), Self::Trial { .. } | Self::Active { .. })
    }

    /// An administrator applies for the trial.
    ///
    /// # Errors
    /// [`Refused::AlreadyApplied`] unless never applied or rejected.
    pub fn apply(self, now: Timestamp) -> Result<Self, Refused> {
        match self.at(now) {
            Self::None | Self::Rejected => Ok(Self::Applied),
            _ => Err(Refused::AlreadyApplied),
        }
    }

    /// The operator approves: a trial of [`TRIAL_DAYS`] starts now.
    ///
    /// # Errors
    /// [`Refused::NotApplied`].
    pub fn approve(self, now: Timestamp) -> Result<Self, Refused> {
        match self.at(now) {
            Self::Applied => Ok(Self::Trial {
                ends_at: now.plus_days(TRIAL_DAYS),
            }),
            _ => Err(Refused::NotApplied),
        }
    }

    /// The operator rejects.
    ///
    /// # Errors
    /// [`Refused::NotApplied`].
    pub fn reject(self, now: Timestamp) -> Result<Self, Refused> {
        match self.at(now) {
            Self::Applied => Ok(Self::Rejected),
            _ => Err(Refused::NotApplied),
        }
    }

    /// The operator extends or shortens a trial (an end in the past expires it).
    ///
    /// # Errors
    /// [`Refused::NotInTrial`].
    pub fn set_trial_end(self, now: Timestamp, ends_at: Timestamp) -> Result<Self, Refused> {
        match self.at(now) {
            Self::Trial { .. } => Ok(Self::Trial { ends_at }.at(now)),
            _ => Err(Refused::NotInTrial),
        }
    }

    /// Whether an upgrade (checkout) may start.
    ///
    /// # Errors
    /// [`Refused::NotEligible`].
    pub fn can_upgrade(self, now: Timestamp) -> Result<(), Refused> {
        match self.at(now) {
            Self::Trial { .. }
            | Self::Expired
            | Self::Canceled
            | Self::Active {
                cancel_at: Some(_), ..
            } => Ok(()),
            _ => Err(Refused::NotEligible),
        }
    }

    /// The payment provider reports a completed checkout: paid until `period_end`.
    ///
    /// # Errors
    /// [`Refused::NotEligible`] for an add-on that was never approved.
    pub fn payment_completed(self, now: Timestamp, period_end: Timestamp) -> Result<Self, Refused> {
        match self.at(now) {
            Self::None | Self::Applied | Self::Rejected => Err(Refused::NotEligible),
            _ => Ok(Self::Active {
                period_end,
                cancel_at: None,
            }),
        }
    }

    /// A renewal was paid: the period moves on (a scheduled cancellation stays).
    ///
    /// # Errors
    /// [`Refused::NotActive`].
    pub fn invoice_paid(self, now: Timestamp, period_end: Timestamp) -> Result<Self, Refused> {
        match self.at(now) {
            Self::Active {
                period_end: current,
                cancel_at,
            } => Ok(Self::Active {
                period_end: current.max(period_end),
                cancel_at,
            }),
            _ => Err(Refused::NotActive),
        }
    }

    /// An administrator cancels: the add-on stays active until the period ends.
    ///
    /// # Errors
    /// [`Refused::NotActive`], [`Refused::AlreadyCanceled`].
    pub fn cancel(self, now: Timestamp) -> Result<Self, Refused> {
        match self.at(now) {
            Self::Active {
                period_end,
                cancel_at: None,
            } => Ok(Self::Active {
                period_end,
                cancel_at: Some(period_end),
            }),
            Self::Active { .. } => Err(Refused::AlreadyCanceled),
            _ => Err(Refused::NotActive),
        }
    }

    /// The provider ended the subscription (at the period end, or after failed
    /// payments).
    ///
    /// # Errors
    /// [`Refused::NotActive`].
    pub fn subscription_deleted(self, now: Timestamp) -> Result<Self, Refused> {
        match self.at(now) {
            Self::Active { .. } => Ok(Self::Canceled),
            _ => Err(Refused::NotActive),
        }
    }

    /// The stable name (`none`, `applied`, …) used in the API and the database.
    #[must_use]
    pub const fn status(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Applied => "applied",
            Self::Rejected => "rejected",
            Self::Trial { .. } => "trial",
            Self::Active { .. } => "active",
            Self::Expired => "expired",
            Self::Canceled => "canceled",
        }
    }

    /// The stored columns: status, trial end, period end, cancel time.
    #[must_use]
    pub const fn columns(
        self,
    ) -> (
        &'static str,
        Option<Timestamp>,
        Option<Timestamp>,
        Option<Timestamp>,
    ) {
        match self {
            Self::Trial { ends_at } => ("trial", Some(ends_at), None, None),
            Self::Active {
                period_end,
                cancel_at,
            } => ("active", None, Some(period_end), cancel_at),
            other => (other.status(), None, None, None),
        }
    }

    /// Reads the stored columns back; `None` for an unknown status or a trial or
    /// subscription without its end time.
    #[must_use]
    pub fn from_columns(
        status: &str,
        trial_ends_at: Option<Timestamp>,
        period_end: Option<Timestamp>,
        cancel_at: Option<Timestamp>,
    ) -> Option<Self> {
        Some(match status {
            "none" => Self::None,
            "applied" => Self::Applied,
            "rejected" => Self::Rejected,
            "trial" => Self::Trial {
                ends_at: trial_ends_at?,
            },
            "active" => Self::Active {
                period_end: period_end?,
                cancel_at,
            },
            "expired" => Self::Expired,
            "canceled" => Self::Canceled,
            _ => return None,
        })
    }
}

/// The trial reminders: 7 days and 1 day before the trial ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// Sent when at most 7 days (and more than 1) remain.
    SevenDays,
    /// Sent when at most 1 day remains.
    OneDay,
}

impl Reminder {
    /// Both, in the order the Cron checks them.
    pub const ALL: [Self; 2] = [Self::SevenDays, Self::OneDay];

    /// The stable name stored with a sent reminder.
    #[must_use]
    pub const fn kind(self) -> &'static str {
        match self {
            Self::SevenDays => "trial_7d",
            Self::OneDay => "trial_1d",
        }
    }

    /// The remaining time (exclusive lower, inclusive upper bound, in days) in which
    /// this reminder is due.
    #[must_use]
    pub const fn window_days(self) -> (i64, i64) {
        match self {
            Self::SevenDays => (1, 7),
            Self::OneDay => (0, 1),
        }
    }

    /// The reminder due for a trial ending at `ends_at`, seen at `now`, if any.
    #[must_use]
    pub fn due(ends_at: Timestamp, now: Timestamp) -> Option<Self> {
        Self::ALL.into_iter().find(|r| {
            let (after, up_to) = r.window_days();
            ends_at > now.plus_days(after) && ends_at <= now.plus_days(up_to)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = crate::time::DAY_MS;
    fn t(days: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + days * DAY)
    }

    /// The happy path an organization walks, and every state's entitlement.
    #[test]
    fn walk_through_the_lifecycle() {
        let s = Pass::None;
        assert!(!s.sso_allowed(t(0)));
        let s = s.apply(t(0)).unwrap();
        assert_eq!(s, Pass::Applied);
        assert!(!s.sso_allowed(t(0)));
        let s = s.approve(t(1)).unwrap();
        assert_eq!(s, Pass::Trial { ends_at: t(31) });
        assert!(s.sso_allowed(t(30)));
        // The trial runs out by itself, Cron or not.
        assert_eq!(s.at(t(31)), Pass::Expired);
        assert!(!s.sso_allowed(t(31)));
        // Upgrading after the trial restores SSO.
        s.can_upgrade(t(32)).unwrap();
        let s = s.payment_completed(t(32), t(62)).unwrap();
        assert_eq!(
            s,
            Pass::Active {
                period_end: t(62),
                cancel_at: None
            }
        );
        let s = s.invoice_paid(t(62), t(92)).unwrap();
        assert_eq!(
            s,
            Pass::Active {
                period_end: t(92),
                cancel_at: None
            }
        );
        let s = s.cancel(t(70)).unwrap();
        assert_eq!(
            s,
            Pass::Active {
                period_end: t(92),
                cancel_at: Some(t(92))
            }
        );
        assert!(
            s.sso_allowed(t(91)),
            "cancel keeps SSO until the period ends"
        );
        assert_eq!(s.at(t(92)), Pass::Canceled);
        // Re-subscribing restores it.
        let s = s.at(t(100)).payment_completed(t(100), t(130)).unwrap();
        assert!(s.sso_allowed(t(101)));
    }

    #[test]
    fn every_refused_transition() {
        let trial = Pass::Trial { ends_at: t(30) };
        let active = Pass::Active {
            period_end: t(30),
            cancel_at: None,
        };
        let canceling = Pass::Active {
            period_end: t(30),
            cancel_at: Some(t(30)),
        };
        let now = t(0);
        for s in [Pass::Applied, trial, active, canceling] {
            assert_eq!(s.apply(now), Err(Refused::AlreadyApplied), "{s:?}");
        }
        assert_eq!(
            Pass::Rejected.apply(now),
            Ok(Pass::Applied),
            "a rejected organization may apply again"
        );
        for s in [
            Pass::None,
            Pass::Rejected,
            trial,
            active,
            Pass::Expired,
            Pass::Canceled,
        ] {
            assert_eq!(s.approve(now), Err(Refused::NotApplied), "{s:?}");
            assert_eq!(s.reject(now), Err(Refused::NotApplied), "{s:?}");
        }
        assert_eq!(Pass::Applied.reject(now), Ok(Pass::Rejected));
        for s in [
            Pass::None,
            Pass::Applied,
            Pass::Rejected,
            active,
            Pass::Expired,
        ] {
            assert_eq!(
                s.set_trial_end(now, t(40)),
                Err(Refused::NotInTrial),
                "{s:?}"
            );
        }
        for s in [Pass::None, Pass::Applied, Pass::Rejected, active] {
            assert_eq!(s.can_upgrade(now), Err(Refused::NotEligible), "{s:?}");
        }
        for s in [Pass::None, Pass::Applied, Pass::Rejected] {
            assert_eq!(
                s.payment_completed(now, t(30)),
                Err(Refused::NotEligible),
                "{s:?}"
            );
        }
        for s in [Pass::None, trial, Pass::Expired, Pass::Canceled] {
            assert_eq!(s.cancel(now), Err(Refused::NotActive), "{s:?}");
            assert_eq!(s.invoice_paid(now, t(60)), Err(Refused::NotActive), "{s:?}");
            assert_eq!(
                s.subscription_deleted(now),
                Err(Refused::NotActive),
                "{s:?}"
            );
        }
        assert_eq!(canceling.cancel(now), Err(Refused::AlreadyCanceled));
    }

    #[test]
    fn operator_moves_trial_ends() {
        let trial = Pass::Trial { ends_at: t(30) };
        assert_eq!(
            trial.set_trial_end(t(0), t(45)),
            Ok(Pass::Trial { ends_at: t(45) })
        );
        assert_eq!(
            trial.set_trial_end(t(10), t(5)),
            Ok(Pass::Expired),
            "an end in the past expires it"
        );
    }

    #[test]
    fn time_driven_moves() {
        let active = Pass::Active {
            period_end: t(30),
            cancel_at: None,
        };
        assert_eq!(active.at(t(31)), active, "within the grace period");
        assert_eq!(
            active.at(t(30 + GRACE_DAYS)),
            Pass::Expired,
            "unpaid past the grace period"
        );
        assert_eq!(active.subscription_deleted(t(10)), Ok(Pass::Canceled));
        let paying_again = Pass::Active {
            period_end: t(30),
            cancel_at: Some(t(30)),
        };
        assert_eq!(
            paying_again.payment_completed(t(5), t(60)),
            Ok(Pass::Active {
                period_end: t(60),
                cancel_at: None
            })
        );
        assert_eq!(
            active.invoice_paid(t(1), t(20)),
            Ok(active),
            "a late, older invoice never shortens the period"
        );
    }

    #[test]
    fn columns_round_trip() {
        for s in [
            Pass::None,
            Pass::Applied,
            Pass::Rejected,
            Pass::Trial { ends_at: t(3) },
            Pass::Active {
                period_end: t(3),
                cancel_at: None,
            },
            Pass::Active {
                period_end: t(3),
                cancel_at: Some(t(3)),
            },
            Pass::Expired,
            Pass::Canceled,
        ] {
            let (status, trial, period, cancel) = s.columns();
            assert_eq!(Pass::from_columns(status, trial, period, cancel), Some(s));
        }
        assert_eq!(Pass::from_columns("trial", None, None, None), None);
        assert!(Pass::STATUSES
            .iter()
            .all(|s| Pass::from_columns(s, Some(t(1)), Some(t(1)), None).is_some()));
        assert_eq!(Pass::from_columns("paused", None, None, None), None);
    }

    #[test]
    fn reminders_are_due_in_their_windows() {
        let now = t(0);
        assert_eq!(Reminder::due(t(8), now), None);
        assert_eq!(Reminder::due(t(7), now), Some(Reminder::SevenDays));
        assert_eq!(
            Reminder::due(now.plus_millis(DAY + 1), now),
            Some(Reminder::SevenDays)
        );
        assert_eq!(Reminder::due(t(1), now), Some(Reminder::OneDay));
        assert_eq!(
            Reminder::due(now.plus_millis(1), now),
            Some(Reminder::OneDay)
        );
        assert_eq!(Reminder::due(now, now), None, "the trial is over");
    }
}
