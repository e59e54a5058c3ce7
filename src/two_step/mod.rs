//! Two-step verification: enrolment with a QR code, the login's second step, turning
//! it off, and organizations that require it.

pub mod api;
pub mod pages;
pub mod store;
pub mod views;
