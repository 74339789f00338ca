//! Time of one sync of the simulator with the connector logic compiled natively, on this thread
//! (the simulator serves from threads of its own), in the host's order of calls: the logic's own
//! time (the sync's wall time less the time in the HTTP transport) and the thread's CPU time with
//! the transport. The host's benchmark (host/benches/sync_figures.rs) measures the same calls on
//! the wasm component and prints the ratios; it reads these figures from `NATIVE_BENCH_OUT`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use bitbucket_connector::settings::AuthKind;
use bitbucket_simulator::{Scale, Simulator, SimulatorConfig};
use connector_sdk::testing;

/// CPU time this thread has used.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let mut lines = Vec::new();
    for (name, scale) in [("medium", Scale::Medium), ("large", Scale::Large)] {
        let sim = Simulator::start(SimulatorConfig::new(scale)).expect("simulator");
        // Best of 5 of each figure: the connector's own time (the sync's wall time less the time
        // in the transport) and the whole thread's CPU time, transport included.
        let (mut own, mut thread) = (Duration::MAX, Duration::MAX);
        let mut grants = 0;
        for _ in 0..5 {
            let mut c = support::connector(&sim, support::admin(&sim), AuthKind::Basic, "", false);
            let (cpu0, t0) = (thread_cpu(), Instant::now());
            let synced = testing::sync(&mut c.component).expect("native sync");
            thread = thread.min(thread_cpu() - cpu0);
            own = own.min(t0.elapsed().saturating_sub(c.http.http_time.get()));
            grants = synced.grants.len();
        }
        println!(
            "native sync, {name}: {:.3} s of connector logic, {:.3} s thread CPU with its HTTP client (best of 5), {grants} grants",
            own.as_secs_f64(),
            thread.as_secs_f64()
        );
        lines.push(format!(
            "{name} {:.6} {:.6}",
            own.as_secs_f64(),
            thread.as_secs_f64()
        ));
    }
    if let Ok(out) = std::env::var("NATIVE_BENCH_OUT") {
        std::fs::write(&out, lines.join("\n") + "\n").expect("writing NATIVE_BENCH_OUT");
    }
}
