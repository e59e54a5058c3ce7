//! Starts the real Worker under `wrangler dev` on free ports with a fresh D1/KV state
//! directory, and stops it (SIGTERM to wrangler itself, which stops workerd).

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A running Worker.
pub struct Server {
    pub base: String,
    /// wrangler's DevTools inspector port (the CPU benchmark profiles through it).
    pub inspector: u16,
    pub log: PathBuf,
    child: Child,
    state: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn wrangler() -> Command {
    let mut cmd = Command::new(root().join("node_modules/.bin/wrangler"));
    cmd.current_dir(root())
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("SKIP_WORKER_BUILD", "1")
        .stdin(Stdio::null());
    cmd
}

/// The OpenID Connect signing key of this test run (base64 of PKCS#8 DER), made once by
/// `scripts/oidc-dev-key.mjs` like `make dev`'s, never stored.
pub fn oidc_key() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let out = Command::new("node")
            .arg(root().join("scripts/oidc-dev-key.mjs"))
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    })
}

impl Server {
    /// Applies the migrations to a fresh state directory and starts `wrangler dev`
    /// with `vars` (NAME, value) on top of the development defaults.
    pub fn start(name: &str, vars: &[(&str, &str)]) -> Server {
        assert!(
            root().join("build/index_bg.wasm").exists(),
            "build the Worker first (make build-fast)"
        );
        let out = root().join("target/e2e");
        std::fs::create_dir_all(&out).unwrap();
        let state = std::env::temp_dir().join(format!("orgpass-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);
        let migrate = wrangler()
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(&state)
            .output()
            .expect("wrangler runs");
        assert!(
            migrate.status.success(),
            "migrations failed: {}",
            String::from_utf8_lossy(&migrate.stderr)
        );

        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let log = out.join(format!("wrangler-{name}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let inspector = free_port();
        let mut cmd = wrangler();
        cmd.args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &inspector.to_string()])
            .arg("--persist-to")
            .arg(&state)
            .args(["--var", &format!("BASE_URL:{base}")])
            .args(["--var", "ENVIRONMENT:development"])
            .args(["--var", &format!("OIDC_SIGNING_KEY:{}", oidc_key())]);
        for (k, v) in vars {
            cmd.args(["--var", &format!("{k}:{v}")]);
        }
        let child = cmd
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("wrangler dev starts");
        let server = Server {
            base,
            inspector,
            log,
            child,
            state,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        while started.elapsed() < Duration::from_secs(90) {
            if let Ok(r) = agent.get(&format!("{}/healthz", self.base)).call() {
                if r.status() == 200 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "wrangler dev did not become ready; log:\n{}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    fn d1_execute(&self, extra: &[&str], sql: &str) -> std::process::Output {
        let out = wrangler()
            .args(["d1", "execute", "DB", "--local"])
            .args(extra)
            .arg("--persist-to")
            .arg(&self.state)
            .args(["--command", sql])
            .output()
            .expect("wrangler runs");
        assert!(
            out.status.success(),
            "SQL failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs SQL against this Worker's local D1 (to seed what no route creates yet,
    /// such as managed accounts before the SSO issue).
    pub fn sql(&self, sql: &str) {
        self.d1_execute(&[], sql);
    }

    /// Rows of a query against this Worker's local D1.
    pub fn query(&self, sql: &str) -> Vec<serde_json::Value> {
        let out = self.d1_execute(&["--json"], sql);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON from wrangler");
        v[0]["results"].as_array().cloned().unwrap_or_default()
    }

    /// Everything the Worker logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn stop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}
