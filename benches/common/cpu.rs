//! CPU per request of the Worker under `wrangler dev`, through V8's sampling profiler
//! (`benches/cpu-profile.mjs` over wrangler's inspector port). Shared by the benches.

use serde_json::Value;

/// Runs `cases` (see cpu-profile.mjs) and returns each case's label and CPU
/// milliseconds per request, in order.
pub fn profile(inspector: u16, cases: &[Value]) -> Vec<(String, f64)> {
    let file = std::env::temp_dir().join(format!(
        "orgpass-cpu-cases-{}-{inspector}.json",
        std::process::id()
    ));
    std::fs::write(&file, serde_json::to_vec(cases).unwrap()).unwrap();
    let out = std::process::Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/cpu-profile.mjs"
        ))
        .arg(inspector.to_string())
        .arg(&file)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("node runs");
    let _ = std::fs::remove_file(&file);
    if !out.status.success() || std::env::var_os("CPU_PROFILE_DEBUG").is_some() {
        eprintln!(
            "cpu-profile failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            (
                v["label"].as_str().unwrap().to_owned(),
                v["cpu_ms_per_request"].as_f64().unwrap(),
            )
        })
        .collect()
}
