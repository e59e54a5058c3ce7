//! The development mailbox page (`GET /dev/mailbox`, development only).

use worker::Request;

use super::views;
use crate::{
    views::Chrome,
    web::{context::Ctx, http, page::html, Handled},
};

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
