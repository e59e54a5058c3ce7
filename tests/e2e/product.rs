//! The other side of the OpenID Connect tests: a product written with openid-client
//! (`tests/oidc/product.mjs`, a certified relying-party library) registered as a client
//! of a Worker, and a visitor that goes back and forth between the two the way a
//! browser without JavaScript does (cookies per origin, redirects followed).

use std::{
    cell::RefCell,
    collections::HashMap,
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use serde_json::{json, Value};

use crate::{client::Client, client::Resp, pass::operator, server::root};

/// The product, running, registered as a client of one Worker.
pub struct Product {
    pub base: String,
    pub client_id: String,
    pub secret: String,
    child: Child,
}

impl Product {
    /// Registers a client for `product` on the Worker of `c` and starts the product
    /// with `env` on top (`CLIENT_AUTH`, `SCOPE`).
    pub fn start(c: &Client, product: &str, env: &[(&str, &str)]) -> Product {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let base = format!("http://127.0.0.1:{port}");
        let r = operator(
            c,
            "POST",
            "/api/v1/operator/clients",
            Some(&json!({
                "name": format!("{product} (test product)"),
                "product": product,
                "redirect_uris": [format!("{base}/callback")],
                "post_logout_redirect_uris": [format!("{base}/")],
                "backchannel_logout_uri": format!("{base}/backchannel"),
            })),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let client_id = r.json()["client"]["client_id"].as_str().unwrap().to_owned();
        let secret = r.json()["client_secret"].as_str().unwrap().to_owned();
        let mut cmd = Command::new("node");
        cmd.arg(root().join("tests/oidc/product.mjs"))
            .current_dir(root())
            .env("ISSUER", &c.base)
            .env("CLIENT_ID", &client_id)
            .env("CLIENT_SECRET", &secret)
            .env("PORT", port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("node runs the product");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.contains("listening"),
            "the product did not start: {line}"
        );
        Product {
            base,
            client_id,
            secret,
            child,
        }
    }

    /// `Authorization: Basic` of this client.
    pub fn basic(&self) -> String {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.client_id, self.secret))
        )
    }
}

impl Drop for Product {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A visitor with a cookie jar per origin.
#[derive(Default)]
pub struct Visitor {
    jar: RefCell<HashMap<String, Vec<(String, String)>>>,
}

fn split(url: &str) -> (String, String) {
    let after = url.find("://").map_or(0, |i| i + 3);
    let slash = url[after..].find('/').map_or(url.len(), |i| after + i);
    (url[..slash].to_owned(), url[slash..].to_owned())
}

impl Visitor {
    pub fn new() -> Visitor {
        Visitor::default()
    }

    /// Gives the visitor a cookie for `origin` (a session made through the API).
    pub fn set_cookie(&self, origin: &str, name: &str, value: &str) {
        let mut jar = self.jar.borrow_mut();
        let cookies = jar.entry(origin.to_owned()).or_default();
        cookies.retain(|(n, _)| n != name);
        cookies.push((name.to_owned(), value.to_owned()));
    }

    fn send(&self, method: &str, url: &str, body: Option<&str>) -> Resp {
        let (origin, path) = split(url);
        let cookie = self
            .jar
            .borrow()
            .get(&origin)
            .map(|cs| {
                cs.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let mut headers = vec![("cookie", cookie.as_str()), ("origin", origin.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/x-www-form-urlencoded"));
        }
        if method == "GET" {
            headers.retain(|(k, _)| *k != "origin");
        }
        let r = Client::new(&origin).send(method, &path, &headers, body);
        for set in r.all("set-cookie") {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let gone = set.contains("Max-Age=0") || value.is_empty();
                let mut jar = self.jar.borrow_mut();
                let cookies = jar.entry(origin.clone()).or_default();
                cookies.retain(|(n, _)| n != name);
                if !gone {
                    cookies.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        r
    }

    /// GET `url`, following redirects; every URL visited (the last one answered).
    pub fn visit(&self, url: &str) -> (Resp, Vec<String>) {
        self.follow(self.send("GET", url, None), url)
    }

    /// POST a form to `url`, following the redirects that answer it.
    pub fn post(&self, url: &str, fields: &[(&str, &str)]) -> (Resp, Vec<String>) {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", crate::urlencode(k), crate::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.follow(self.send("POST", url, Some(&body)), url)
    }

    fn follow(&self, first: Resp, from: &str) -> (Resp, Vec<String>) {
        let mut visited = vec![from.to_owned()];
        let mut r = first;
        for _ in 0..12 {
            // A page that goes on by itself (`<meta http-equiv="refresh">`), as orgpass
            // continues a product's authorization request after a login form.
            let refresh = (r.status == 200).then(|| meta_refresh(&r.body)).flatten();
            if !matches!(r.status, 301 | 302 | 303 | 307) && refresh.is_none() {
                break;
            }
            let location = match refresh {
                Some(to) => to,
                None => r
                    .header("location")
                    .expect("a redirect's Location")
                    .to_owned(),
            };
            let next = if location.starts_with('/') {
                format!("{}{location}", split(visited.last().unwrap()).0)
            } else {
                location
            };
            visited.push(next.clone());
            r = self.send("GET", &next, None);
        }
        (r, visited)
    }

    /// Fills in orgpass's login page (`page`, answered at `url`) with a password.
    pub fn log_in(&self, url: &str, page: &Resp, email: &str) -> (Resp, Vec<String>) {
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("action=\"/login\""), "{}", page.body);
        let return_to = hidden(&page.body, "return_to");
        let (origin, _) = split(url);
        self.post(
            &format!("{origin}/login"),
            &[
                ("csrf", &crate::csrf_in(&page.body)),
                ("return_to", &return_to),
                ("email", email),
                ("password", crate::PASSWORD),
            ],
        )
    }

    /// POSTs to the product and reads its JSON answer.
    pub fn product_post(&self, product: &Product, path: &str) -> Resp {
        self.send("POST", &format!("{}{path}", product.base), Some(""))
    }
}

/// The URL a page's `<meta http-equiv="refresh" content="0; url=…">` goes on to.
pub fn meta_refresh(body: &str) -> Option<String> {
    let rest = body.split("http-equiv=\"refresh\" content=\"").nth(1)?;
    let content = rest.split('"').next()?;
    let url = content.split_once("url=")?.1;
    Some(unescape(url))
}

fn unescape(v: &str) -> String {
    v.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the hidden field `name` of a page (unescaped).
pub fn hidden(body: &str, name: &str) -> String {
    body.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|v| v.split('"').next())
        .map(|v| {
            v.replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .unwrap_or_default()
}

/// The query parameter `name` of `url`, decoded.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded_pairs(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The JSON a product answered with.
pub fn answer(r: &Resp) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("JSON from the product: {}", r.body))
}
