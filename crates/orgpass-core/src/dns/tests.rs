//! The codec against hand-assembled messages (each byte explained), every malformed
//! shape, and every truncation of a valid answer. `tests/fixtures/dns/` adds answers
//! captured from a real DoH server (dnsdist in front of Knot).

use super::*;

const ID: u16 = 0xBEEF;

/// Assembles a response: header, the question for `qname`, then `answers`.
fn response(flags: u16, qname: &str, answers: &[Vec<u8>]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&ID.to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m.extend_from_slice(&u16::try_from(answers.len()).unwrap().to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    encode_name(qname, &mut m).unwrap();
    m.extend_from_slice(&TYPE_TXT.to_be_bytes());
    m.extend_from_slice(&CLASS_IN.to_be_bytes());
    for a in answers {
        m.extend_from_slice(a);
    }
    m
}

/// A record whose owner is a pointer to the question's name (offset 12).
fn record(rtype: u16, ttl: u32, data: &[u8]) -> Vec<u8> {
    let mut r = vec![0xC0, 12];
    r.extend_from_slice(&rtype.to_be_bytes());
    r.extend_from_slice(&CLASS_IN.to_be_bytes());
    r.extend_from_slice(&ttl.to_be_bytes());
    r.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
    r.extend_from_slice(data);
    r
}

fn txt_data(strings: &[&str]) -> Vec<u8> {
    let mut d = Vec::new();
    for s in strings {
        d.push(u8::try_from(s.len()).unwrap());
        d.extend_from_slice(s.as_bytes());
    }
    d
}

const NAME: &str = "_orgpass-challenge.acme-example.com";
const OK: u16 = 0x8180; // QR, RD, RA, NOERROR

#[test]
fn builds_the_query_of_rfc_1035() {
    let q = txt_query(0x1234, "Example.COM.").unwrap();
    assert_eq!(
        q,
        [
            0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, // id, RD, one question
            7, b'E', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'C', b'O', b'M', 0, // name
            0, 16, 0, 1, // TXT, IN
        ]
    );
    for bad in [
        "",
        ".",
        "a..b",
        &"x".repeat(64),
        &format!("{}.com", "a.".repeat(130)),
    ] {
        assert_eq!(txt_query(1, bad), Err(DnsError::InvalidName), "{bad}");
    }
}

#[test]
fn reads_one_record_of_several_strings() {
    let m = response(
        OK,
        NAME,
        &[record(
            TYPE_TXT,
            300,
            &txt_data(&["orgpass-verification=", "abc123"]),
        )],
    );
    let a = read_txt_answer(&m, ID, NAME).unwrap();
    assert_eq!(a.rcode, Rcode::NoError);
    assert_eq!(
        a.records,
        vec![Txt {
            value: "orgpass-verification=abc123".into(),
            ttl: 300
        }]
    );
    assert_eq!(a.min_ttl(), Some(300));
}

#[test]
fn reads_several_records_and_compares_names_case_insensitively() {
    let m = response(
        OK,
        NAME,
        &[
            record(TYPE_TXT, 300, &txt_data(&["v=spf1 -all"])),
            record(TYPE_TXT, 60, &txt_data(&["orgpass-verification=x"])),
        ],
    );
    let a = read_txt_answer(&m, ID, &NAME.to_uppercase()).unwrap();
    let values: Vec<_> = a.records.iter().map(|r| r.value.as_str()).collect();
    assert_eq!(values, ["v=spf1 -all", "orgpass-verification=x"]);
    assert_eq!(a.min_ttl(), Some(60));
}

#[test]
fn follows_a_cname_chain() {
    // NAME CNAME target.example (written out after the question), target.example TXT "t".
    let mut cname = record(TYPE_CNAME, 300, &[]);
    let mut target = Vec::new();
    encode_name("target.example", &mut target).unwrap();
    let len_at = cname.len() - 2;
    cname.truncate(len_at);
    cname.extend_from_slice(&u16::try_from(target.len()).unwrap().to_be_bytes());
    cname.extend_from_slice(&target);
    let question_end = 12 + NAME.len() + 2 + 4;
    let target_offset = question_end + 12; // after the CNAME record's fixed part
    let mut txt = vec![
        0xC0 | u8::try_from(target_offset >> 8).unwrap(),
        u8::try_from(target_offset & 0xFF).unwrap(),
    ];
    txt.extend_from_slice(&record(TYPE_TXT, 30, &txt_data(&["t"]))[2..]);
    let m = response(OK, NAME, &[cname, txt]);
    let a = read_txt_answer(&m, ID, NAME).unwrap();
    assert_eq!(
        a.records,
        vec![Txt {
            value: "t".into(),
            ttl: 30
        }]
    );
}

#[test]
fn negative_answers_carry_their_code() {
    let nx = read_txt_answer(&response(0x8183, NAME, &[]), ID, NAME).unwrap();
    assert_eq!((nx.rcode, nx.records.len()), (Rcode::NxDomain, 0));
    assert_eq!(nx.min_ttl(), None);
    let fail = read_txt_answer(&response(0x8182, NAME, &[]), ID, NAME).unwrap();
    assert_eq!(fail.rcode, Rcode::ServFail);
    let refused = read_txt_answer(&response(0x8185, NAME, &[]), ID, NAME).unwrap();
    assert_eq!(refused.rcode, Rcode::Other(5));
}

#[test]
fn refuses_answers_to_another_question() {
    let m = response(OK, NAME, &[]);
    assert_eq!(read_txt_answer(&m, ID + 1, NAME), Err(DnsError::IdMismatch));
    assert_eq!(
        read_txt_answer(&m, ID, "other.example"),
        Err(DnsError::QuestionMismatch)
    );
    assert_eq!(
        read_txt_answer(&response(0x0100, NAME, &[]), ID, NAME),
        Err(DnsError::NotAResponse)
    );
    assert_eq!(
        read_txt_answer(&response(0x8380, NAME, &[]), ID, NAME),
        Err(DnsError::TruncatedBySender)
    );
    let mut two_questions = m.clone();
    two_questions[5] = 2;
    assert_eq!(
        read_txt_answer(&two_questions, ID, NAME),
        Err(DnsError::QuestionMismatch)
    );
}

#[test]
fn refuses_pointer_loops_and_forward_pointers() {
    let mut m = response(OK, NAME, &[record(TYPE_TXT, 1, &txt_data(&["x"]))]);
    let owner = 12 + NAME.len() + 2 + 4;
    // Owner name pointing at itself.
    m[owner] = 0xC0 | u8::try_from(owner >> 8).unwrap();
    m[owner + 1] = u8::try_from(owner & 0xFF).unwrap();
    assert_eq!(read_txt_answer(&m, ID, NAME), Err(DnsError::BadPointer));
    // Pointing forwards.
    m[owner + 1] = u8::try_from((owner + 4) & 0xFF).unwrap();
    assert_eq!(read_txt_answer(&m, ID, NAME), Err(DnsError::BadPointer));
    // Reserved label type.
    m[owner] = 0x80;
    assert_eq!(read_txt_answer(&m, ID, NAME), Err(DnsError::BadLabel));
}

#[test]
fn refuses_txt_strings_that_overrun_their_record() {
    let m = response(OK, NAME, &[record(TYPE_TXT, 1, &[5, b'a', b'b'])]);
    assert_eq!(read_txt_answer(&m, ID, NAME), Err(DnsError::BadTxt));
}

#[test]
fn every_truncation_is_an_error_never_a_panic() {
    let m = response(
        OK,
        NAME,
        &[
            record(
                TYPE_TXT,
                300,
                &txt_data(&["orgpass-verification=", "abc123"]),
            ),
            record(TYPE_TXT, 60, &txt_data(&["second"])),
        ],
    );
    assert!(read_txt_answer(&m, ID, NAME).is_ok());
    for len in 0..m.len() {
        assert!(
            read_txt_answer(&m[..len], ID, NAME).is_err(),
            "accepted a message cut at {len}"
        );
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic sweep (the fuzz target goes further): every single-byte
    // change of a valid answer either parses or is refused.
    let m = response(OK, NAME, &[record(TYPE_TXT, 300, &txt_data(&["a", "b"]))]);
    for i in 0..m.len() {
        for v in [0x00, 0x01, 0x3F, 0x40, 0x80, 0xC0, 0xFF] {
            let mut x = m.clone();
            x[i] = v;
            let _ = read_txt_answer(&x, ID, NAME);
        }
    }
}

/// Answers captured from dnsdist in front of Knot (see tests/fixtures/dns/README.md).
mod real_server {
    use super::*;

    fn answer(case: &str, bytes: &[u8]) -> Result<TxtAnswer, DnsError> {
        read_txt_answer(bytes, 0xBEEF, &format!("_orgpass-challenge.{case}.example"))
    }

    fn values(a: &TxtAnswer) -> Vec<&str> {
        a.records.iter().map(|r| r.value.as_str()).collect()
    }

    #[test]
    fn present() {
        let a = answer(
            "present",
            include_bytes!("../../tests/fixtures/dns/present.bin"),
        )
        .unwrap();
        assert_eq!(a.rcode, Rcode::NoError);
        assert_eq!(
            a.records,
            vec![Txt {
                value: "orgpass-verification=Zm9vYmFy".into(),
                ttl: 300
            }]
        );
    }

    #[test]
    fn split_into_two_character_strings() {
        let a = answer(
            "split",
            include_bytes!("../../tests/fixtures/dns/split.bin"),
        )
        .unwrap();
        assert_eq!(values(&a), ["orgpass-verification=Zm9vYmFy"]);
        assert_eq!(a.min_ttl(), Some(120));
    }

    #[test]
    fn several_records() {
        let a = answer(
            "several",
            include_bytes!("../../tests/fixtures/dns/several.bin"),
        )
        .unwrap();
        let mut v = values(&a);
        v.sort_unstable();
        assert_eq!(v, ["orgpass-verification=Zm9vYmFy", "v=spf1 -all"]);
        assert_eq!(a.min_ttl(), Some(60));
    }

    #[test]
    fn wrong_value_is_reported_as_found() {
        let a = answer(
            "wrong",
            include_bytes!("../../tests/fixtures/dns/wrong.bin"),
        )
        .unwrap();
        assert_eq!(values(&a), ["orgpass-verification=not-the-value"]);
    }

    #[test]
    fn through_a_cname() {
        let a = answer(
            "alias",
            include_bytes!("../../tests/fixtures/dns/alias.bin"),
        )
        .unwrap();
        assert_eq!(
            a.records,
            vec![Txt {
                value: "orgpass-verification=viacname".into(),
                ttl: 45
            }]
        );
    }

    #[test]
    fn absent_is_nxdomain_without_records() {
        let a = answer(
            "absent",
            include_bytes!("../../tests/fixtures/dns/absent.bin"),
        )
        .unwrap();
        assert_eq!((a.rcode, a.records.len()), (Rcode::NxDomain, 0));
    }

    #[test]
    fn upstream_down_is_servfail() {
        let a = answer(
            "broken",
            include_bytes!("../../tests/fixtures/dns/servfail.bin"),
        )
        .unwrap();
        assert_eq!(a.rcode, Rcode::ServFail);
    }

    #[test]
    fn every_truncation_of_every_fixture_is_refused() {
        for bytes in [
            &include_bytes!("../../tests/fixtures/dns/present.bin")[..],
            &include_bytes!("../../tests/fixtures/dns/alias.bin")[..],
            &include_bytes!("../../tests/fixtures/dns/several.bin")[..],
        ] {
            for len in 0..bytes.len() {
                let cut = &bytes[..len];
                let refused = ["present", "alias", "several"]
                    .iter()
                    .all(|c| answer(c, cut).is_err());
                assert!(refused, "a message cut at {len} was accepted");
            }
        }
    }
}
