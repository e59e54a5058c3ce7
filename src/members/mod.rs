//! Members: the member list, role changes, removal. The store also keeps the groups' SQL (one `MemberStore` port covers both). `team_pages.rs` still serves the members, invitations, groups and projects tabs together.

pub mod api;
pub mod store;
pub mod team_pages;
pub mod views;
