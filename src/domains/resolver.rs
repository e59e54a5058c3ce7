//! The resolver port over DNS-over-HTTPS (RFC 8484): a GET of
//! `DOH_URL?dns=<base64url query>` with a 2-second timeout and one retry, cached in KV
//! for exactly the answer's TTL (KV holds nothing for less than 60 seconds, so shorter
//! TTLs are not cached; a negative answer is never cached, so a record just published
//! is seen at once). NXDOMAIN or
//! no TXT means "no record"; SERVFAIL and other codes, timeouts, connection errors,
//! non-200 answers and bodies that are not the answer to our query mean "resolver
//! unavailable" (dnsdist, for one, answers an HTTP error with a text body when its
//! upstream is down).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use orgpass_app::ports::{Random, Resolver, ResolverUnavailable};
use orgpass_core::dns::{json::read_json_answer, read_txt_answer, txt_query, Rcode};
use worker::{AbortSignal, Fetch, Headers, KvStore, Method, Request, RequestInit};

/// Per-attempt timeout.
pub const TIMEOUT_MS: u32 = 2_000;

/// Attempts per lookup.
pub const ATTEMPTS: u32 = 2;

/// KV's shortest expiration.
const KV_MIN_TTL: u32 = 60;

/// How queries are sent (`DOH_METHOD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DohMethod {
    /// RFC 8484 GET with `?dns=` (the default).
    Get,
    /// RFC 8484 POST of `application/dns-message`.
    Post,
    /// The JSON flavour (`?name=…&type=TXT`, `accept: application/dns-json`) of
    /// Cloudflare's and Google's public resolvers.
    Json,
}

impl DohMethod {
    /// Reads `DOH_METHOD` (`GET`, `POST`, `JSON`; anything else is GET).
    #[must_use]
    pub fn parse(value: Option<&str>) -> Self {
        match value.map(str::to_ascii_uppercase).as_deref() {
            Some("POST") => Self::Post,
            Some("JSON") => Self::Json,
            _ => Self::Get,
        }
    }
}

/// A DoH resolver at `url`, caching in `cache`.
pub struct DohResolver {
    /// The endpoint (`DOH_URL`).
    pub url: String,
    /// How queries are sent.
    pub method: DohMethod,
    /// The KV namespace for answers, if bound.
    pub cache: Option<KvStore>,
    /// DoH requests made (for the request log and benchmarks).
    pub fetches: std::rc::Rc<std::cell::Cell<u32>>,
}

fn unavailable(what: impl std::fmt::Display) -> ResolverUnavailable {
    ResolverUnavailable(format!("doh: {what}"))
}

impl DohResolver {
    /// One lookup: the TXT values and the smallest TTL among them.
    async fn attempt(&self, name: &str) -> Result<(Vec<String>, Option<u32>), ResolverUnavailable> {
        let mut id = [0u8; 2];
        crate::platform::crypto::PlatformRandom
            .fill(&mut id)
            .map_err(|e| unavailable(e.0))?;
        // RFC 8484 recommends id 0 for cacheable GETs; a random id costs nothing here and
        // ties the answer to this query.
        let id = u16::from_be_bytes(id);
        let separator = if self.url.contains('?') { '&' } else { '?' };
        let headers = Headers::new();
        let mut init = RequestInit::new();
        let url = match self.method {
            DohMethod::Get => {
                let query = txt_query(id, name).map_err(unavailable)?;
                headers
                    .set("accept", "application/dns-message")
                    .map_err(unavailable)?;
                init.with_method(Method::Get);
                format!("{}{separator}dns={}", self.url, B64URL.encode(query))
            }
            DohMethod::Post => {
                let query = txt_query(id, name).map_err(unavailable)?;
                headers
                    .set("accept", "application/dns-message")
                    .map_err(unavailable)?;
                headers
                    .set("content-type", "application/dns-message")
                    .map_err(unavailable)?;
                let body = worker::js_sys::Uint8Array::from(query.as_slice());
                init.with_method(Method::Post).with_body(Some(body.into()));
                self.url.clone()
            }
            DohMethod::Json => {
                headers
                    .set("accept", "application/dns-json")
                    .map_err(unavailable)?;
                init.with_method(Method::Get);
                let q: String = form_urlencoded::Serializer::new(String::new())
                    .append_pair("name", name)
                    .append_pair("type", "TXT")
                    .finish();
                format!("{}{separator}{q}", self.url)
            }
        };
        init.with_headers(headers);
        let request = Request::new_with_init(&url, &init).map_err(unavailable)?;
        self.fetches.set(self.fetches.get() + 1);
        let signal = AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS));
        let mut response = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(unavailable)?;
        if response.status_code() != 200 {
            return Err(unavailable(format!("HTTP {}", response.status_code())));
        }
        let body = response.bytes().await.map_err(unavailable)?;
        let answer = match self.method {
            DohMethod::Json => read_json_answer(&body, name),
            DohMethod::Get | DohMethod::Post => read_txt_answer(&body, id, name),
        }
        .map_err(unavailable)?;
        match answer.rcode {
            Rcode::NoError | Rcode::NxDomain => {
                let ttl = answer.min_ttl();
                Ok((answer.records.into_iter().map(|r| r.value).collect(), ttl))
            }
            other => Err(unavailable(format!("{other:?}"))),
        }
    }
}

fn cache_key(name: &str) -> String {
    format!("doh:txt:{name}")
}

impl Resolver for DohResolver {
    async fn txt(&self, name: &str) -> Result<Vec<String>, ResolverUnavailable> {
        if let Some(kv) = &self.cache {
            // A cache that cannot be read is only a miss.
            if let Ok(Some(hit)) = kv.get(&cache_key(name)).text().await {
                if let Ok(values) = serde_json::from_str::<Vec<String>>(&hit) {
                    return Ok(values);
                }
            }
        }
        let mut last = unavailable("no attempt");
        for _ in 0..ATTEMPTS {
            match self.attempt(name).await {
                Ok((values, ttl)) => {
                    if let (Some(kv), Some(ttl)) = (&self.cache, ttl.filter(|t| *t >= KV_MIN_TTL)) {
                        if let (Ok(json), false) =
                            (serde_json::to_string(&values), values.is_empty())
                        {
                            if let Ok(put) = kv.put(&cache_key(name), json) {
                                // Best effort: a failed write only costs a later lookup.
                                let _ = put.expiration_ttl(u64::from(ttl)).execute().await;
                            }
                        }
                    }
                    return Ok(values);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}
