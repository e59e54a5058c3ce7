//! A request's plumbing: its context, HTTP helpers, sessions and the same-origin rule, the one error map, page answers.

pub mod auth;
pub mod context;
pub mod error;
pub mod http;
pub mod page;

/// What every handler returns: a response, or a refusal for [`error`] to map.
pub type Handled = Result<worker::Response, error::ApiError>;
