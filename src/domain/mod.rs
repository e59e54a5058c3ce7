//! The pure rules of orgpass: identifiers that validate and normalise on
//! construction, accounts and password records, organizations, roles and the product
//! catalogue, the policy (who may do what), invitations, projects, tokens, and the
//! login rate-limit policy.
//!
//! Nothing here does IO, reads a clock or draws randomness: time arrives as a
//! [`Timestamp`] and random bytes as arguments.

pub mod account;
pub mod email;
pub mod invitation;
pub mod organization;
pub mod pass;
pub mod policy;
pub mod project;
pub mod ratelimit;
pub mod time;
pub mod token;
pub mod validation;
pub mod verification;

pub use account::{DisplayName, Password, PasswordRecord};
pub use email::Email;
pub use organization::{OrganizationId, OrganizationName, Product, Role, SpaceKey};
pub use policy::{Membership, OrgAction};
pub use time::Timestamp;
pub use token::{SecretToken, TokenHash};
pub use validation::{FieldError, Invalid};
