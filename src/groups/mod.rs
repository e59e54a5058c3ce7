//! Groups: creating, renaming, deleting, membership and a group's role. Their SQL is in the members store.

pub mod api;
pub mod pages;
pub mod views;
