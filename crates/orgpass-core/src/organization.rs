//! Organizations: the space key, the organization ID, names, roles and the product
//! catalogue (docs/product.md §2 and §3).
//!
//! - The **space key** is 10 characters of `A-Z0-9`, drawn at creation and never
//!   changed; every stable URL uses it.
//! - The **organization ID** is a slug of 3–20 characters of `a-z0-9-` that neither
//!   starts nor ends with `-`. People type it to log in with single sign-on, and
//!   administrators may change it. An ID an organization gave up is never handed to
//!   another organization: the store keeps every ID ever claimed with its owner.

use std::fmt;

use super::validation::FieldError;

/// Characters of a space key.
const SPACE_KEY_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Length of a space key.
pub const SPACE_KEY_LEN: usize = 10;

/// An organization's permanent key: 10 characters of `A-Z0-9`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpaceKey(String);

impl SpaceKey {
    /// Reads a space key from a URL. Space keys are exact: no case folding, so that
    /// one organization has one URL.
    #[must_use]
    pub fn parse(input: &str) -> Option<Self> {
        (input.len() == SPACE_KEY_LEN && input.bytes().all(|b| SPACE_KEY_ALPHABET.contains(&b)))
            .then(|| Self(input.to_owned()))
    }

    /// Draws a space key from random bytes. Each byte is used only when it falls in
    /// the largest multiple of 36 below 256 (rejection sampling, so no character is
    /// likelier than another); returns `None` when `random` runs out first, which
    /// 32 bytes make vanishingly rare (the caller then draws again).
    #[must_use]
    pub fn from_random(random: &[u8]) -> Option<Self> {
        let key: String = random
            .iter()
            .filter(|b| **b < 252)
            .take(SPACE_KEY_LEN)
            .filter_map(|b| {
                SPACE_KEY_ALPHABET
                    .get(usize::from(*b % 36))
                    .map(|c| char::from(*c))
            })
            .collect();
        (key.len() == SPACE_KEY_LEN).then_some(Self(key))
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SpaceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organization ID: 3–20 characters of `a-z0-9-`, not starting or ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrganizationId(String);

const INVALID_ORG_ID: FieldError = FieldError::new(
    "organization_id",
    "invalid_organization_id",
    "Use 3 to 20 lowercase letters, digits or hyphens, not starting or ending with a hyphen.",
);

impl OrganizationId {
    /// Validates `input` after trimming and lower-casing it (people type it at login).
    ///
    /// # Errors
    /// `invalid_organization_id` when it breaks the rules above.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let id = input.trim().to_ascii_lowercase();
        let ok = (3..=20).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !id.starts_with('-')
            && !id.ends_with('-');
        if ok {
            Ok(Self(id))
        } else {
            Err(INVALID_ORG_ID)
        }
    }

    /// A suggested ID for an organization created without one: the name's letters and
    /// digits as a slug (at most 15 characters) and a hyphen with four random
    /// characters, so that two organizations called "Acme" do not collide.
    #[must_use]
    pub fn suggest(name: &OrganizationName, random: &[u8; 4]) -> Self {
        let mut slug = String::new();
        for c in name.as_str().chars().flat_map(char::to_lowercase) {
            if slug.len() >= 15 {
                break;
            }
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        let slug = if slug.is_empty() { "org" } else { slug };
        let suffix: String = random
            .iter()
            .filter_map(|b| {
                b"abcdefghijklmnopqrstuvwxyz0123456789"
                    .get(usize::from(*b % 36))
                    .map(|c| char::from(*c))
            })
            .collect();
        Self(format!("{slug}-{suffix}"))
    }

    /// The ID.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrganizationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organization's display name: trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationName(String);

impl OrganizationName {
    /// Validates and trims `input`.
    ///
    /// # Errors
    /// `invalid_name` when empty, too long or with control characters.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        super::validation::bounded_name(input).map(Self)
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A member's role in an organization (docs/product.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything in the organization.
    Administrator,
    /// Sees all members; creates groups; invites only with `can_invite`.
    Member,
    /// Sees only members of their own groups.
    Guest,
}

impl Role {
    /// The stable name used in the API and the database.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::Member => "member",
            Self::Guest => "guest",
        }
    }

    /// Reads a stable name.
    ///
    /// # Errors
    /// `invalid_role` for anything else.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        match input {
            "administrator" => Ok(Self::Administrator),
            "member" => Ok(Self::Member),
            "guest" => Ok(Self::Guest),
            _ => Err(FieldError::new(
                "role",
                "invalid_role",
                "Choose administrator, member or guest.",
            )),
        }
    }

    /// The role of the person who creates an organization.
    #[must_use]
    pub const fn of_creator() -> Self {
        Self::Administrator
    }
}

/// A product of the catalogue, each with its own free trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// Stable key used in the API (`tracker`, …).
    pub key: &'static str,
    /// Name shown to people.
    pub name: &'static str,
    /// What it is, in a few words.
    pub summary: &'static str,
    /// Length of the free trial that creating an organization starts.
    pub trial_days: i64,
}

/// The catalogue, as data.
pub const CATALOGUE: &[Product] = &[
    Product {
        key: "tracker",
        name: "Tracker",
        summary: "Project management",
        trial_days: 30,
    },
    Product {
        key: "diagrams",
        name: "Diagrams",
        summary: "Shared diagrams",
        trial_days: 30,
    },
    Product {
        key: "chat",
        name: "Chat",
        summary: "Team chat",
        trial_days: 30,
    },
];

impl Product {
    /// Finds a product of the catalogue by key.
    ///
    /// # Errors
    /// `unknown_product` when the catalogue has no such product.
    pub fn parse(key: &str) -> Result<Self, FieldError> {
        CATALOGUE
            .iter()
            .find(|p| p.key == key)
            .copied()
            .ok_or(FieldError::new(
                "product",
                "unknown_product",
                "Choose a product from the catalogue: tracker, diagrams or chat.",
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_keys_are_ten_uppercase_letters_or_digits() {
        assert!(SpaceKey::parse("ABCDE12345").is_some());
        for bad in ["abcde12345", "ABCDE1234", "ABCDE123456", "ABCDE-1234", ""] {
            assert!(SpaceKey::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn space_keys_are_drawn_without_bias() {
        let key = SpaceKey::from_random(&[0, 35, 36, 251, 252, 255, 1, 2, 3, 4, 5, 6]).unwrap();
        // 252 and 255 are rejected; 36 maps to 'A', 251 to 251 % 36 = 35 -> '9'.
        assert_eq!(key.as_str(), "A9A9BCDEFG");
        assert!(SpaceKey::parse(key.as_str()).is_some());
        assert!(SpaceKey::from_random(&[255; 32]).is_none());
    }

    #[test]
    fn organization_ids_follow_the_slug_rules() {
        assert_eq!(
            OrganizationId::parse(" Acme-Corp ").unwrap().as_str(),
            "acme-corp"
        );
        for ok in ["abc", "a-b", "a1b2c3d4e5f6g7h8i9j0", "123"] {
            assert!(OrganizationId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a_b_c",
            "acme corp",
            "a1b2c3d4e5f6g7h8i9j0k",
            "ünï",
        ] {
            assert!(
                matches!(OrganizationId::parse(bad), Err(e) if e.code == "invalid_organization_id"),
                "{bad}"
            );
        }
    }

    #[test]
    fn suggested_ids_are_valid_slugs_of_the_name() {
        let name = OrganizationName::parse("Acme & Sons, Ltd.").unwrap();
        let id = OrganizationId::suggest(&name, &[0, 1, 26, 35]);
        assert_eq!(id.as_str(), "acme-sons-ltd-ab09");
        assert!(OrganizationId::parse(id.as_str()).is_ok());
        let symbols = OrganizationName::parse("!!!").unwrap();
        assert_eq!(
            OrganizationId::suggest(&symbols, &[0; 4]).as_str(),
            "org-aaaa"
        );
        let long = OrganizationName::parse("The International Widget Company").unwrap();
        let id = OrganizationId::suggest(&long, &[0; 4]);
        assert!(OrganizationId::parse(id.as_str()).is_ok(), "{id}");
    }

    #[test]
    fn roles_round_trip_and_the_creator_administers() {
        for role in [Role::Administrator, Role::Member, Role::Guest] {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("owner").is_err());
        assert_eq!(Role::of_creator(), Role::Administrator);
    }

    #[test]
    fn the_catalogue_is_data() {
        assert_eq!(Product::parse("diagrams").unwrap().name, "Diagrams");
        assert!(matches!(Product::parse("crm"), Err(e) if e.code == "unknown_product"));
        assert!(CATALOGUE.iter().all(|p| p.trial_days > 0));
    }
}
