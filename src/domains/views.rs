//! Domains: the domains tab, each domain with the exact record to publish, its state,
//! the last check and what it found; a form to add one.

use orgpass_app::pages::DomainsTab;

use crate::views::{csrf_input, html, post_button, settings_frame, Chrome, Feedback, Field};

/// The domains tab.
#[must_use]
pub fn domains(
    chrome: &Chrome<'_>,
    tab: &DomainsTab,
    feedback: &Feedback<'_>,
    typed: &str,
) -> String {
    let csrf = chrome.csrf;
    let view = &tab.view;
    let list = &tab.domains;
    let key = view.org.space_key.as_str();
    let body = html! {
        p { "Verify the domains your people's email addresses use: managed accounts can only be created in verified domains." }
        @for d in list {
            article.domain id={ "domain-" (d.id) } {
                h2 { (d.name.as_str()) " " span.status { (d.state.status()) } }
                p { "Publish this DNS record:" }
                dl.facts.record {
                    dt { "Name" } dd { code { (d.name.challenge_name()) } }
                    dt { "Type" } dd { code { "TXT" } }
                    dt { "Value" } dd { code { (d.txt_value) } }
                }
                p.muted {
                    "Last checked: "
                    @match d.last_checked_at { Some(t) => (t.to_rfc3339()), None => "not yet" }
                    ". Found: "
                    @if d.last_found.is_empty() { "nothing" }
                    @for (i, v) in d.last_found.iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (v) }
                    }
                    "."
                }
                (post_button(&format!("/orgs/{key}/settings/domains/{}/verify", d.id), csrf, "Check now", ""))
                " "
                (post_button(&format!("/orgs/{key}/settings/domains/{}/delete", d.id), csrf, "Delete", "link"))
            }
        }
        h2 { "Add a domain" }
        form method="post" action={ "/orgs/" (key) "/settings/domains/add" } novalidate {
            (csrf_input(csrf))
            (Field::new("Domain", "domain", "text", typed, feedback.errors).placeholder("example.com").required())
            button type="submit" { "Add domain" }
        }
    };
    settings_frame(chrome, view, "Domains", feedback, &body)
}
