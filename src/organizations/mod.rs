//! Organizations: creating one, its profile (the settings page), the organization JSON the other rooms share.

pub mod api;
pub mod pages;
pub mod store;
pub mod views;
