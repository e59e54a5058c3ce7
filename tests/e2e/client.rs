//! A small HTTP client for the tests: no redirects followed, every status returned
//! (not turned into errors), JSON helpers, and a per-test client address so that the
//! per-IP login limit of one test does not touch another.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use serde_json::Value;

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The error code of an API error body.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {} {}", self.status, self.body))
            .to_owned()
    }

    /// D1 round trips the Worker reported for this request (development only).
    pub fn round_trips(&self) -> u32 {
        self.header("x-orgpass-d1-round-trips")
            .expect("round-trip header")
            .parse()
            .unwrap()
    }
}

static IP: AtomicU32 = AtomicU32::new(1);

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub ip: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let n = IP.fetch_add(1, Ordering::Relaxed);
        Client {
            base: base.to_owned(),
            // 198.18.0.0/15 is reserved for benchmarking; never a real client.
            ip: format!("198.18.{}.{}", n / 250, n % 250 + 1),
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(60))
                .build(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with any headers and an optional raw body.
    ///
    /// `wrangler dev`'s proxy now and then answers 503 "Your worker restarted
    /// mid-request" without the Worker ever seeing the request (cloudflare/workers-sdk
    /// issue 14641: a connection kept alive across kj's 5 s keep-alive timeout; seen
    /// once in a CI run here, with no request line in the Worker's log). That answer is
    /// the tool's, not orgpass's, so the request is sent again (at most twice).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Resp {
        for _ in 0..2 {
            let r = self.send_once(method, path, headers, body);
            if !(r.status == 503 && r.body.contains("restarted mid-request")) {
                return r;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        self.send_once(method, path, headers, body)
    }

    fn send_once(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Resp {
        let mut req = self
            .agent
            .request(method, &self.url(path))
            .set("cf-connecting-ip", &self.ip);
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .flat_map(|name| {
                resp.all(&name)
                    .into_iter()
                    .map(|v| (name.clone(), v.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        // Read whole (not `into_string`, which stops at 10 MB: the audit log's CSV
        // export of 100,000 events is more); a body that breaks off is a failure.
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes)
            .unwrap_or_else(|e| panic!("{method} {path}: the body broke off: {e}"));
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("authorization", a.as_str())).collect();
        self.send("GET", path, &headers, None)
    }

    pub fn json(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        self.send(method, path, &headers, Some(&body.to_string()))
    }
}
