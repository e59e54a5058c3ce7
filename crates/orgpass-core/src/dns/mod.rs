//! DNS-over-HTTPS messages (pure): what domain verification needs of RFC 1035 and
//! RFC 8484 — a TXT query, and the reading of its answer.
//!
//! Written here rather than taken from a DNS crate: verification needs one query type
//! and one record type, and the general-purpose crates (hickory-proto and the like)
//! bring resolvers, DNSSEC and every record type into the Worker's wasm for it. What is
//! here is small enough to read in one sitting, refuses malformed input with a precise
//! [`DnsError`], never panics, and bounds every loop (compression pointers may only
//! point backwards, and a name may take at most [`MAX_POINTERS`] jumps).

use std::fmt;

pub mod json;

/// Query type TXT.
pub const TYPE_TXT: u16 = 16;
/// Record type CNAME.
pub const TYPE_CNAME: u16 = 5;
/// Class IN.
pub const CLASS_IN: u16 = 1;
/// Longest name, in presentation form without the final dot (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 253;
/// Compression jumps allowed while reading one name.
pub const MAX_POINTERS: usize = 32;
/// CNAME links followed from the question's name.
pub const MAX_CNAME_CHAIN: usize = 8;

/// Why a name could not be encoded or a message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsError {
    /// A name is empty, too long, or has an empty or over-long label.
    InvalidName,
    /// The message ends before what it announces.
    Truncated,
    /// The message is not a response (QR bit clear) or has an unknown opcode.
    NotAResponse,
    /// The response's id is not the query's.
    IdMismatch,
    /// The response does not echo the question asked.
    QuestionMismatch,
    /// The server truncated the answer (TC bit): the full answer needs TCP.
    TruncatedBySender,
    /// A compression pointer points forwards or at itself, or too many jumps.
    BadPointer,
    /// A label type this codec does not know (the reserved `01`/`10` prefixes).
    BadLabel,
    /// A TXT record's character-strings overrun its data.
    BadTxt,
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The response code, as far as verification cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rcode {
    /// NOERROR.
    NoError,
    /// NXDOMAIN: the name does not exist (so: no record).
    NxDomain,
    /// SERVFAIL: the resolver could not answer (so: try later).
    ServFail,
    /// Any other code (REFUSED, FORMERR, …).
    Other(u8),
}

/// One TXT record: its character-strings concatenated (RFC 7208 §3.3 style), and its
/// time to live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Txt {
    /// The value, character-strings joined without separator; bytes that are not UTF-8
    /// are replaced.
    pub value: String,
    /// Seconds the answer may be cached.
    pub ttl: u32,
}

/// What a TXT answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxtAnswer {
    /// The response code.
    pub rcode: Rcode,
    /// TXT records at the question's name (after following CNAMEs), in answer order.
    pub records: Vec<Txt>,
}

impl TxtAnswer {
    /// How long the whole answer may be cached: the smallest TTL of its records
    /// (a negative answer carries none; callers choose their own).
    #[must_use]
    pub fn min_ttl(&self) -> Option<u32> {
        self.records.iter().map(|r| r.ttl).min()
    }
}

/// Normalises a name for comparison: lower case, no final dot.
fn canonical(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    let name = name.trim_end_matches('.');
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(DnsError::InvalidName);
    }
    for label in name.split('.') {
        let len = u8::try_from(label.len()).map_err(|_| DnsError::InvalidName)?;
        if len == 0 || len > 63 {
            return Err(DnsError::InvalidName);
        }
        out.push(len);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// A TXT query for `name` with id `id` and recursion desired, in wire format (the body
/// of an RFC 8484 POST, or base64url-encoded for GET).
///
/// # Errors
/// [`DnsError::InvalidName`].
pub fn txt_query(id: u16, name: &str) -> Result<Vec<u8>, DnsError> {
    let mut out = Vec::with_capacity(18 + name.len());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00]); // RD
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QDCOUNT 1
    encode_name(name, &mut out)?;
    out.extend_from_slice(&TYPE_TXT.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

/// A bounds-checked reader over a message.
struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, DnsError> {
        let b = *self.msg.get(self.pos).ok_or(DnsError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, DnsError> {
        Ok(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }

    fn u32(&mut self) -> Result<u32, DnsError> {
        Ok(u32::from_be_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], DnsError> {
        let end = self.pos.checked_add(n).ok_or(DnsError::Truncated)?;
        let slice = self.msg.get(self.pos..end).ok_or(DnsError::Truncated)?;
        self.pos = end;
        Ok(slice)
    }

    /// Reads a possibly compressed name at the current position.
    fn name(&mut self) -> Result<String, DnsError> {
        let (name, next) = read_name(self.msg, self.pos)?;
        self.pos = next;
        Ok(name)
    }
}

/// Reads the name at `start`; returns it (lower case, dotted, no final dot) and the
/// position after it in the message (after the first pointer, if any).
fn read_name(msg: &[u8], start: usize) -> Result<(String, usize), DnsError> {
    let mut name = String::new();
    let mut pos = start;
    let mut after = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Truncated)?;
        match len & 0xC0 {
            0x00 => {
                pos += 1;
                if len == 0 {
                    break;
                }
                let label = msg
                    .get(pos..pos + usize::from(len))
                    .ok_or(DnsError::Truncated)?;
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(&String::from_utf8_lossy(label).to_ascii_lowercase());
                if name.len() > MAX_NAME_LEN {
                    return Err(DnsError::InvalidName);
                }
                pos += usize::from(len);
            }
            0xC0 => {
                let low = *msg.get(pos + 1).ok_or(DnsError::Truncated)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3F, low]));
                // Only backwards: no loops, and every jump makes progress.
                if target >= pos || jumps >= MAX_POINTERS {
                    return Err(DnsError::BadPointer);
                }
                jumps += 1;
                after.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(DnsError::BadLabel),
        }
    }
    Ok((name, after.unwrap_or(pos)))
}

/// A resource record of the answer section.
struct Record<'a> {
    name: String,
    rtype: u16,
    class: u16,
    ttl: u32,
    data_start: usize,
    data: &'a [u8],
}

fn read_record<'a>(r: &mut Reader<'a>) -> Result<Record<'a>, DnsError> {
    let name = r.name()?;
    let rtype = r.u16()?;
    let class = r.u16()?;
    let ttl = r.u32()?;
    let len = usize::from(r.u16()?);
    let data_start = r.pos;
    let data = r.bytes(len)?;
    Ok(Record {
        name,
        rtype,
        class,
        ttl,
        data_start,
        data,
    })
}

fn read_txt(data: &[u8]) -> Result<String, DnsError> {
    let mut value = Vec::with_capacity(data.len());
    let mut pos = 0;
    while pos < data.len() {
        let len = usize::from(*data.get(pos).ok_or(DnsError::BadTxt)?);
        let chunk = data.get(pos + 1..pos + 1 + len).ok_or(DnsError::BadTxt)?;
        value.extend_from_slice(chunk);
        pos += 1 + len;
    }
    Ok(String::from_utf8_lossy(&value).into_owned())
}

/// Reads the response to [`txt_query`]`(id, name)`: checks that it answers that query,
/// follows CNAMEs from the name, and returns the TXT records found at its end.
///
/// # Errors
/// [`DnsError`] for a malformed or mismatched message.
pub fn read_txt_answer(msg: &[u8], id: u16, name: &str) -> Result<TxtAnswer, DnsError> {
    let mut r = Reader { msg, pos: 0 };
    if r.u16()? != id {
        return Err(DnsError::IdMismatch);
    }
    let flags = r.u16()?;
    if flags & 0x8000 == 0 || (flags >> 11) & 0x0F != 0 {
        return Err(DnsError::NotAResponse);
    }
    if flags & 0x0200 != 0 {
        return Err(DnsError::TruncatedBySender);
    }
    let rcode = match flags & 0x000F {
        0 => Rcode::NoError,
        2 => Rcode::ServFail,
        3 => Rcode::NxDomain,
        #[allow(clippy::cast_possible_truncation)]
        other => Rcode::Other(other as u8),
    };
    let (qd, an) = (r.u16()?, r.u16()?);
    let _authority_and_additional = r.bytes(4)?;
    if qd != 1 {
        return Err(DnsError::QuestionMismatch);
    }
    let wanted = canonical(name);
    let (qname, qtype, qclass) = (r.name()?, r.u16()?, r.u16()?);
    if qname != wanted || qtype != TYPE_TXT || qclass != CLASS_IN {
        return Err(DnsError::QuestionMismatch);
    }

    let mut records = Vec::with_capacity(usize::from(an));
    for _ in 0..an {
        records.push(read_record(&mut r)?);
    }
    // Follow CNAMEs from the question's name (bounded), then take the TXT records there.
    let mut target = wanted;
    for _ in 0..MAX_CNAME_CHAIN {
        let Some(cname) = records
            .iter()
            .find(|rec| rec.rtype == TYPE_CNAME && rec.class == CLASS_IN && rec.name == target)
        else {
            break;
        };
        target = read_name(msg, cname.data_start)?.0;
    }
    let txt = records
        .iter()
        .filter(|rec| rec.rtype == TYPE_TXT && rec.class == CLASS_IN && rec.name == target)
        .map(|rec| {
            Ok(Txt {
                value: read_txt(rec.data)?,
                ttl: rec.ttl,
            })
        })
        .collect::<Result<Vec<_>, DnsError>>()?;
    Ok(TxtAnswer {
        rcode,
        records: txt,
    })
}

#[cfg(test)]
mod tests;
