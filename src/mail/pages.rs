//! Mail: its pages.

use super::views;
use crate::views::Chrome;
use crate::web::context::Ctx;
use crate::web::http;
use crate::web::page::html;
use crate::web::Handled;
use worker::Request;

/// `GET /dev/mailbox?to=`: the development mailbox for people.
pub async fn mailbox(req: &mut Request, cx: &Ctx) -> Handled {
    let to = http::query(req, "to").unwrap_or_default();
    let messages = if to.is_empty() {
        Vec::new()
    } else {
        cx.app().mailbox(&to).await.unwrap_or_default()
    };
    html(
        200,
        &views::mailbox(
            &Chrome {
                account: None,
                csrf: "",
            },
            &to,
            &messages,
        ),
        &[],
    )
}
