//! The Audit log tab: the organization's events, newest first, with the filters of the
//! API (docs/api.md "Audit log") as a GET form and a link to the older ones.

use orgpass_app::{
    audit::AuditPage,
    ports::{EventRecord, StreamRecord},
};
use orgpass_core::{audit::Action, FieldError};

use crate::views::{html, post_button, settings_frame, Chrome, Feedback, Field};

/// What the filter form was sent with (shown again as typed).
#[derive(Debug, Default)]
pub struct Filters<'a> {
    /// `action`.
    pub action: &'a str,
    /// `actor_id`.
    pub actor_id: &'a str,
    /// `since`.
    pub since: &'a str,
    /// `until`.
    pub until: &'a str,
}

impl Filters<'_> {
    /// The filters given, with `cursor`, as a query string.
    fn query(&self, cursor: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("action", self.action),
            ("actor_id", self.actor_id),
            ("since", self.since),
            ("until", self.until),
            ("cursor", cursor),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        query.finish()
    }
}

/// Who acted, for people.
fn actor(e: &EventRecord) -> String {
    match (e.actor_type.as_str(), &e.actor_email, &e.actor_id) {
        ("account", Some(email), _) => email.clone(),
        ("scim", _, Some(id)) => format!("identity provider (SCIM token {id})"),
        ("idp", _, Some(entity_id)) => format!("identity provider {entity_id}"),
        ("idp", _, None) => "identity provider (unverified)".to_owned(),
        ("account", None, None) => "someone (not signed in)".to_owned(),
        (kind, _, Some(id)) => format!("{kind} {id}"),
        (kind, _, None) => kind.to_owned(),
    }
}

/// The tab. `page` is `None` when the filters did not read (`errors` say why).
#[must_use]
pub fn audit_log(
    chrome: &Chrome<'_>,
    view: &orgpass_app::orgs::OrgView,
    page: Option<&AuditPage>,
    filters: &Filters<'_>,
    errors: &[FieldError],
) -> String {
    let key = view.org.space_key.as_str();
    let base = format!("/orgs/{key}/settings/audit-log");
    let body = html! {
        p { "Every change made in the organization: who made it, to what, when and from where. Events are kept 13 months." }
        form method="get" action=(base) id="audit-filters" {
            div.field {
                label for="action" { "Action" }
                select id="action" name="action" {
                    option value="" selected[filters.action.is_empty()] { "Any action" }
                    @for a in Action::ALL {
                        option value=(a.as_str()) selected[filters.action == a.as_str()] { (a.as_str()) }
                    }
                }
                @if let Some(e) = errors.iter().find(|e| e.field == "action") {
                    p.error id="action-error" { (e.message) }
                }
            }
            (Field::new("Actor id", "actor_id", "text", filters.actor_id, errors))
            (Field::new("Since (RFC 3339)", "since", "text", filters.since, errors))
            (Field::new("Until (RFC 3339)", "until", "text", filters.until, errors))
            button type="submit" { "Filter" }
        }
        @if page.is_some() {
            p {
                a id="audit-download" href={ "/api/v1/orgs/" (key) "/audit-events.csv?" (filters.query("")) } download { "Download these events (CSV)" }
                " · " a id="audit-stream-link" href={ (base) "/stream" } { "Stream events to your endpoint" }
            }
        }
        @if let Some(s) = page.and_then(|p| p.stream.as_ref()) {
            p id="audit-stream-state" {
                "Streaming to " code { (s.url) } ": "
                @if let Some(error) = &s.last_error {
                    strong { "failing" } " (" (error) ", " (s.attempts) " attempts in a row), "
                }
                (s.pending) " events waiting; last delivered "
                (s.last_delivered_at.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339())) "."
            }
        }
        @if let Some(page) = page {
            @if page.events.is_empty() {
                p.muted id="audit-events" { "No events." }
            } @else {
                table id="audit-events" {
                    thead { tr { th { "When" } th { "Action" } th { "Actor" } th { "Targets" } th { "From" } } }
                    tbody {
                        @for e in &page.events {
                            tr id={ "event-" (e.id) } {
                                td { (e.occurred_at.to_rfc3339()) }
                                td {
                                    code { (e.action) } @if e.outcome != "success" { " (" (e.outcome) ")" }
                                    @for (k, v) in &e.details { br; span.muted { (k) ": " (v) } }
                                }
                                td { (actor(e)) }
                                td {
                                    @for t in &e.targets {
                                        span.target { (t.kind) ": " (t.name.as_deref().unwrap_or(&t.id)) } " "
                                    }
                                }
                                td { (e.ip.as_deref().unwrap_or("—")) br; span.muted { (e.user_agent.as_deref().unwrap_or("")) } }
                            }
                        }
                    }
                }
                @if let Some(next) = &page.next {
                    p { a id="audit-older" href={ (base) "?" (filters.query(next)) } { "Older events" } }
                }
            }
        }
    };
    let feedback = Feedback::default();
    settings_frame(chrome, view, "Audit log", &feedback, &body)
}

/// The log stream's page: the endpoint and its delivery state, the form to register
/// one, and its secret on the one answer that made it.
#[must_use]
pub fn audit_stream(
    chrome: &Chrome<'_>,
    view: &orgpass_app::orgs::OrgView,
    stream: Option<&StreamRecord>,
    new_secret: Option<&str>,
    feedback: &Feedback<'_>,
    typed: &str,
) -> String {
    let key = view.org.space_key.as_str();
    let base = format!("/orgs/{key}/settings/audit-log/stream");
    let time = |t: Option<orgpass_core::Timestamp>| {
        t.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339())
    };
    let body = html! {
        p {
            "orgpass POSTs every new event of the organization to your HTTPS endpoint as JSON ("
            code { "{\"events\": [...]}" } ", oldest first, in order), signed like Stripe signs webhooks: the "
            code { "Orgpass-Signature" } " header is " code { "t=<unix time>,v1=<hex HMAC-SHA256 of \"t.body\">" }
            " with your signing secret. Any 2xx acknowledges them; anything else is retried, after 1, 2, 4 … minutes, up to 6 hours apart, until it is."
        }
        @if let Some(secret) = new_secret {
            div.notice role="status" id="stream-new-secret" {
                p { strong { "Your signing secret" } " (shown only now; register again for a new one):" }
                p { code id="stream-secret" { (secret) } }
            }
        }
        @if let Some(s) = stream {
            dl id="stream-state" {
                dt { "Endpoint" } dd id="stream-url" { code { (s.url) } }
                dt { "Events waiting" } dd id="stream-pending" { (s.pending) }
                dt { "Last delivered" } dd id="stream-delivered" { (time(s.last_delivered_at)) }
                @if let Some(error) = &s.last_error {
                    dt { "Failing" }
                    dd id="stream-error" {
                        (error) " (" (s.attempts) " attempts in a row; next at " (s.next_attempt_at.to_rfc3339()) ")"
                    }
                }
            }
            (post_button(&format!("{base}/remove"), chrome.csrf, "Stop streaming", "danger"))
        } @else {
            p.muted id="stream-state" { "Not streaming." }
        }
        form method="post" action={ (base) "/set" } id="stream-form" {
            input type="hidden" name="csrf" value=(chrome.csrf);
            (Field::new("Endpoint URL (https://)", "url", "url", typed, feedback.errors))
            button type="submit" { @if stream.is_some() { "Replace endpoint and secret" } @else { "Start streaming" } }
        }
        p { a href={ "/orgs/" (key) "/settings/audit-log" } { "Back to the audit log" } }
    };
    settings_frame(chrome, view, "Audit log", feedback, &body)
}
