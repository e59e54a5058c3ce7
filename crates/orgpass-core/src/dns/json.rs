//! The JSON flavour of DNS-over-HTTPS (`accept: application/dns-json`,
//! `?name=…&type=TXT`) that Cloudflare's and Google's public resolvers offer, read into
//! the same [`TxtAnswer`] as the wire format.
//!
//! A TXT record's `data` is its character-strings in presentation form, each quoted
//! (`"\"part one\" \"part two\""`, with `\"` and `\\` escapes and `\DDD` decimal
//! bytes); they are unquoted and concatenated as in the wire format.

use serde::Deserialize;

use super::{canonical, DnsError, Rcode, Txt, TxtAnswer, MAX_CNAME_CHAIN, TYPE_CNAME, TYPE_TXT};

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "Status")]
    status: u8,
    #[serde(rename = "TC", default)]
    truncated: bool,
    #[serde(rename = "Question", default)]
    question: Vec<Entry>,
    #[serde(rename = "Answer", default)]
    answer: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    #[serde(rename = "type")]
    rtype: u16,
    #[serde(rename = "TTL", default)]
    ttl: u32,
    #[serde(default)]
    data: String,
}

/// Unquotes the character-strings of a TXT `data` and concatenates them; unquoted
/// words are taken as they are.
///
/// # Errors
/// [`DnsError::BadTxt`] for an unterminated string or a bad escape.
pub fn unquote_txt(data: &str) -> Result<String, DnsError> {
    let mut out = Vec::new();
    let mut chars = data.bytes().peekable();
    while let Some(c) = chars.next() {
        match c {
            b'"' => loop {
                match chars.next().ok_or(DnsError::BadTxt)? {
                    b'"' => break,
                    b'\\' => {
                        let e = chars.next().ok_or(DnsError::BadTxt)?;
                        if e.is_ascii_digit() {
                            let d2 = chars
                                .next()
                                .filter(u8::is_ascii_digit)
                                .ok_or(DnsError::BadTxt)?;
                            let d3 = chars
                                .next()
                                .filter(u8::is_ascii_digit)
                                .ok_or(DnsError::BadTxt)?;
                            let n = u32::from(e - b'0') * 100
                                + u32::from(d2 - b'0') * 10
                                + u32::from(d3 - b'0');
                            out.push(u8::try_from(n).map_err(|_| DnsError::BadTxt)?);
                        } else {
                            out.push(e);
                        }
                    }
                    other => out.push(other),
                }
            },
            b' ' | b'\t' => {}
            other => out.push(other),
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Reads a JSON answer to a TXT question for `name`.
///
/// # Errors
/// [`DnsError::QuestionMismatch`] when it answers another question, [`DnsError::Truncated`]
/// for JSON that cannot be read, [`DnsError::TruncatedBySender`], [`DnsError::BadTxt`].
pub fn read_json_answer(body: &[u8], name: &str) -> Result<TxtAnswer, DnsError> {
    let m: Message = serde_json::from_slice(body).map_err(|_| DnsError::Truncated)?;
    if m.truncated {
        return Err(DnsError::TruncatedBySender);
    }
    let wanted = canonical(name);
    match m.question.as_slice() {
        [q] if canonical(&q.name) == wanted && q.rtype == TYPE_TXT => {}
        _ => return Err(DnsError::QuestionMismatch),
    }
    let rcode = match m.status {
        0 => Rcode::NoError,
        2 => Rcode::ServFail,
        3 => Rcode::NxDomain,
        other => Rcode::Other(other),
    };
    let mut target = wanted;
    for _ in 0..MAX_CNAME_CHAIN {
        match m
            .answer
            .iter()
            .find(|a| a.rtype == TYPE_CNAME && canonical(&a.name) == target)
        {
            Some(cname) => target = canonical(&cname.data),
            None => break,
        }
    }
    let records = m
        .answer
        .iter()
        .filter(|a| a.rtype == TYPE_TXT && canonical(&a.name) == target)
        .map(|a| {
            Ok(Txt {
                value: unquote_txt(&a.data)?,
                ttl: a.ttl,
            })
        })
        .collect::<Result<Vec<_>, DnsError>>()?;
    Ok(TxtAnswer { rcode, records })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "_orgpass-challenge.acme-example.com";

    #[test]
    fn reads_cloudflare_and_google_shapes() {
        // The shape both resolvers document for application/dns-json answers.
        let body = br#"{"Status":0,"TC":false,"RD":true,"RA":true,"AD":false,"CD":false,
            "Question":[{"name":"_orgpass-challenge.acme-example.com.","type":16}],
            "Answer":[{"name":"_orgpass-challenge.acme-example.com.","type":16,"TTL":299,
                       "data":"\"orgpass-verification=\" \"abc\""},
                      {"name":"_orgpass-challenge.acme-example.com.","type":16,"TTL":60,"data":"\"v=spf1 -all\""}]}"#;
        let a = read_json_answer(body, NAME).unwrap();
        assert_eq!(a.rcode, Rcode::NoError);
        let values: Vec<_> = a.records.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(values, ["orgpass-verification=abc", "v=spf1 -all"]);
        assert_eq!(a.min_ttl(), Some(60));
    }

    #[test]
    fn follows_cnames_and_reads_negative_answers() {
        let body = br#"{"Status":0,"Question":[{"name":"_orgpass-challenge.acme-example.com","type":16}],
            "Answer":[{"name":"_orgpass-challenge.acme-example.com.","type":5,"TTL":300,"data":"t.example."},
                      {"name":"t.example.","type":16,"TTL":30,"data":"\"x\""}]}"#;
        assert_eq!(
            read_json_answer(body, NAME).unwrap().records,
            vec![Txt {
                value: "x".into(),
                ttl: 30
            }]
        );
        let nx = br#"{"Status":3,"Question":[{"name":"_orgpass-challenge.acme-example.com.","type":16}]}"#;
        assert_eq!(read_json_answer(nx, NAME).unwrap().rcode, Rcode::NxDomain);
    }

    #[test]
    fn refuses_other_questions_and_bad_bodies() {
        let other = br#"{"Status":0,"Question":[{"name":"other.example.","type":16}]}"#;
        assert_eq!(
            read_json_answer(other, NAME),
            Err(DnsError::QuestionMismatch)
        );
        let tc = br#"{"Status":0,"TC":true,"Question":[{"name":"x","type":16}]}"#;
        assert_eq!(read_json_answer(tc, NAME), Err(DnsError::TruncatedBySender));
        assert_eq!(read_json_answer(b"<html>", NAME), Err(DnsError::Truncated));
    }

    #[test]
    fn unquotes_presentation_form() {
        assert_eq!(unquote_txt(r#""a\"b" "c\\d""#).unwrap(), "a\"bc\\d");
        assert_eq!(unquote_txt(r#""caf\195\169""#).unwrap(), "café");
        assert_eq!(unquote_txt("unquoted").unwrap(), "unquoted");
        for bad in [r#""open"#, r#""bad\9""#, r#""\999""#] {
            assert_eq!(unquote_txt(bad), Err(DnsError::BadTxt), "{bad}");
        }
    }
}
