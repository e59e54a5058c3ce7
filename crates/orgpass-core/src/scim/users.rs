//! A SCIM User as orgpass keeps it (a managed account of the organization), and filters
//! over Users resolved to its attributes ([`super::typed`]).
//!
//! One email per account: `emails` has one element, `{value: the email, type: "work",
//! primary: true}`, so `emails[f]` is `f` over that element and `emails[f].value op v`
//! is `f and emails.value op v`.

use super::{
    filter::{self, AttrPath},
    patch::Shape,
    typed::{resolve, Attribute, FilterError, Kind, Typed},
};

/// The core User schema's URI.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// A User to PATCH: the attributes a PATCH may name that orgpass derives or does not
/// keep are accepted, then ignored (the one email is the userName; a User's groups are
/// changed through the Groups).
pub const USER_SHAPE: Shape = Shape {
    schema: USER_SCHEMA,
    ignored: &[
        "emails",
        "phoneNumbers",
        "addresses",
        "ims",
        "photos",
        "entitlements",
        "roles",
        "x509Certificates",
        "groups",
    ],
    multi_valued: &[],
};

/// A filterable attribute of a User.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAttr {
    /// `id` (case-exact).
    Id,
    /// `userName`: the email (case-insensitive).
    UserName,
    /// `externalId` (case-exact).
    ExternalId,
    /// `displayName`.
    DisplayName,
    /// `name.givenName`.
    GivenName,
    /// `name.familyName`.
    FamilyName,
    /// `emails.value` (also `emails` alone): the email.
    Email,
    /// `emails.type`: always `"work"`.
    EmailType,
    /// `emails.primary`: always true.
    EmailPrimary,
    /// `active`.
    Active,
    /// `meta.created`.
    Created,
    /// `meta.lastModified`.
    LastModified,
}

impl Attribute for UserAttr {
    fn kind(self) -> Kind {
        match self {
            Self::Id | Self::ExternalId => Kind::Text { case_exact: true },
            Self::UserName
            | Self::DisplayName
            | Self::GivenName
            | Self::FamilyName
            | Self::Email
            | Self::EmailType => Kind::Text { case_exact: false },
            Self::EmailPrimary | Self::Active => Kind::Bool,
            Self::Created | Self::LastModified => Kind::Time,
        }
    }
}

impl UserAttr {
    fn of(path: &AttrPath) -> Option<Self> {
        let u = USER_SCHEMA;
        [
            (("id", None), Self::Id),
            (("userName", None), Self::UserName),
            (("externalId", None), Self::ExternalId),
            (("displayName", None), Self::DisplayName),
            (("name", Some("givenName")), Self::GivenName),
            (("name", Some("familyName")), Self::FamilyName),
            (("emails", None), Self::Email),
            (("emails", Some("value")), Self::Email),
            (("emails", Some("type")), Self::EmailType),
            (("emails", Some("primary")), Self::EmailPrimary),
            (("active", None), Self::Active),
            (("meta", Some("created")), Self::Created),
            (("meta", Some("lastModified")), Self::LastModified),
        ]
        .into_iter()
        .find(|((name, sub), _)| path.is(u, name, *sub))
        .map(|(_, attr)| attr)
    }

    /// A sub-attribute of `emails`' one element, inside a value filter.
    fn of_email_element(path: &AttrPath) -> Option<Self> {
        if path.sub.is_some() || path.uri.is_some() {
            return None;
        }
        [
            ("value", Self::Email),
            ("type", Self::EmailType),
            ("primary", Self::EmailPrimary),
        ]
        .into_iter()
        .find(|(name, _)| path.name.eq_ignore_ascii_case(name))
        .map(|(_, attr)| attr)
    }
}

/// A filter over Users, typed.
pub type UserFilter = Typed<UserAttr>;

/// Parses and resolves a filter over Users.
///
/// # Errors
/// [`FilterError`]: the syntax, an unknown attribute, or an operator or value that does
/// not fit the attribute's type.
pub fn user_filter(text: &str) -> Result<UserFilter, FilterError> {
    let parsed =
        filter::parse(text).map_err(|e| FilterError(format!("the filter is invalid: {e}")))?;
    resolve(&parsed, "Users", &|path, parent| match parent {
        None => UserAttr::of(path),
        Some(p) if p.is(USER_SCHEMA, "emails", None) => UserAttr::of_email_element(path),
        Some(_) => None,
    })
}

/// The User attributes a create (POST) or replace (PUT) sets, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInput {
    /// `userName`: the email.
    pub email: crate::Email,
    /// The account's name, as orgpass shows it: `displayName`, else `name.formatted`,
    /// else given and family name, else the email's local part.
    pub name: String,
    /// `displayName`, as sent.
    pub display_name: Option<String>,
    /// `name.givenName`.
    pub given_name: Option<String>,
    /// `name.familyName`.
    pub family_name: Option<String>,
    /// `externalId`.
    pub external_id: Option<String>,
    /// `active`; unassigned (`None`) behaves as true.
    pub active: Option<bool>,
}

/// Why a User body was refused (RFC 7644 `invalidValue`, or `invalidSyntax` for a body
/// that is not a JSON object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// Not a JSON object.
    Syntax(String),
    /// An attribute with an impossible value.
    Value(String),
}

/// The longest `externalId` and name part kept.
const MAX_PART: usize = 256;

/// `"True"`/`"False"` (Entra ID's strings) or a JSON boolean.
#[must_use]
pub fn boolean(value: &serde_json::Value) -> Option<bool> {
    match value {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The value of `key` in `object`, case-insensitively (RFC 7643 §2.1).
#[must_use]
pub fn member<'a>(
    object: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'a serde_json::Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

pub(super) fn text_part(
    object: &serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<Option<String>, InputError> {
    match member(object, key) {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => {
            let s = s.trim();
            if s.chars().count() > MAX_PART || s.chars().any(char::is_control) {
                return Err(InputError::Value(format!(
                    "{key} is too long or has control characters"
                )));
            }
            Ok((!s.is_empty()).then(|| s.to_owned()))
        }
        Some(_) => Err(InputError::Value(format!("{key} must be a string"))),
    }
}

impl UserInput {
    /// Reads a User resource's JSON.
    ///
    /// # Errors
    /// [`InputError`] naming the attribute.
    pub fn parse(body: &serde_json::Value) -> Result<Self, InputError> {
        let object = body
            .as_object()
            .ok_or_else(|| InputError::Syntax("the body must be a JSON object".to_owned()))?;
        let user_name = text_part(object, "userName")?
            .ok_or_else(|| InputError::Value("userName is required".to_owned()))?;
        let email = crate::Email::parse(&user_name)
            .map_err(|_| InputError::Value("userName must be an email address".to_owned()))?;
        let (formatted, given_name, family_name) = match member(object, "name") {
            None => (None, None, None),
            Some(serde_json::Value::Object(name)) => (
                text_part(name, "formatted")?,
                text_part(name, "givenName")?,
                text_part(name, "familyName")?,
            ),
            Some(_) => return Err(InputError::Value("name must be an object".to_owned())),
        };
        let display = text_part(object, "displayName")?;
        let joined = [given_name.as_deref(), family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let local = email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned();
        let display_name = match display {
            Some(d) => Some(crate::validation::bounded_name(&d).map_err(|_| {
                InputError::Value("displayName must be 1 to 100 visible characters".to_owned())
            })?),
            None => None,
        };
        let name = [
            display_name.clone(),
            formatted,
            (!joined.is_empty()).then_some(joined),
            Some(local),
        ]
        .into_iter()
        .flatten()
        .find_map(|n| crate::validation::bounded_name(&n).ok())
        .ok_or_else(|| InputError::Value("the name cannot be shown".to_owned()))?;
        let active = match member(object, "active") {
            None => None,
            Some(v) => Some(
                boolean(v)
                    .ok_or_else(|| InputError::Value("active must be a boolean".to_owned()))?,
            ),
        };
        Ok(Self {
            email,
            name,
            display_name,
            given_name,
            family_name,
            external_id: text_part(object, "externalId")?,
            active,
        })
    }
}
