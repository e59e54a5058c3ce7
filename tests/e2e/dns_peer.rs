//! A real DNS-over-HTTPS server for the tests: Knot DNS, authoritative for the root
//! zone (so a test can give records to any name), behind dnsdist's RFC 8484 endpoint
//! (both Debian packages; crates/orgpass-core/tests/fixtures/dns/README.md says how they are set up).
//! Started on free ports, stopped by PID.

use std::{
    collections::BTreeMap,
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub struct DnsPeer {
    dir: PathBuf,
    knot_port: u16,
    doh_port: u16,
    knot: Option<Child>,
    dnsdist: Option<Child>,
    serial: u32,
    records: BTreeMap<String, (u32, Vec<Vec<String>>)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl DnsPeer {
    pub fn start() -> DnsPeer {
        let dir = std::env::temp_dir().join(format!(
            "orgpass-dns-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut peer = DnsPeer {
            dir,
            knot_port: free_port(),
            doh_port: free_port(),
            knot: None,
            dnsdist: None,
            serial: 1,
            records: BTreeMap::new(),
        };
        peer.write_zone();
        std::fs::write(
            peer.dir.join("knot.conf"),
            format!(
                "server:\n  rundir: \"{d}\"\n  listen: 127.0.0.1@{p}\ndatabase:\n  storage: \"{d}\"\ncontrol:\n  listen: \"{d}/knot.sock\"\n\
                 zone:\n  - domain: .\n    file: \"{d}/root.zone\"\n    zonefile-load: whole\n    journal-content: none\n\
                 \x20 - domain: broken.example.\n    file: \"{d}/missing.zone\"\n",
                d = peer.dir.display(),
                p = peer.knot_port
            ),
        )
        .unwrap();
        std::fs::write(
            peer.dir.join("dnsdist.conf"),
            format!(
                "setSecurityPollSuffix(\"\")\nnewServer({{address=\"127.0.0.1:{}\"}})\naddDOHLocal(\"127.0.0.1:{}\", nil, nil, \"/dns-query\")\n",
                peer.knot_port, peer.doh_port
            ),
        )
        .unwrap();
        peer.start_knot();
        peer.start_dnsdist();
        peer
    }

    /// The DoH endpoint (plain HTTP on loopback).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/dns-query", self.doh_port)
    }

    pub fn start_knot(&mut self) {
        let child = Command::new("knotd")
            .arg("-c")
            .arg(self.dir.join("knot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("knotd (make test installs Debian's knot)");
        self.knot = Some(child);
        let started = Instant::now();
        loop {
            let ok = Command::new("kdig")
                .args([
                    "@127.0.0.1",
                    "-p",
                    &self.knot_port.to_string(),
                    ".",
                    "SOA",
                    "+short",
                    "+timeout=1",
                    "+retry=0",
                ])
                .output()
                .map(|o| o.status.success() && !o.stdout.is_empty())
                .unwrap_or(false);
            if ok {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "knotd did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn start_dnsdist(&mut self) {
        let child = Command::new("dnsdist")
            .arg("-C")
            .arg(self.dir.join("dnsdist.conf"))
            .args(["--supervised", "--disable-syslog"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dnsdist (make test installs Debian's dnsdist)");
        self.dnsdist = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.doh_port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "dnsdist did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // dnsdist checks its backend before sending it queries: wait until a query for
        // the root's SOA comes back answered (NOERROR) through it.
        while !self.answers_through_dnsdist() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "dnsdist did not reach knotd"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether dnsdist answers a DoH query for `. SOA` with NOERROR.
    fn answers_through_dnsdist(&self) -> bool {
        // id 0, RD, one question: the root, type SOA (6), class IN (1).
        const QUERY: [u8; 17] = [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1];
        let answer = ureq::post(&self.url())
            .set("content-type", "application/dns-message")
            .set("accept", "application/dns-message")
            .timeout(Duration::from_secs(2))
            .send_bytes(&QUERY);
        let Ok(answer) = answer else { return false };
        let mut body = Vec::new();
        if std::io::Read::read_to_end(&mut answer.into_reader(), &mut body).is_err() {
            return false;
        }
        // QR set, RCODE 0 (NOERROR), at least one answer.
        body.len() > 12 && body[2] & 0x80 != 0 && body[3] & 0x0f == 0 && body[7] > 0
    }

    /// The SOA serial knotd answers with now.
    fn serving_serial(&self) -> Option<u32> {
        let out = Command::new("kdig")
            .args([
                "@127.0.0.1",
                "-p",
                &self.knot_port.to_string(),
                ".",
                "SOA",
                "+short",
                "+timeout=1",
                "+retry=0",
            ])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(2)?
            .parse()
            .ok()
    }

    fn stop(child: &mut Option<Child>) {
        if let Some(mut c) = child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }

    pub fn stop_knot(&mut self) {
        Self::stop(&mut self.knot);
    }

    pub fn stop_dnsdist(&mut self) {
        Self::stop(&mut self.dnsdist);
    }

    fn write_zone(&mut self) {
        let mut zone = format!(
            "$TTL 60\n. SOA ns. hostmaster. {} 3600 600 86400 1\n. NS ns.\nns. A 127.0.0.1\n",
            self.serial
        );
        for (name, (ttl, records)) in &self.records {
            for strings in records {
                let quoted: Vec<String> = strings.iter().map(|s| format!("\"{s}\"")).collect();
                zone.push_str(&format!("{name}. {ttl} TXT {}\n", quoted.join(" ")));
            }
        }
        std::fs::write(self.dir.join("root.zone"), zone).unwrap();
    }

    /// Publishes `records` (each a list of character-strings) at `name` with a TTL of
    /// one second (too short for orgpass to cache), replacing what was there (an empty
    /// list removes the name).
    pub fn set(&mut self, name: &str, records: &[&[&str]]) {
        self.set_with_ttl(name, 1, records);
    }

    /// As [`Self::set`], with a chosen TTL.
    pub fn set_with_ttl(&mut self, name: &str, ttl: u32, records: &[&[&str]]) {
        if records.is_empty() {
            self.records.remove(name);
        } else {
            let strings: Vec<Vec<String>> = records
                .iter()
                .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
                .collect();
            self.records.insert(name.to_owned(), (ttl, strings));
        }
        self.serial += 1;
        self.write_zone();
        if self.knot.is_some() {
            let out = Command::new("knotc")
                .arg("-s")
                .arg(self.dir.join("knot.sock"))
                .args(["zone-reload", "."])
                .output()
                .expect("knotc");
            assert!(
                out.status.success(),
                "reload: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // The reload is asynchronous: wait until knotd serves the new serial.
            let started = Instant::now();
            while self.serving_serial() != Some(self.serial) {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "knotd did not load serial {}",
                    self.serial
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for DnsPeer {
    fn drop(&mut self) {
        self.stop_dnsdist();
        self.stop_knot();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
