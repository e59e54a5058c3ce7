//! Mail: the development mailbox.

use orgpass_app::ports::MailRecord;

use crate::views::{html, page, Chrome};

/// The development mailbox.
#[must_use]
pub fn mailbox(chrome: &Chrome<'_>, to: &str, messages: &[MailRecord]) -> String {
    let body = html! {
        section.card.wide {
            h1 { "Development mailbox" }
            form method="get" action="/dev/mailbox" {
                div.field {
                    label for="to" { "Recipient" }
                    input id="to" name="to" type="email" value=(to);
                }
                button type="submit" { "Show mail" }
            }
            @for m in messages {
                article.mail {
                    h2 { (m.mail.subject) }
                    p.muted { "to " (m.mail.to.as_str()) " · " (m.created_at.to_rfc3339()) }
                    pre { (m.mail.text) }
                    ul {
                        @for link in orgpass_app::mail::links(&m.mail.text) {
                            li { a href=(link) { (link) } }
                        }
                    }
                }
            }
        }
    };
    page("Mailbox", chrome, &body)
}
