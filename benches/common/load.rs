//! A load generator on loopback: `concurrency` threads, each with its own HTTP agent,
//! sharing `n` requests; the throughput and the latency percentiles of the answers.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

/// What a run measured.
pub struct Load {
    /// Requests answered.
    pub n: usize,
    /// Requests per second over the run.
    pub per_second: f64,
    /// Latency percentiles, ms.
    pub p50: f64,
    /// Latency percentiles, ms.
    pub p99: f64,
}

/// Runs request `i` for every `i < n` through `send` (which answers the status) from
/// `concurrency` threads; every status must be `expect`.
pub fn run<F>(concurrency: usize, n: usize, expect: u16, send: F) -> Load
where
    F: Fn(&ureq::Agent, usize) -> u16 + Send + Sync + 'static,
{
    let send = Arc::new(send);
    let next = Arc::new(AtomicUsize::new(0));
    let times = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (send, next, times) = (Arc::clone(&send), Arc::clone(&next), Arc::clone(&times));
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .redirects(0)
                    .timeout(Duration::from_secs(60))
                    .build();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let start = Instant::now();
                    let status = send(&agent, i);
                    assert_eq!(status, expect, "request {i}");
                    times
                        .lock()
                        .unwrap()
                        .push(start.elapsed().as_secs_f64() * 1000.0);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut times = Arc::try_unwrap(times).unwrap().into_inner().unwrap();
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    Load {
        n: times.len(),
        per_second: times.len() as f64 / elapsed,
        p50: pct(0.5),
        p99: pct(0.99),
    }
}

/// The status of a ureq answer (an error status is an answer too).
pub fn status(r: Result<ureq::Response, ureq::Error>) -> u16 {
    match r {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(e) => panic!("{e}"),
    }
}
