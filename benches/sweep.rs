//! Sweep throughput: runs per second on the default scenario (`baseline_2022`, full horizon) at 1
//! and 2 worker threads, through the same entry point as `chokepoint sweep` (journal and output
//! files included). Criterion reports the throughput as elements/s = runs/s.
//!
//! `cargo bench -p chokepoint-bench --bench sweep` — the issue's floor is a speed-up ≥ 1.8× from 1
//! to 2 threads on a 2-core machine. `benches/sweep_scale.sh` times a 10,000-run sweep and compares
//! its peak memory with a 1,000-run sweep.

use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

use chokepoint::runner::sweep::{SweepRequest, execute};

/// Runs per benchmark iteration: enough that a sweep's fixed costs (loading, fsyncs of the
/// journal and outputs) weigh as little as in real sweeps.
const RUNS: usize = 96;

fn spec() -> String {
    format!(
        r#"Sweep(
    name: "bench",
    scenario: "baseline_2022",
    design: LatinHypercube(points: {RUNS}),
    seed: 1,
    parameters: [
        Vary(path: "learning.catch_up_rate_per_year", dist: Uniform(low: 0.0, high: 0.2)),
        Vary(path: "market.home_bias", dist: LogUniform(low: 0.5, high: 2.0)),
    ],
    keep: Keep(metrics: ["ai_compute", "state_market_share"], ticks: [35, 101], markets: ["world"]),
)"#
    )
}

fn runs_per_second(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let spec_path = dir.path().join("bench.ron");
    std::fs::write(&spec_path, spec()).expect("spec written");
    let mut group = c.benchmark_group("sweep_default_scenario");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(RUNS as u64));
    for threads in [1usize, 2] {
        let request = SweepRequest {
            spec: spec_path.clone(),
            out: Some(dir.path().join(format!("out-{threads}"))),
            force: true,
            threads: Some(threads),
            shard: None,
            stop_after: None,
            progress: false,
        };
        group.bench_with_input(BenchmarkId::new("threads", threads), &request, |b, r| {
            b.iter(|| execute(r).expect("sweep runs").ran_now)
        });
    }
    group.finish();
}

criterion_group!(benches, runs_per_second);
criterion_main!(benches);
