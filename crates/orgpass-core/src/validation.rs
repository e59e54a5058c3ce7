//! Field validation errors: which input field was refused, with a stable code and a
//! sentence a person can act on. Pages show the sentence next to the field; the API
//! returns both.

use std::fmt;

/// Why one input field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    /// The input field's name, as in the API body or the HTML form.
    pub field: &'static str,
    /// Stable snake_case code, e.g. `invalid_email`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: &'static str,
}

impl FieldError {
    /// A refusal of `field`.
    #[must_use]
    pub const fn new(field: &'static str, code: &'static str, message: &'static str) -> Self {
        Self {
            field,
            code,
            message,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.code)
    }
}

/// One or more refused fields of a request, in the order they were checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// The stable code of the whole refusal: the field's own code when one field was
    /// refused, `invalid_request` when several were.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self.0.as_slice() {
            [one] => one.code,
            _ => "invalid_request",
        }
    }

    /// Collects the errors of several checks, keeping the successful values.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    /// `Ok(())` when no field was refused.
    ///
    /// # Errors
    /// `self` when at least one field was refused.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl From<FieldError> for Invalid {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

/// A display name (of a person, an organization, a group, a project): trimmed, 1 to
/// 100 characters, no control characters, no bidirectional embedding, override or
/// isolate controls (which reorder the text around a name in pages and emails), and at
/// least one visible character (a name of zero-width characters shows as nothing).
///
/// # Errors
/// `invalid_name` otherwise.
pub fn bounded_name(input: &str) -> Result<String, FieldError> {
    let name = input.trim();
    let count = name.chars().count();
    if count == 0
        || count > 100
        || name.chars().any(|c| c.is_control() || is_bidi_control(c))
        || !name.chars().any(|c| !c.is_whitespace() && !is_invisible(c))
    {
        return Err(FieldError::new(
            "name",
            "invalid_name",
            "Enter a name of 1 to 100 characters, with at least one visible character.",
        ));
    }
    Ok(name.to_owned())
}

/// The bidirectional embedding, override and isolate controls (LRE, RLE, PDF, LRO, RLO,
/// LRI, RLI, FSI, PDI): they change the order in which the text after them is shown.
pub const fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing: Unicode's Default_Ignorable_Code_Point set
/// (zero-width spaces and joiners, marks, variation selectors, tags, soft hyphen, …)
/// plus the blank-looking fillers (Hangul fillers, braille blank). Written out rather
/// than taken from a Unicode-tables crate: it is a short, stable list.
const fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// `input` if it is a path on this site — a single leading `/`, no scheme or host, no
/// backslash (which some browsers read as `/`), no control character — else `None`:
/// the only places a login may return to.
#[must_use]
pub fn same_site_path(input: &str) -> Option<&str> {
    let ok = input.starts_with('/')
        && !input.starts_with("//")
        && input.len() <= 8192
        && !input.chars().any(|c| c == '\\' || c.is_control());
    ok.then_some(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: FieldError = FieldError::new("email", "invalid_email", "x");
    const B: FieldError = FieldError::new("password", "password_too_short", "y");

    #[test]
    fn names_need_a_visible_character_and_no_bidi_controls() {
        for bad in [
            "\u{200B}\u{200C}\u{200D}",
            "\u{2060}\u{FEFF}",
            " \u{3164} ",
            "\u{00AD}",
            "\u{E0041}\u{E0042}",
            "Eve\u{202E}gnp.exe",
            "\u{2066}Mallory\u{2069}",
            "Bob\u{202A}",
        ] {
            assert!(bounded_name(bad).is_err(), "{bad:?}");
        }
        for good in ["Ada", "Zoë Ω", "محمد", "李小龍", "a\u{200D}b", "Ünal-Şahin"] {
            assert_eq!(bounded_name(good).as_deref(), Ok(good), "{good:?}");
        }
    }

    #[test]
    fn one_field_keeps_its_code_several_become_invalid_request() {
        assert_eq!(Invalid(vec![A]).code(), "invalid_email");
        assert_eq!(Invalid(vec![A, B]).code(), "invalid_request");
    }

    #[test]
    fn check_collects_errors_and_keeps_values() {
        let mut invalid = Invalid::default();
        assert_eq!(invalid.check(Ok::<_, FieldError>(3)), Some(3));
        assert_eq!(invalid.check::<u8>(Err(B)), None);
        assert_eq!(invalid.into_result(), Err(Invalid(vec![B])));
        assert_eq!(Invalid::default().into_result(), Ok(()));
    }
}
