//! `saml-verify`: verifies one SAML Response with the same core the ACS uses, for
//! support staff and benchmarks.
//!
//! ```text
//! saml-verify --idp-cert FILE [--idp-cert FILE] --idp-entity-id ID --sp-entity-id ID
//!             --acs URL [--in-response-to ID] [--allow-idp-initiated] [--allow-sha1]
//!             [--clock-skew SECONDS] [--now RFC3339] FILE|-
//! ```
//! FILE holds the response as XML or as the base64 of the POST binding. Prints
//! `{"ok":true,…}` and exits 0, or `{"ok":false,"error":"<variant>"}` and exits 1;
//! wrong usage or an unreadable file exits 2.

use std::{collections::BTreeMap, io::Read as _, process::ExitCode};

use saml_sp::{decode_base64, verify_response, Certificate, Expectations, SamlError, Timestamp};
use serde::Serialize;

const USAGE: &str = "usage: saml-verify --idp-cert FILE [--idp-cert FILE] --idp-entity-id ID \
--sp-entity-id ID --acs URL [--in-response-to ID] [--allow-idp-initiated] [--allow-sha1] \
[--clock-skew SECONDS] [--now RFC3339] FILE|-";

#[derive(Default)]
struct Args {
    certs: Vec<String>,
    idp_entity_id: Option<String>,
    sp_entity_id: Option<String>,
    acs: Option<String>,
    in_response_to: Option<String>,
    allow_idp_initiated: bool,
    allow_sha1: bool,
    clock_skew: i64,
    now: Option<Timestamp>,
    input: Option<String>,
}

#[derive(Serialize)]
struct Success<'a> {
    ok: bool,
    name_id: &'a str,
    attributes: &'a BTreeMap<String, Vec<String>>,
    assertion_id: &'a str,
    not_on_or_after: String,
    name_id_format: Option<&'a str>,
    session_index: Option<&'a str>,
    issuer: &'a str,
    in_response_to: Option<&'a str>,
    response_signed: bool,
    assertion_signed: bool,
    certificate_sha256: &'a str,
}

#[derive(Serialize)]
struct Failure {
    ok: bool,
    error: &'static str,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        clock_skew: 180,
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--idp-cert" => args.certs.push(value()?),
            "--idp-entity-id" => args.idp_entity_id = Some(value()?),
            "--sp-entity-id" => args.sp_entity_id = Some(value()?),
            "--acs" => args.acs = Some(value()?),
            "--in-response-to" => args.in_response_to = Some(value()?),
            "--allow-idp-initiated" => args.allow_idp_initiated = true,
            "--allow-sha1" => args.allow_sha1 = true,
            "--clock-skew" => {
                args.clock_skew = value()?
                    .parse()
                    .map_err(|_| "--clock-skew takes seconds".to_owned())?;
            }
            "--now" => {
                let v = value()?;
                args.now = Some(
                    Timestamp::parse_rfc3339(&v)
                        .ok_or_else(|| format!("--now: not RFC 3339: {v}"))?,
                );
            }
            "-h" | "--help" => return Err(String::new()),
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ if args.input.is_none() => args.input = Some(arg),
            _ => return Err("one input file only".to_owned()),
        }
    }
    if args.certs.is_empty() {
        return Err("at least one --idp-cert is needed".to_owned());
    }
    Ok(args)
}

/// The clock, read once, here at the edge of the world (the core takes time as a parameter).
#[allow(clippy::disallowed_methods)]
fn system_now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_millis(ms)
}

fn read_input(path: &str) -> Result<Vec<u8>, String> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("stdin: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| format!("{path}: {e}"))
    }
}

fn verify(args: &Args, raw: &[u8]) -> Result<String, SamlError> {
    let mut certificates = Vec::new();
    for text in &args.certs {
        certificates.push(Certificate::parse(text)?.key().clone());
    }
    let xml = if raw.trim_ascii_start().starts_with(b"<") {
        raw.to_vec()
    } else {
        decode_base64(raw)?
    };
    let expect = Expectations {
        idp_entity_id: args.idp_entity_id.as_deref().unwrap_or_default(),
        sp_entity_id: args.sp_entity_id.as_deref().unwrap_or_default(),
        acs_url: args.acs.as_deref().unwrap_or_default(),
        keys: &certificates,
        in_response_to: args.in_response_to.as_deref(),
        allow_idp_initiated: args.allow_idp_initiated,
        allow_sha1: args.allow_sha1,
        clock_skew_seconds: args.clock_skew,
        now: args.now.unwrap_or_else(system_now),
    };
    let login = verify_response(&xml, &expect)?;
    Ok(serde_json::to_string(&Success {
        ok: true,
        name_id: login.name_id(),
        attributes: login.attributes(),
        assertion_id: login.assertion_id(),
        not_on_or_after: login.not_on_or_after().to_rfc3339(),
        name_id_format: login.name_id_format(),
        session_index: login.session_index(),
        issuer: login.issuer(),
        in_response_to: login.in_response_to(),
        response_signed: login.response_signed(),
        assertion_signed: login.assertion_signed(),
        certificate_sha256: login.certificate_fingerprint(),
    })
    .unwrap_or_default())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("saml-verify: {why}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut args = args;
    let mut certs = Vec::new();
    for path in &args.certs {
        match std::fs::read_to_string(path) {
            Ok(text) => certs.push(text),
            Err(e) => {
                eprintln!("saml-verify: {path}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    args.certs = certs;
    let raw = match read_input(args.input.as_deref().unwrap_or("-")) {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("saml-verify: {e}");
            return ExitCode::from(2);
        }
    };
    match verify(&args, &raw) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let failure = Failure {
                ok: false,
                error: e.code(),
            };
            println!("{}", serde_json::to_string(&failure).unwrap_or_default());
            ExitCode::from(1)
        }
    }
}
