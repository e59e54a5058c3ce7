//! Single sign-on: SAML settings, managed accounts, the SP metadata, `/login/sso`, the ACS.

pub mod acs;
pub mod api;
pub mod login;
pub mod pages;
pub mod store;
pub mod views;
