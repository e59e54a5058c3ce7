//! Mail: the outbox, the mail provider, and in development the mailbox page and its JSON.

pub mod api;
pub mod mailer;
pub mod pages;
pub mod store;
pub mod views;
