//! The view layer: the one layout, the settings frame, and the partials every page is
//! made of, written with maud (`html!`). Escaping is structural: a `&str` or `String`
//! spliced into `html!` is escaped, and only [`Markup`] passes through as markup, so no
//! page calls an escape function. Every page works without JavaScript, every form field
//! has a label, and a refused field shows its message next to it.
//!
//! A room's `views.rs` holds its templates; each returns the whole page as a `String`
//! (through [`page`] or [`settings_frame`]) or a [`Markup`] fragment.

pub use maud::{html, Markup, PreEscaped, Render, DOCTYPE};
use orgpass_app::{orgs::OrgView, ports::AccountRecord};
use orgpass_core::FieldError;

/// The stylesheet, served at `/static/orgpass.css` (the CSP allows no inline styles).
pub const CSS: &str = include_str!("orgpass.css");

/// The script served at `/static/invite.js` (the invitation form's live count).
pub const INVITE_JS: &str = include_str!("invite.js");

/// What the header shows about the visitor.
pub struct Chrome<'a> {
    /// The signed-in account, if any.
    pub account: Option<&'a AccountRecord>,
    /// The CSRF token for the logout form.
    pub csrf: &'a str,
}

/// What a page says back about the last submission.
#[derive(Clone, Copy, Default)]
pub struct Feedback<'a> {
    /// Refused fields, shown next to them.
    pub errors: &'a [FieldError],
    /// A success notice.
    pub notice: Option<&'a str>,
    /// A refusal that belongs to no field.
    pub alert: Option<&'a str>,
}

/// A whole page: the one layout.
#[must_use]
pub fn page(title: &str, chrome: &Chrome<'_>, body: &Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · orgpass" }
                link rel="stylesheet" href="/static/orgpass.css";
            }
            body {
                header {
                    a.brand href="/" { "orgpass" }
                    nav {
                        @if let Some(account) = chrome.account {
                            a.who href="/account" title="Your account" { (account.email.as_str()) }
                            form.inline method="post" action="/logout" {
                                (csrf_input(chrome.csrf))
                                button.link type="submit" { "Log out" }
                            }
                        } @else {
                            a href="/login" { "Log in" } " "
                            a.button href="/signup" { "Sign up" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
    .into_string()
}

/// A message page: a card with a heading and what follows it.
#[must_use]
pub fn message(chrome: &Chrome<'_>, title: &str, body: &Markup) -> String {
    page(
        title,
        chrome,
        &html! { section.card { h1 { (title) } (body) } },
    )
}

/// The settings tabs, in order: (path under `/orgs/{org}/settings`, label, the word
/// after the organization's name in the page title).
pub const TABS: [(&str, &str, &str); 10] = [
    ("", "Profile", "settings"),
    ("/members", "Members", "members"),
    ("/invitations", "Invitations", "invitations"),
    ("/groups", "Groups", "groups"),
    ("/projects", "Projects", "projects"),
    ("/plan", "Plan", "plan"),
    ("/domains", "Domains", "domains"),
    ("/authentication", "Authentication", "authentication"),
    ("/managed-accounts", "Managed accounts", "managed accounts"),
    ("/audit-log", "Audit log", "audit log"),
];

/// The settings frame: every settings tab is this page around its own body. `tab` is
/// the tab's label in [`TABS`].
#[must_use]
pub fn settings_frame(
    chrome: &Chrome<'_>,
    view: &OrgView,
    tab: &str,
    feedback: &Feedback<'_>,
    body: &Markup,
) -> String {
    let org = &view.org;
    let key = org.space_key.as_str();
    let word = TABS
        .iter()
        .find(|(_, label, _)| *label == tab)
        .map_or("settings", |(_, _, word)| word);
    page(
        &format!("{} {word}", org.name),
        chrome,
        &html! {
            section.card.wide {
                p.muted { a href="/" { "Dashboard" } " / Settings" }
                h1 { (org.name) }
                nav.tabs aria-label="Settings" {
                    @for (path, label, _) in TABS {
                        a href={ "/orgs/" (key) "/settings" (path) }
                            aria-current=[(label == tab).then_some("page")] { (label) }
                    }
                }
                (notice(feedback))
                (body)
            }
        },
    )
}

/// The success notice and the alert of `feedback`, if any.
#[must_use]
pub fn notice(feedback: &Feedback<'_>) -> Markup {
    html! {
        @if let Some(n) = feedback.notice { p.notice role="status" { (n) } }
        (alert(feedback.alert))
    }
}

/// A banner for a refusal that belongs to no single field.
#[must_use]
pub fn alert(message: Option<&str>) -> Markup {
    html! { @if let Some(m) = message { p.alert role="alert" { (m) } } }
}

/// The hidden CSRF input every form carries.
#[must_use]
pub fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A form of one button posting to `action` (`class` may be empty).
#[must_use]
pub fn post_button(action: &str, csrf: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_input(csrf))
            button type="submit" class=[(!class.is_empty()).then_some(class)] { (label) }
        }
    }
}

/// A `select` with a visually hidden label. `id` must be unique on the page (it names
/// the row the list belongs to, e.g. `role-{member id}`).
#[must_use]
pub fn select(
    id: &str,
    name: &str,
    label: &str,
    options: &[(&str, &str)],
    selected: &str,
) -> Markup {
    html! {
        label.sr for=(id) { (label) }
        select id=(id) name=(name) {
            @for (value, text) in options {
                option value=(value) selected[*value == selected] { (text) }
            }
        }
    }
}

/// A labelled input with its error, if any: `Field::new(…)`, refined by its builder
/// methods, rendered with `(field)` inside `html!`.
#[derive(Clone, Copy)]
#[must_use]
pub struct Field<'a> {
    label: &'a str,
    name: &'a str,
    id: &'a str,
    kind: &'a str,
    value: &'a str,
    errors: &'a [FieldError],
    required: bool,
    autocomplete: Option<&'a str>,
    placeholder: Option<&'a str>,
    pattern: Option<&'a str>,
    minlength: Option<u32>,
    range: Option<(i64, i64)>,
    verbatim: bool,
}

impl<'a> Field<'a> {
    /// An input named `name` of HTML type `kind`, showing `value` and the error of
    /// `errors` whose field is `name`.
    pub const fn new(
        label: &'a str,
        name: &'a str,
        kind: &'a str,
        value: &'a str,
        errors: &'a [FieldError],
    ) -> Self {
        Self {
            label,
            name,
            id: name,
            kind,
            value,
            errors,
            required: false,
            autocomplete: None,
            placeholder: None,
            pattern: None,
            minlength: None,
            range: None,
            verbatim: false,
        }
    }

    /// The input's `id` when two forms of one page have a field of this name (it is
    /// the name otherwise).
    pub const fn id(self, id: &'a str) -> Self {
        Self { id, ..self }
    }

    /// `required`.
    pub const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    /// `autocomplete="…"`.
    pub const fn autocomplete(self, token: &'a str) -> Self {
        Self {
            autocomplete: Some(token),
            ..self
        }
    }

    /// `placeholder="…"`.
    pub const fn placeholder(self, text: &'a str) -> Self {
        Self {
            placeholder: Some(text),
            ..self
        }
    }

    /// `pattern="…"`.
    pub const fn pattern(self, regex: &'a str) -> Self {
        Self {
            pattern: Some(regex),
            ..self
        }
    }

    /// `minlength="…"`.
    pub const fn minlength(self, n: u32) -> Self {
        Self {
            minlength: Some(n),
            ..self
        }
    }

    /// `min="…" max="…"`.
    pub const fn range(self, min: i64, max: i64) -> Self {
        Self {
            range: Some((min, max)),
            ..self
        }
    }

    /// Typed exactly as it is (an identifier): no capitals, no spell check.
    pub const fn verbatim(self) -> Self {
        Self {
            verbatim: true,
            ..self
        }
    }
}

impl Render for Field<'_> {
    fn render(&self) -> Markup {
        let error = self.errors.iter().find(|e| e.field == self.name);
        let error_id = format!("{}-error", self.id);
        html! {
            div.field.invalid[error.is_some()] {
                label for=(self.id) { (self.label) }
                input id=(self.id) name=(self.name) type=(self.kind) value=(self.value)
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[error.map(|_| error_id.as_str())]
                    autocomplete=[self.autocomplete]
                    placeholder=[self.placeholder]
                    pattern=[self.pattern]
                    minlength=[self.minlength]
                    min=[self.range.map(|r| r.0)]
                    max=[self.range.map(|r| r.1)]
                    required[self.required]
                    autocapitalize=[self.verbatim.then_some("none")]
                    spellcheck=[self.verbatim.then_some("false")];
                @if let Some(e) = error { p.error id=(error_id) { (e.message) } }
            }
        }
    }
}

/// The message of the error in `errors` for field `name`, if any.
#[must_use]
pub fn field_error(errors: &[FieldError], name: &str) -> Markup {
    html! {
        @if let Some(e) = errors.iter().find(|e| e.field == name) {
            p.error id={ (name) "-error" } { (e.message) }
        }
    }
}

/// A labelled text area (no spell check: certificates and XML) with its error.
#[must_use]
pub fn textarea(label: &str, name: &str, value: &str, errors: &[FieldError], rows: u8) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            textarea id=(name) name=(name) rows=(rows) spellcheck="false" { (value) }
            (field_error(errors, name))
        }
    }
}

/// A labelled checkbox.
#[must_use]
pub fn checkbox(label: &str, name: &str, on: bool) -> Markup {
    html! { div.field { label { input type="checkbox" name=(name) checked[on]; " " (label) } } }
}

/// The page for a refusal that has no form to go back to.
#[must_use]
pub fn refusal(chrome: &Chrome<'_>, title: &str, text: &str) -> String {
    message(
        chrome,
        title,
        &html! { p { (text) } p { a href="/" { "Back to orgpass" } } },
    )
}
