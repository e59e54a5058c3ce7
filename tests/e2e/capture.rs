//! A one-route HTTP/1.1 server on loopback that records every request and answers with
//! a fixed status and body: the stand-in for third-party APIs no test here can reach
//! (the email provider, Stripe). What it pins is orgpass's side of the exchange.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

#[derive(Clone, Debug)]
pub struct Captured {
    pub method: String,
    pub path: String,
    pub authorization: String,
    pub content_type: String,
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Captured {
    /// The header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The value of a form field of an `application/x-www-form-urlencoded` body.
    pub fn form(&self, name: &str) -> Option<String> {
        url_decode_pairs(&self.body)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

fn url_decode_pairs(body: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let bytes = s.replace('+', " ").into_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

pub struct Capture {
    pub base: String,
    seen: Arc<Mutex<Vec<Captured>>>,
    answer: Arc<Mutex<(u16, String, String)>>,
    delay: Arc<Mutex<Duration>>,
}

impl Capture {
    /// Starts answering every request with `status` and the JSON `body`.
    pub fn start(status: u16, body: &str) -> Capture {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(Mutex::new((status, body.to_owned(), String::new())));
        let delay = Arc::new(Mutex::new(Duration::ZERO));
        let (record, reply, wait) = (Arc::clone(&seen), Arc::clone(&answer), Arc::clone(&delay));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (record, reply, wait) =
                    (Arc::clone(&record), Arc::clone(&reply), Arc::clone(&wait));
                // Each connection on its own thread: a slow answer holds only its own.
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).is_err() {
                        return;
                    }
                    let (mut length, mut authorization, mut content_type) =
                        (0usize, String::new(), String::new());
                    let mut headers = Vec::new();
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line).unwrap();
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        let (name, value) = line.split_once(':').unwrap_or((line, ""));
                        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
                        match name.to_ascii_lowercase().as_str() {
                            "content-length" => length = value.trim().parse().unwrap_or(0),
                            "authorization" => authorization = value.trim().to_owned(),
                            "content-type" => content_type = value.trim().to_owned(),
                            _ => {}
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let mut parts = request_line.split(' ');
                    record.lock().unwrap().push(Captured {
                        method: parts.next().unwrap_or_default().to_owned(),
                        path: parts.next().unwrap_or_default().to_owned(),
                        authorization,
                        content_type,
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    std::thread::sleep(*wait.lock().unwrap());
                    let (status, text, extra) = reply.lock().unwrap().clone();
                    let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{text}",
                    text.len()
                );
                    let mut stream = stream;
                    let _ = stream.write_all(answer.as_bytes());
                });
            }
        });
        Capture {
            base,
            seen,
            answer,
            delay,
        }
    }

    /// Answers each request only after `delay` from now on (a slow provider).
    pub fn slow(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    /// Changes the answer from now on.
    pub fn answer(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = (status, body.to_owned(), String::new());
    }

    /// Changes the answer from now on, with extra `headers`.
    pub fn answer_with(&self, status: u16, body: &str, headers: &[(&str, &str)]) {
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        *self.answer.lock().unwrap() = (status, body.to_owned(), extra);
    }

    pub fn all(&self) -> Vec<Captured> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) for a request that `matches`.
    pub fn wait_for(&self, matches: impl Fn(&Captured) -> bool) -> Captured {
        let started = Instant::now();
        loop {
            if let Some(c) = self.all().into_iter().find(|c| matches(c)) {
                return c;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "the request never arrived"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
