//! Account self-service: the forgotten password, a fresh verification link, and the
//! account page where a person changes their name, email and password, sees and ends
//! their sessions, leaves organizations and deletes the account.

pub mod api;
pub mod pages;
pub mod store;
pub mod views;
