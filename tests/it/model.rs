//! The model as a specification: calibration at tick 0, invariants every run must keep, the
//! direction of the export-control mechanism, and determinism across threads.

use std::collections::BTreeMap;

use crate::support::SMALL_WORLD;
use chokepoint::model;
use chokepoint::model::metrics::{Metric, NONE, Row, Selection, WORLD};
use chokepoint::scenario::params::ParamValue;
use chokepoint::scenario::{Overrides, Scenario, Source, load, load::BUNDLED, load_str};

fn small_world() -> Scenario {
    load_str("small_world.ron", SMALL_WORLD, &Overrides::default()).expect("fixture loads")
}

fn with_control(mut scenario: Scenario, date: &str, max_capability: f64) -> Scenario {
    scenario.events.push(chokepoint::scenario::Event {
        date: chokepoint::scenario::Date::parse(date).unwrap(),
        announced: None,
        label: None,
        action: chokepoint::scenario::Action::ExportControl {
            id: "c".into(),
            controller: "US".into(),
            sector: "ai_accelerator".into(),
            max_capability,
            destinations: vec!["CN".into()],
            covered_firms: vec![],
            licence_approval_rate: 0.0,
            extraterritorial: false,
        },
    });
    scenario
}

fn value(rows: &[Row], metric: Metric, tick: u32, pick: impl Fn(&Row) -> bool) -> f64 {
    let found: Vec<f64> = rows
        .iter()
        .filter(|r| r.metric == metric && r.tick == tick && pick(r))
        .map(|r| r.value)
        .collect();
    assert_eq!(found.len(), 1, "exactly one {metric:?} row at tick {tick}");
    found[0]
}

/// Shares in [0, 1] summing to one per market and sector; no NaN or infinity anywhere.
fn assert_invariants(name: &str, rows: &[Row]) {
    let mut sums: BTreeMap<(u32, u16, u16), f64> = BTreeMap::new();
    let mut state_sums: BTreeMap<(u32, u16, u16), f64> = BTreeMap::new();
    for r in rows {
        assert!(r.value.is_finite(), "{name}: {:?} is not finite", r);
        match r.metric {
            Metric::MarketShare => {
                assert!(
                    (0.0..=1.0 + 1e-12).contains(&r.value),
                    "{name}: share out of range {r:?}"
                );
                *sums.entry((r.tick, r.sector, r.market)).or_default() += r.value;
            }
            Metric::StateMarketShare => {
                *state_sums.entry((r.tick, r.sector, r.market)).or_default() += r.value
            }
            Metric::SelfSufficiency | Metric::ToolAccess | Metric::Yield => {
                assert!(
                    (0.0..=1.0 + 1e-12).contains(&r.value),
                    "{name}: {r:?} out of [0, 1]"
                )
            }
            Metric::Output
            | Metric::Sales
            | Metric::Revenue
            | Metric::Capacity
            | Metric::AiCompute
            | Metric::Demand
            | Metric::UnmetDemand => {
                assert!(r.value >= 0.0, "{name}: negative stock or flow {r:?}")
            }
            _ => {}
        }
    }
    assert!(!sums.is_empty());
    for (key, sum) in sums.iter().chain(state_sums.iter()) {
        assert!(
            (sum - 1.0).abs() < 1e-9,
            "{name}: shares at {key:?} sum to {sum}"
        );
    }
}

#[test]
fn tick_zero_reproduces_every_cited_share() {
    let scenario = small_world();
    let rows = model::run(
        &scenario,
        Selection {
            metrics: Some(vec![Metric::MarketShare]),
            ticks: Some(vec![0]),
        },
    )
    .to_rows();
    for (j, firm) in scenario.firms.iter().enumerate() {
        let share = value(&rows, Metric::MarketShare, 0, |r| {
            r.firm == j as u16 && r.market == WORLD
        });
        assert!(
            (share - firm.share).abs() < 1e-9,
            "{}: {share} vs cited {}",
            firm.id,
            firm.share
        );
    }
}

#[test]
fn every_bundled_scenario_runs_and_keeps_the_invariants() {
    for (file, _) in BUNDLED {
        let loaded = load(&Source::Bundled(file.to_string()), &Overrides::default())
            .expect("bundled scenario loads");
        let rows = model::run(&loaded.scenario, Selection::default()).to_rows();
        assert_invariants(file, &rows);
    }
    assert_invariants(
        "small_world",
        &model::run(&small_world(), Selection::default()).to_rows(),
    );
}

#[test]
fn a_control_never_raises_the_controllers_share_of_the_target_market_when_it_takes_effect() {
    let base = small_world();
    let us = 0u16;
    let cn = 1u16;
    let sector = base
        .sectors
        .iter()
        .position(|s| s.id == "ai_accelerator")
        .unwrap() as u16;
    for threshold in [-10.0, -1.0, -0.25, 0.0, 0.5] {
        let controlled = with_control(base.clone(), "2022-10", threshold);
        let tick = 3;
        let sel = Selection {
            metrics: Some(vec![Metric::StateMarketShare]),
            ticks: Some(vec![tick]),
        };
        let before = model::run(&base, sel.clone()).to_rows();
        let after = model::run(&controlled, sel).to_rows();
        let pick = |r: &Row| r.state == us && r.sector == sector && r.market == cn;
        let (b, a) = (
            value(&before, Metric::StateMarketShare, tick, pick),
            value(&after, Metric::StateMarketShare, tick, pick),
        );
        assert!(
            a <= b + 1e-12,
            "threshold {threshold}: US share of CN market rose from {b} to {a}"
        );
    }
}

fn without(mut scenario: Scenario, mechanisms: &[&str]) -> Scenario {
    for m in mechanisms {
        let path = format!("mechanisms.{m}");
        scenario.parameters = scenario
            .parameters
            .with_overrides([(path.as_str(), &ParamValue::Bool(false))])
            .unwrap();
    }
    scenario
}

#[test]
fn a_control_blocks_sales_above_the_threshold_and_lets_capacity_bound_the_substitute() {
    let base = small_world();
    let controlled = without(
        with_control(base.clone(), "2022-10", -0.25),
        &["compliant_redesign", "leakage", "stockpiling"],
    );
    let rows = model::run(&controlled, Selection::default()).to_rows();
    let firm = |id: &str| base.firms.iter().position(|f| f.id == id).unwrap() as u16;
    let cn = 1u16;
    for tick in 3..12 {
        let us_share = value(&rows, Metric::MarketShare, tick, |r| {
            r.firm == firm("us_chips") && r.market == cn
        });
        assert_eq!(
            us_share, 0.0,
            "tick {tick}: controlled supplier still sells in CN"
        );
        let cn_output = value(&rows, Metric::Output, tick, |r| r.firm == firm("cn_chips"));
        let cn_capacity = value(&rows, Metric::Capacity, tick, |r| {
            r.firm == firm("cn_chips")
        });
        assert!(
            cn_output <= cn_capacity * (1.0 + 1e-9),
            "tick {tick}: output {cn_output} beyond capacity {cn_capacity}"
        );
    }
    let unmet = value(&rows, Metric::UnmetDemand, 3, |r| {
        r.market == cn && r.sector != NONE && r.firm == NONE && r.sector == 3
    });
    assert!(
        unmet > 0.0,
        "the capacity-bound substitute leaves demand unmet"
    );
}

#[test]
fn switching_off_capacity_limits_removes_unmet_demand() {
    let mut scenario = with_control(small_world(), "2022-10", -0.25);
    scenario.parameters = scenario
        .parameters
        .with_overrides([("mechanisms.capacity_limits", &ParamValue::Bool(false))])
        .unwrap();
    let rows = model::run(
        &scenario,
        Selection {
            metrics: Some(vec![Metric::UnmetDemand]),
            ticks: None,
        },
    )
    .to_rows();
    assert!(
        rows.iter().all(|r| r.value == 0.0),
        "no capacity limit, no unmet demand"
    );
}

#[test]
fn runs_on_many_threads_give_the_same_bits_as_one_after_another() {
    use rayon::prelude::*;
    let scenarios: Vec<Scenario> = (0..6)
        .map(|seed| {
            let mut s = with_control(small_world(), "2023-01", -0.5);
            s.seed = seed;
            s
        })
        .collect();
    let sequential: Vec<Vec<Row>> = scenarios
        .iter()
        .map(|s| model::run(s, Selection::default()).to_rows())
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let parallel: Vec<Vec<Row>> = pool.install(|| {
        scenarios
            .par_iter()
            .map(|s| model::run(s, Selection::default()).to_rows())
            .collect()
    });
    for (a, b) in sequential.iter().zip(&parallel) {
        assert_eq!(a.len(), b.len());
        assert!(
            a.iter()
                .zip(b)
                .all(|(x, y)| x.value.to_bits() == y.value.to_bits() && x.metric == y.metric)
        );
    }
    assert_ne!(
        sequential[0].iter().map(|r| r.value).sum::<f64>(),
        sequential[1].iter().map(|r| r.value).sum::<f64>(),
        "seeds differ"
    );
}

#[test]
fn a_selection_records_exactly_what_it_asks_for() {
    let sel = Selection {
        metrics: Some(vec![Metric::AiCompute]),
        ticks: Some(vec![0, 5]),
    };
    let rows = model::run(&small_world(), sel).to_rows();
    assert_eq!(
        rows.len(),
        2 * 4,
        "one ai_compute row per state at two ticks"
    );
    assert!(
        rows.iter()
            .all(|r| r.metric == Metric::AiCompute && (r.tick == 0 || r.tick == 5))
    );
}

#[test]
fn effective_scenario_text_loads_back_identical() {
    let scenario = with_control(small_world(), "2022-10", -0.25);
    let text = chokepoint::scenario::to_ron(&scenario);
    let back = load_str("effective.ron", &text, &Overrides::default()).expect("round trip loads");
    assert_eq!(back, scenario);
}

#[test]
fn self_sufficiency_of_a_state_without_firms_is_a_plain_zero() {
    // An empty sum of f64 is −0.0, which metrics.csv would write as `-0`: a state with no firms in
    // a sector supplies itself nothing, and reports 0.
    let scenario = load(
        &Source::Bundled("baseline_2022.ron".into()),
        &Overrides::default(),
    )
    .expect("bundled baseline loads")
    .scenario;
    let rows = model::run(
        &scenario,
        Selection {
            metrics: Some(vec![Metric::SelfSufficiency]),
            ticks: Some(vec![0, 12]),
        },
    )
    .to_rows();
    let zeros = rows.iter().filter(|r| r.value == 0.0).count();
    assert!(zeros > 0, "some states have no firms in some sector");
    for r in &rows {
        assert!(
            !r.value.is_sign_negative(),
            "state {} sector {} tick {}: {}",
            r.state,
            r.sector,
            r.tick,
            r.value
        );
    }
}
