//! Cost of one full run of the default scenario (world built, every tick, every metric recorded
//! in memory), and cost per tick in synthetic worlds with 10× and 100× the firms.
//!
//! `cargo bench --bench run` — the floor is ≤ 8 ms for the default run, single-threaded (issue 11).

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

criterion_group!(benches, full_run, cost_per_tick);
criterion_main!(benches);
