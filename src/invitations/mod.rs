//! Invitations: inviting by email, the invitations tab, the invitation page, accepting and signing up by invitation.

pub mod api;
pub mod pages;
pub mod store;
pub mod views;
