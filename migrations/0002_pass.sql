-- orgpass schema, part 2: the single sign-on add-on ("Pass"): its application, billing
-- references, trial reminders sent, webhook events seen, and the operator audit trail.

ALTER TABLE organizations ADD COLUMN pass_admin_name TEXT;
ALTER TABLE organizations ADD COLUMN pass_admin_email TEXT;
ALTER TABLE organizations ADD COLUMN pass_company_name TEXT;
ALTER TABLE organizations ADD COLUMN pass_applied_at INTEGER;
ALTER TABLE organizations ADD COLUMN billing_customer_id TEXT;
ALTER TABLE organizations ADD COLUMN billing_subscription_id TEXT;

-- The Cron's set-based updates find due organizations through these.
CREATE INDEX organizations_pass_trial ON organizations (pass_status, pass_trial_ends_at);
CREATE INDEX organizations_pass_cancel ON organizations (pass_status, pass_cancel_at);
CREATE INDEX organizations_pass_period ON organizations (pass_status, pass_current_period_end);
CREATE INDEX organizations_billing_customer ON organizations (billing_customer_id)
  WHERE billing_customer_id IS NOT NULL;

-- One row per reminder sent for one trial end: a second Cron run finds it and sends
-- nothing; an extended trial (new end) gets its own reminders.
CREATE TABLE pass_reminders (
  space_key TEXT NOT NULL REFERENCES organizations (space_key) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('trial_7d', 'trial_1d')),
  trial_ends_at INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  PRIMARY KEY (space_key, kind, trial_ends_at)
);
CREATE INDEX pass_reminders_run ON pass_reminders (run_id);

-- Payment-provider events already applied (webhooks are delivered at least once).
CREATE TABLE billing_events (
  event_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  space_key TEXT,
  received_at INTEGER NOT NULL
);

-- Every operator action: who, what, when, on which organization.
CREATE TABLE operator_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  space_key TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX operator_audit_org ON operator_audit (space_key, at);

-- A fresh id written by every change of the add-on's state, so that the statements
-- batched with a change (its email, audit record, webhook record) run only if that
-- change was the one that happened.
ALTER TABLE organizations ADD COLUMN pass_change_id TEXT;
