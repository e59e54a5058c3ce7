//! A real SAML identity provider for the tests: pysaml2 (PyPI), signing through Debian's
//! xmlsec1, behind `tests/idp/idp.py` (see that file for its endpoints). Started on a
//! free port with its own RSA key (2048 or 4096 bits); it exits with the test process.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub struct IdpPeer {
    pub base: String,
    pub bits: u32,
    child: Child,
    agent: ureq::Agent,
}

/// An HTTP answer from anywhere (the IdP, or a redirect target).
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl IdpPeer {
    pub fn start(bits: u32) -> IdpPeer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let python = root().join(".tools/idp-venv/bin/python");
        assert!(
            python.exists(),
            "pysaml2 is missing: run scripts/install-test-peers.sh"
        );
        let state = root().join("target/e2e/idp");
        std::fs::create_dir_all(&state).unwrap();
        let log = std::fs::File::create(root().join(format!("target/e2e/idp-{bits}.log"))).unwrap();
        let child = Command::new(python)
            .arg(root().join("tests/idp/idp.py"))
            .args([
                "--port",
                &port.to_string(),
                "--bits",
                &bits.to_string(),
                "--state",
            ])
            .arg(&state)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("python runs");
        let peer = IdpPeer {
            base: format!("http://127.0.0.1:{port}"),
            bits,
            child,
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(120))
                .build(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !matches!(peer.agent.get(&format!("{}/healthz", peer.base)).call(), Ok(r) if r.status() == 200)
        {
            assert!(Instant::now() < deadline, "the pysaml2 IdP did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        peer
    }

    pub fn entity_id(&self) -> String {
        format!("{}/metadata", self.base)
    }

    pub fn metadata(&self) -> String {
        self.get(&self.entity_id()).body
    }

    pub fn get(&self, url: &str) -> Page {
        page(self.agent.get(url).call())
    }

    pub fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Page {
        page(self.agent.post(url).send_form(fields))
    }

    /// The IdP's auto-submit form for an IdP-initiated login of `user` at `sp`.
    pub fn unsolicited(
        &self,
        sp: &str,
        user: &str,
        sign: &str,
        relay_state: Option<&str>,
    ) -> AcsPost {
        self.unsolicited_with(sp, user, sign, relay_state, "sha256")
    }

    /// As [`Self::unsolicited`], signed with `alg` (`sha256` or `sha1`).
    pub fn unsolicited_with(
        &self,
        sp: &str,
        user: &str,
        sign: &str,
        relay_state: Option<&str>,
        alg: &str,
    ) -> AcsPost {
        let mut url = format!(
            "{}/idp-initiated?sp={}&user={}&sign={sign}&alg={alg}",
            self.base,
            crate::urlencode(sp),
            crate::urlencode(user)
        );
        if let Some(r) = relay_state {
            url.push_str(&format!("&relay_state={}", crate::urlencode(r)));
        }
        let p = self.get(&url);
        assert_eq!(p.status, 200, "{}", p.body);
        AcsPost::from_form(&p.body)
    }

    /// `n` distinct IdP-initiated responses (base64) for `user` at `sp`.
    pub fn batch(&self, sp: &str, user: &str, sign: &str, n: usize) -> Vec<String> {
        let p = self.get(&format!(
            "{}/batch?sp={}&user={}&sign={sign}&n={n}",
            self.base,
            crate::urlencode(sp),
            crate::urlencode(user)
        ));
        assert_eq!(p.status, 200, "{}", p.body);
        serde_json::from_str(&p.body).unwrap()
    }
}

impl Drop for IdpPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn page(result: Result<ureq::Response, ureq::Error>) -> Page {
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    Page {
        status: resp.status(),
        location: resp.header("location").map(str::to_owned),
        body: resp.into_string().unwrap_or_default(),
    }
}

/// What an IdP's auto-submit form posts to the ACS.
#[derive(Clone, Debug)]
pub struct AcsPost {
    pub action: String,
    pub saml_response: String,
    pub relay_state: Option<String>,
    /// The login's binding cookie (`orgpass_sso`) in the browser that posts.
    pub browser: Option<String>,
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let start = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    let end = rest[start..].find('"')? + start;
    Some(unescape(&rest[start..end]))
}

impl AcsPost {
    pub fn from_form(html: &str) -> AcsPost {
        AcsPost {
            action: attribute_after(html, "<form", "action").expect("a form action"),
            saml_response: attribute_after(html, "name=\"SAMLResponse\"", "value")
                .expect("a SAMLResponse field"),
            relay_state: attribute_after(html, "name=\"RelayState\"", "value"),
            browser: None,
        }
    }

    /// The decoded response XML.
    pub fn xml(&self) -> String {
        use base64::Engine as _;
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(&self.saml_response)
                .unwrap(),
        )
        .unwrap()
    }

    /// The same post with `xml` as the response.
    pub fn with_xml(&self, xml: &str) -> AcsPost {
        use base64::Engine as _;
        AcsPost {
            saml_response: base64::engine::general_purpose::STANDARD.encode(xml),
            ..self.clone()
        }
    }
}
