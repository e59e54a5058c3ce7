//! Single sign-on: the Authentication and Managed accounts tabs, the "Log in with
//! managed account" form, the account-switch question and the ACS's failure page.

use std::collections::HashMap;

use orgpass_app::{
    orgs::OrgView,
    pages::ManagedAccountsTab,
    ports::{AccountRecord, ProvisioningFacts, SsoFailureRecord},
    sso::SamlView,
};
use orgpass_core::{
    saml_settings::{pem, Expiry, DEFAULT_CLOCK_SKEW_SECONDS},
    Timestamp,
};

use crate::views::{
    checkbox, csrf_input, field_error, html, message, page, post_button, settings_frame, textarea,
    Chrome, Feedback, Field, Markup,
};

/// The Authentication tab: what the IdP needs, the current settings, the forms that
/// save them or import metadata, the last failures, and SCIM provisioning.
#[must_use]
#[allow(clippy::too_many_arguments)]
pub fn authentication(
    chrome: &Chrome<'_>,
    view: &OrgView,
    saml: &SamlView,
    failures: &[SsoFailureRecord],
    scim: &Provisioning<'_>,
    feedback: &Feedback<'_>,
    typed: &HashMap<String, String>,
    now: Timestamp,
) -> String {
    let org = &view.org;
    let key = org.space_key.as_str();
    let csrf = chrome.csrf;
    let errors = feedback.errors;
    let settings = saml.record.as_ref().map(|r| &r.settings);
    let value = |name: &str, stored: Option<String>| {
        typed.get(name).cloned().or(stored).unwrap_or_default()
    };
    let cert = |i: usize| settings.and_then(|s| s.certificates.get(i)).map(pem);
    let skew = value(
        "clock_skew_seconds",
        Some(
            settings
                .map_or(DEFAULT_CLOCK_SKEW_SECONDS, |s| s.clock_skew_seconds)
                .to_string(),
        ),
    );
    let idp_initiated = typed.get("allow_idp_initiated").is_some()
        || (typed.is_empty() && settings.is_some_and(|s| s.allow_idp_initiated));
    let sha1 = typed.get("allow_sha1").is_some()
        || (typed.is_empty() && settings.is_some_and(|s| s.allow_sha1));
    let options = html! {
        (checkbox("Allow IdP-initiated login", "allow_idp_initiated", idp_initiated))
        (Field::new("Allowed clock skew (seconds, 0–600)", "clock_skew_seconds", "number", &skew, errors).range(0, 600))
        (checkbox("Allow SHA-1 signatures (only if your IdP cannot do better)", "allow_sha1", sha1))
    };
    let entity_id = value("idp_entity_id", settings.map(|s| s.idp_entity_id.clone()));
    let sso_url = value("idp_sso_url", settings.map(|s| s.idp_sso_url.clone()));
    let body = html! {
        @if !org.pass.sso_allowed(now) {
            p.alert role="alert" { "The single sign-on add-on is not in its trial or active: SAML settings cannot be changed and managed accounts cannot log in. See the Plan tab." }
        }
        p {
            "Organization ID for single sign-on: " code { (org.organization_id.as_str()) }
            " (people type it at “Log in with managed account”)."
        }
        h2 { "For your identity provider" }
        dl.facts {
            dt { "SP entity ID (Audience)" } dd { code id="sp-entity-id" { (saml.sp.entity_id) } }
            dt { "ACS URL (HTTP-POST)" } dd { code id="acs-url" { (saml.sp.acs_url) } }
            dt { "NameID format" } dd { code { "emailAddress" } }
            dt { "SP metadata" } dd { a href=(saml.sp.metadata_url) id="sp-metadata" { (saml.sp.metadata_url) } }
        }
        @match (&saml.record, settings) {
            (Some(record), Some(s)) => {
                h2 { "Current settings" }
                dl.facts id="saml-current" {
                    dt { "IdP entity ID" } dd { code { (s.idp_entity_id) } }
                    dt { "IdP SSO URL" } dd { code { (s.idp_sso_url) } }
                    dt { "Signing certificates" }
                    dd {
                        ul {
                            @for c in &s.certificates {
                                li.certificate {
                                    (c.subject()) " · " (c.key_description()) " · expires " (c.not_after().to_rfc3339())
                                    @match Expiry::of(c, now) {
                                        Expiry::Valid => {}
                                        Expiry::Soon(days) => { " " strong.warning { "expires in " (days) " days: add the IdP's next certificate" } }
                                        Expiry::Expired => { " " strong.warning { "expired (still trusted because it is configured; replace it when the IdP rotates)" } }
                                    }
                                    br;
                                    code.muted { "SHA-256 " (c.fingerprint_sha256()) }
                                }
                            }
                        }
                    }
                    dt { "IdP-initiated login" } dd { (if s.allow_idp_initiated { "allowed" } else { "not allowed" }) }
                    dt { "Clock skew" } dd { (s.clock_skew_seconds) " s" }
                    dt { "SHA-1" } dd { (if s.allow_sha1 { "allowed" } else { "refused" }) }
                    dt { "Saved" } dd { (record.updated_at.to_rfc3339()) }
                }
                (post_button(&format!("/orgs/{key}/settings/authentication/delete"), csrf, "Remove SAML settings", "link"))
            }
            _ => { p id="saml-current" { "SAML is not configured yet." } }
        }
        h2 { "Configure" }
        form method="post" action={ "/orgs/" (key) "/settings/authentication/save" } novalidate id="saml-form" {
            (csrf_input(csrf))
            (Field::new("IdP entity ID (Issuer)", "idp_entity_id", "text", &entity_id, errors).required())
            (Field::new("IdP SSO URL (HTTP-Redirect)", "idp_sso_url", "url", &sso_url, errors).required())
            (textarea("Signing certificate (PEM)", "certificate_1", &value("certificate_1", cert(0)), errors, 6))
            (textarea("Second signing certificate, during a rotation (optional)", "certificate_2", &value("certificate_2", cert(1)), &[], 4))
            (options)
            button type="submit" { "Save SAML settings" }
        }
        (field_error(errors, "idp_certificates"))
        h2 { "Or import the IdP's metadata" }
        form method="post" action={ "/orgs/" (key) "/settings/authentication/import" } novalidate id="metadata-form" {
            (csrf_input(csrf))
            (textarea("IdP metadata XML", "idp_metadata_xml", typed.get("idp_metadata_xml").map_or("", String::as_str), errors, 8))
            (options)
            button type="submit" { "Import metadata" }
        }
        h2 { "Last single sign-on failures" }
        @if failures.is_empty() {
            p.muted id="sso-failures" { "No single sign-on failures." }
        } @else {
            table id="sso-failures" {
                thead { tr { th { "Time" } th { "Reference" } th { "Cause" } th { "NameID" } } }
                tbody {
                    @for f in failures {
                        tr {
                            td { (f.at.to_rfc3339()) }
                            td { code { (f.reference) } }
                            td { (f.variant) }
                            td { (f.name_id.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            }
        }
    };
    let body = html! { (body) (provisioning(scim, key, csrf)) };
    settings_frame(chrome, view, "Authentication", feedback, &body)
}

/// What the Authentication tab shows of SCIM provisioning.
pub struct Provisioning<'a> {
    /// The tokens and the counts.
    pub facts: &'a ProvisioningFacts,
    /// `{BASE_URL}/scim/v2/{org}`.
    pub base_url: &'a str,
    /// A token's secret, on the one answer that created it.
    pub new_secret: Option<&'a str>,
}

fn provisioning(scim: &Provisioning<'_>, key: &str, csrf: &str) -> Markup {
    let facts = scim.facts;
    html! {
        h2 id="provisioning" { "Provisioning (SCIM 2.0)" }
        p { "Your identity provider (Okta, Entra ID, …) creates, updates, deactivates and deletes this organization's managed accounts over SCIM. Give it the base URL and a provisioning token." }
        dl.facts {
            dt { "SCIM base URL" } dd { code id="scim-base-url" { (scim.base_url) } }
            dt { "Authentication" } dd { "HTTP header " code { "Authorization: Bearer <token>" } }
            dt { "Last sync" } dd id="scim-last-sync" { (facts.last_sync().map_or_else(|| "never".to_owned(), |t| t.to_rfc3339())) }
            dt { "Provisioned accounts" }
            dd id="scim-provisioned" {
                (facts.provisioned)
                @if facts.deactivated > 0 { " (" (facts.deactivated) " deactivated)" }
                " · " a href={ "/orgs/" (key) "/settings/managed-accounts" } { "see managed accounts" }
            }
        }
        @if let Some(secret) = scim.new_secret {
            div.notice role="status" id="scim-new-token" {
                p { strong { "Your new provisioning token" } " (shown only now; orgpass keeps only its hash):" }
                p { code id="scim-secret" { (secret) } }
            }
        }
        @if facts.tokens.is_empty() {
            p.muted id="scim-tokens" { "No provisioning tokens." }
        } @else {
            table id="scim-tokens" {
                thead { tr { th { "Token" } th { "Created" } th { "Last used" } th { "Status" } th {} } }
                tbody {
                    @for t in &facts.tokens {
                        tr id={ "scim-token-" (t.id) } {
                            td { code { (t.id) } }
                            td { (t.created_at.to_rfc3339()) }
                            td { (t.last_used_at.map_or_else(|| "never".to_owned(), |u| u.to_rfc3339())) }
                            td.token-status {
                                @if t.active { "works" } @else { "stopped: the administrator who created it is no longer one" }
                            }
                            td { (post_button(&format!("/orgs/{key}/settings/authentication/scim-tokens/{}/revoke", t.id), csrf, "Revoke", "link")) }
                        }
                    }
                }
            }
        }
        (post_button(&format!("/orgs/{key}/settings/authentication/scim-tokens/create"), csrf, "Create a provisioning token", "button"))
        h3 { "Provisioned accounts" }
        @if facts.accounts.is_empty() {
            p.muted id="scim-accounts" { "Your identity provider has not provisioned anyone yet." }
        } @else {
            table id="scim-accounts" {
                thead { tr { th { "Account" } th { "State" } th { "Last written" } } }
                tbody {
                    @for a in &facts.accounts {
                        tr id={ "scim-account-" (a.id) } {
                            td { (a.email.as_str()) }
                            td { @if a.active { "active" } @else { strong { "deactivated" } } }
                            td { (a.updated_at.to_rfc3339()) }
                        }
                    }
                }
            }
            @if facts.provisioned > facts.accounts.len() as u64 {
                p.muted { "The first " (facts.accounts.len()) " of " (facts.provisioned) ", by email." }
            }
        }
        h3 { "Last errors" }
        @if facts.errors.is_empty() {
            p.muted id="scim-errors" { "No request of your identity provider has been refused." }
        } @else {
            p { "The last requests orgpass refused, newest first (your identity provider shows them too):" }
            table id="scim-errors" {
                thead { tr { th { "When" } th { "Request" } th { "Answer" } th { "Why" } } }
                tbody {
                    @for e in &facts.errors {
                        tr {
                            td { (e.at.to_rfc3339()) }
                            td { code { (e.request) } }
                            td { (e.status) @if let Some(t) = &e.scim_type { " " code { (t) } } }
                            td { (e.detail) }
                        }
                    }
                }
            }
        }
    }
}

/// The Managed accounts tab: the organization's managed accounts and the form that
/// creates one.
#[must_use]
pub fn managed_accounts(
    chrome: &Chrome<'_>,
    tab: &ManagedAccountsTab,
    feedback: &Feedback<'_>,
    typed: &HashMap<String, String>,
) -> String {
    let csrf = chrome.csrf;
    let (view, managed, groups) = (&tab.view, &tab.managed, &tab.groups);
    let key = view.org.space_key.as_str();
    let errors = feedback.errors;
    let typed_role = typed.get("role").map_or("member", String::as_str);
    let typed_value = |name: &str| typed.get(name).map_or("", String::as_str);
    let body = html! {
        p { "Managed accounts belong to this organization and log in only through its SAML single sign-on (no password). Their email must be in a verified domain." }
        @if managed.is_empty() {
            p.muted { "No managed accounts yet." }
        } @else {
            table id="managed-accounts" {
                thead { tr { th { "Person" } th { "Role" } th {} } }
                tbody {
                    @for m in managed {
                        tr id={ "managed-" (m.account_id) } {
                            td { (m.name) br; span.muted { (m.email.as_str()) } }
                            td { (m.membership.role.as_str()) }
                            td { (post_button(&format!("/orgs/{key}/settings/managed-accounts/{}/delete", m.account_id), csrf, "Delete account", "link")) }
                        }
                    }
                }
            }
        }
        h2 { "Create a managed account" }
        form method="post" action={ "/orgs/" (key) "/settings/managed-accounts/create" } novalidate id="managed-form" {
            (csrf_input(csrf))
            (Field::new("Email", "email", "email", typed_value("email"), errors).required())
            (Field::new("Name", "name", "text", typed_value("name"), errors).required())
            div.field {
                label for="role" { "Role" }
                select id="role" name="role" {
                    @for r in ["member", "guest", "administrator"] {
                        option value=(r) selected[r == typed_role] { (r) }
                    }
                }
            }
            @if !groups.is_empty() {
                fieldset.field {
                    legend { "Groups" }
                    @for g in groups {
                        label { input type="checkbox" name="group_ids" value=(g.id); " " (g.name) } " "
                    }
                    (field_error(errors, "group_ids"))
                }
            }
            button type="submit" { "Create managed account" }
        }
    };
    settings_frame(chrome, view, "Managed accounts", feedback, &body)
}

/// "You are logged in as … — continue as …?"
#[must_use]
pub fn confirm_switch(
    chrome: &Chrome<'_>,
    csrf: &str,
    signed_in: &AccountRecord,
    login: &AccountRecord,
    return_to: &str,
) -> String {
    let current = signed_in.email.as_str();
    let new = login.email.as_str();
    let body = html! {
        section.card {
            h1 { "Switch account?" }
            p {
                "You are logged in as " strong { (current) }
                ". Your identity provider has just logged you in as " strong { (new) } "."
            }
            p { "If you did not start this login, stay as you are: someone may be trying to sign you in to their account." }
            form method="post" action="/login/sso/continue" {
                (csrf_input(csrf))
                input type="hidden" name="return_to" value=(return_to);
                button type="submit" { "Continue as " (new) }
            }
            p { a href=(return_to) { "Stay logged in as " (current) } }
        }
    };
    page("Switch account?", chrome, &body)
}

/// The "Log in with managed account" form; `neutral`: the answer for an ID that cannot
/// start single sign-on.
#[must_use]
pub fn sso_form(chrome: &Chrome<'_>, return_to: &str, typed: &str, neutral: bool) -> String {
    let body = html! {
        section.card {
            h1 { "Log in with managed account" }
            @if neutral {
                p.alert role="alert" id="sso-unavailable" { "Single sign-on cannot start for this organization ID. Check the ID with your administrator; if it is right, single sign-on may not be set up or active for it." }
            }
            p { "Your organization's administrator gave you an organization ID. You will be sent to your company's identity provider to log in." }
            form method="get" action="/login/sso" {
                input type="hidden" name="return_to" value=(return_to);
                (Field::new("Organization ID", "organization_id", "text", typed, &[]).autocomplete("organization").required().verbatim())
                button type="submit" { "Continue" }
            }
            p.muted { a href="/login" { "Log in with a password" } " instead." }
        }
    };
    page("Log in with managed account", chrome, &body)
}

/// The ACS's refusal: what happened, what an administrator should check, the reference.
#[must_use]
pub fn failure(chrome: &Chrome<'_>, what: &str, check: &str, reference: &str) -> String {
    let body: Markup = html! {
        p { (what) }
        p { (check) }
        p {
            "Reference: " code id="reference" { (reference) }
            " (give it to your administrator; it is in their list of single sign-on failures)."
        }
        p { a href="/login/sso" { "Log in with managed account" } " · " a href="/login" { "Log in with a password" } }
    };
    message(chrome, "Single sign-on failed", &body)
}
