//! Runs the default scenario many times, for profilers:
//! `cargo run --release -p chokepoint-bench --example profile_run`.
use chokepoint::model::metrics::Selection;
use chokepoint::scenario::{Overrides, Source, load};

fn main() {
    let scenario = load(
        &Source::Bundled("baseline_2022.ron".into()),
        &Overrides::default(),
    )
    .expect("baseline loads")
    .scenario;
    let mut rows = 0;
    for _ in 0..20 {
        rows += chokepoint::model::run(&scenario, Selection::default()).len();
    }
    println!("{rows}");
}
