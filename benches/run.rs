//! Cost of one full run of the default scenario (world built, every tick, every metric recorded
//! in memory), and cost per tick in synthetic worlds with 10× and 100× the firms.
//!
//! Also the formatting of the default run's `metrics.csv`: the plain `csv::Writer` + `{}` path
//! (`metrics_csv/reference`) against the writer runs use (`metrics_csv/fast`); the floor is ≥ 3×
//! (issue 16; `benches/run_speed.sh` reports the ratio).
//!
//! `cargo bench -p chokepoint-bench --bench run` — the floor is ≤ 8 ms for the default run,
//! single-threaded (issue 11).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use chokepoint::model::{Simulation, metrics::Selection};
use chokepoint::scenario::{Overrides, Source, load, synthetic::with_firms_multiplied};

fn default_scenario() -> chokepoint::scenario::Scenario {
    load(
        &Source::Bundled("baseline_2022.ron".into()),
        &Overrides::default(),
    )
    .expect("bundled baseline loads")
    .scenario
}

fn full_run(c: &mut Criterion) {
    let scenario = default_scenario();
    c.bench_function("full_run_default_scenario", |b| {
        b.iter(|| {
            std::hint::black_box(chokepoint::model::run(&scenario, Selection::default()).len())
        })
    });
}

fn cost_per_tick(c: &mut Criterion) {
    let base = default_scenario();
    let mut group = c.benchmark_group("ticks_by_firm_count");
    group.sample_size(10);
    for factor in [1usize, 10, 100] {
        let scenario = with_firms_multiplied(&base, factor);
        let firms = scenario.firms.len();
        // Build outside the timing: this measures the tick systems alone, 12 ticks per iteration.
        group.bench_with_input(
            BenchmarkId::new("12_ticks_firms", firms),
            &scenario,
            |b, s| {
                b.iter_batched(
                    || Simulation::new(s, Selection::default()),
                    |mut sim| {
                        for _ in 0..12 {
                            sim.step();
                        }
                        sim
                    },
                    criterion::BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

fn metrics_csv(c: &mut Criterion) {
    use chokepoint::output::tidy::{metrics_csv_reference, write_metrics_csv};
    let scenario = default_scenario();
    let rows = chokepoint::model::run(&scenario, Selection::default());
    let mut group = c.benchmark_group("metrics_csv");
    group.sample_size(10);
    group.bench_function("reference", |b| {
        b.iter(|| std::hint::black_box(metrics_csv_reference(&scenario, &rows).len()))
    });
    group.bench_function("fast", |b| {
        b.iter(|| {
            // The bytes are counted, as a run hashes and writes them, chunk by chunk.
            let mut bytes = 0usize;
            write_metrics_csv(&scenario, &rows, |chunk| {
                bytes += std::hint::black_box(chunk).len();
                Ok::<(), ()>(())
            })
            .expect("counting cannot fail");
            bytes
        })
    });
    group.finish();
}

criterion_group!(benches, full_run, cost_per_tick, metrics_csv);
criterion_main!(benches);
