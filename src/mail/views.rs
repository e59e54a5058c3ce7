//! Mail: its views.

use crate::views::*;
use orgpass_app::html::escape;
use orgpass_app::ports::MailRecord;

/// The development mailbox.
#[must_use]
pub fn mailbox(chrome: &Chrome<'_>, to: &str, messages: &[MailRecord]) -> String {
    let items: String = messages
        .iter()
        .map(|m| {
            let links: String = orgpass_app::mail::links(&m.mail.text)
                .iter()
                .map(|l| format!(r#"<li><a href="{0}">{0}</a></li>"#, escape(l)))
                .collect();
            format!(
                "<article class=\"mail\"><h2>{}</h2><p class=\"muted\">to {} · {}</p><pre>{}</pre><ul>{links}</ul></article>",
                escape(&m.mail.subject),
                escape(m.mail.to.as_str()),
                m.created_at.to_rfc3339(),
                escape(&m.mail.text),
            )
        })
        .collect();
    let body = format!(
        r#"<section class="card wide"><h1>Development mailbox</h1><form method="get" action="/dev/mailbox"><div class="field"><label for="to">Recipient</label><input id="to" name="to" type="email" value="{to}"></div><button type="submit">Show mail</button></form>{items}</section>"#,
        to = escape(to),
    );
    page("Mailbox", chrome, &body)
}
