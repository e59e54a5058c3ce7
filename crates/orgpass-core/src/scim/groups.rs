//! A SCIM Group as orgpass keeps it: a group of the organization (`displayName` its
//! name, `externalId` the IdP's id for it), whose `members` are the organization's
//! Users (managed accounts) in it, and filters over Groups resolved to its attributes
//! ([`super::typed`]).
//!
//! The people of a group who are not managed accounts (they signed up themselves) are
//! not Users of the SCIM service: a Group does not show them, and an IdP's changes of
//! `members`, a replace included, leave them where they are.

use std::collections::BTreeSet;

use super::{
    filter::{self, AttrPath},
    patch::Shape,
    typed::{resolve, Attribute, FilterError, Kind, Typed},
    users::{member, text_part, InputError},
};

/// The core Group schema's URI.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// The most members one Group body or PATCH may name.
pub const MAX_MEMBERS: usize = 1000;

/// A Group to PATCH: `members` changes element by element.
pub const GROUP_SHAPE: Shape = Shape {
    schema: GROUP_SCHEMA,
    ignored: &[],
    multi_valued: &["members"],
};

/// A filterable attribute of a Group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupAttr {
    /// `id` (case-exact).
    Id,
    /// `displayName`: the group's name (case-insensitive).
    DisplayName,
    /// `externalId` (case-exact).
    ExternalId,
    /// `members.value` (also `members` alone, and `value` in `members[…]`): a member's
    /// User id (case-exact).
    Member,
    /// `meta.created`.
    Created,
    /// `meta.lastModified`.
    LastModified,
}

impl Attribute for GroupAttr {
    fn kind(self) -> Kind {
        match self {
            Self::Id | Self::ExternalId | Self::Member => Kind::Text { case_exact: true },
            Self::DisplayName => Kind::Text { case_exact: false },
            Self::Created | Self::LastModified => Kind::Time,
        }
    }
}

impl GroupAttr {
    fn of(path: &AttrPath, parent: Option<&AttrPath>) -> Option<Self> {
        let g = GROUP_SCHEMA;
        if let Some(parent) = parent {
            let member_value = parent.is(g, "members", None)
                && path.uri.is_none()
                && path.sub.is_none()
                && path.name.eq_ignore_ascii_case("value");
            return member_value.then_some(Self::Member);
        }
        [
            (("id", None), Self::Id),
            (("displayName", None), Self::DisplayName),
            (("externalId", None), Self::ExternalId),
            (("members", None), Self::Member),
            (("members", Some("value")), Self::Member),
            (("meta", Some("created")), Self::Created),
            (("meta", Some("lastModified")), Self::LastModified),
        ]
        .into_iter()
        .find(|((name, sub), _)| path.is(g, name, *sub))
        .map(|(_, attr)| attr)
    }
}

/// A filter over Groups, typed.
pub type GroupFilter = Typed<GroupAttr>;

/// Parses and resolves a filter over Groups.
///
/// # Errors
/// [`FilterError`]: the syntax, an unknown attribute, or an operator or value that does
/// not fit the attribute's type.
pub fn group_filter(text: &str) -> Result<GroupFilter, FilterError> {
    let parsed =
        filter::parse(text).map_err(|e| FilterError(format!("the filter is invalid: {e}")))?;
    resolve(&parsed, "Groups", &GroupAttr::of)
}

/// The Group attributes a create (POST) or replace (PUT) sets, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInput {
    /// `displayName`: the group's name.
    pub name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// The members' User ids, each once, in the order first given.
    pub member_ids: Vec<String>,
}

impl GroupInput {
    /// Reads a Group resource's JSON.
    ///
    /// # Errors
    /// [`InputError`] naming the attribute.
    pub fn parse(body: &serde_json::Value) -> Result<Self, InputError> {
        let object = body
            .as_object()
            .ok_or_else(|| InputError::Syntax("the body must be a JSON object".to_owned()))?;
        let display = text_part(object, "displayName")?
            .ok_or_else(|| InputError::Value("displayName is required".to_owned()))?;
        let name = crate::invitation::group_name(&display).map_err(|_| {
            InputError::Value("displayName must be 1 to 100 visible characters".to_owned())
        })?;
        let members = match member(object, "members") {
            None => Vec::new(),
            Some(serde_json::Value::Array(items)) => items.clone(),
            Some(_) => return Err(InputError::Value("members must be a list".to_owned())),
        };
        if members.len() > MAX_MEMBERS {
            return Err(InputError::Value(format!(
                "a Group body names at most {MAX_MEMBERS} members"
            )));
        }
        let mut seen = BTreeSet::new();
        let mut member_ids = Vec::new();
        for m in &members {
            let id = m
                .as_object()
                .and_then(|m| member(m, "value"))
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    InputError::Value("each member must be an object with a value".to_owned())
                })?;
            if seen.insert(id.to_owned()) {
                member_ids.push(id.to_owned());
            }
        }
        Ok(Self {
            name,
            external_id: text_part(object, "externalId")?,
            member_ids,
        })
    }
}
