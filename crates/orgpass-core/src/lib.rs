//! The pure rules and formats of orgpass: identifiers that validate and normalise on
//! construction, accounts and password records, organizations, roles and the product
//! catalogue, the policy (who may do what), invitations, projects, tokens, the login
//! rate-limit policy, domain verification, the DNS codec ([`dns`]), an organization's
//! SAML settings ([`saml_settings`], over the [`saml_sp`] verifier) and the Stripe
//! webhook codec ([`stripe`]).
//!
//! Nothing here does IO, reads a clock or draws randomness: time arrives as a
//! [`Timestamp`] and random bytes as arguments. The crate has no `worker`,
//! `wasm-bindgen`, `js-sys` or `web-sys` dependency, so the compiler keeps it pure.

pub mod account;
pub mod audit;
pub mod dns;
pub mod email;
pub mod invitation;
pub mod log_stream;
pub mod oidc;
pub mod organization;
pub mod pass;
pub mod policy;
pub mod project;
pub mod ratelimit;
pub mod saml_settings;
pub mod scim;
pub mod stripe;
pub mod token;
pub mod two_step;
pub mod validation;
pub mod verification;

pub use account::{DisplayName, Password, PasswordRecord};
pub use email::Email;
pub use organization::{OrganizationId, OrganizationName, Product, Role, SpaceKey};
pub use policy::{Membership, OrgAction};
/// Time as a value: the one type the workspace uses, defined by the SAML verifier.
pub use saml_sp::time;
pub use time::Timestamp;
pub use token::{SecretToken, TokenHash};
pub use validation::{FieldError, Invalid};
