//! The default scenario reproduces the cited 2022 market structure: each foundry firm's tick-0
//! world share within 1.5 points of the share the scenario cites, every market's shares summing
//! to 1, and no firm's world share moving more than 3 points over the first 12 ticks.

use std::collections::BTreeMap;

use chokepoint::model::metrics::{Metric, Selection, WORLD};
use chokepoint::scenario::{Overrides, Source, load};

fn baseline(seed: Option<u64>) -> chokepoint::scenario::Scenario {
    let overrides = Overrides {
        seed,
        ticks: Some(12),
        parameters: vec![],
    };
    load(&Source::Bundled("baseline_2022.ron".into()), &overrides)
        .expect("bundled baseline loads")
        .scenario
}

fn world_shares(scenario: &chokepoint::scenario::Scenario) -> BTreeMap<(u32, u16), f64> {
    let rows = chokepoint::model::run(
        scenario,
        Selection {
            metrics: Some(vec![Metric::MarketShare]),
            ticks: None,
        },
    )
    .to_rows();
    let mut per_market: BTreeMap<(u32, u16, u16), f64> = BTreeMap::new();
    let mut world = BTreeMap::new();
    for r in &rows {
        *per_market.entry((r.tick, r.sector, r.market)).or_default() += r.value;
        if r.market == WORLD {
            world.insert((r.tick, r.firm), r.value);
        }
    }
    for (key, sum) in per_market {
        assert!(
            (sum - 1.0).abs() < 1e-9,
            "shares in market {key:?} sum to {sum}"
        );
    }
    world
}

#[test]
fn foundry_shares_at_tick_zero_match_the_cited_figures() {
    let scenario = baseline(None);
    let shares = world_shares(&scenario);
    let mut checked = 0;
    for (j, firm) in scenario.firms.iter().enumerate() {
        if firm.sector.starts_with("foundry") {
            let model = shares[&(0, j as u16)];
            assert!(
                (model - firm.share).abs() <= 0.015,
                "{}: tick-0 share {model:.4} vs cited {:.4}",
                firm.id,
                firm.share
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "the baseline's foundry firms were checked ({checked})"
    );
}

#[test]
fn no_firm_moves_more_than_three_points_in_the_first_year() {
    for seed in [None, Some(1), Some(2), Some(3)] {
        let scenario = baseline(seed);
        let shares = world_shares(&scenario);
        for (j, firm) in scenario.firms.iter().enumerate() {
            let start = shares[&(0, j as u16)];
            for tick in 1..12 {
                let now = shares[&(tick, j as u16)];
                assert!(
                    (now - start).abs() <= 0.03,
                    "seed {seed:?}: {} moved from {start:.4} to {now:.4} by tick {tick}",
                    firm.id
                );
            }
        }
    }
}

#[test]
fn the_default_scenario_is_big_enough_for_the_questions() {
    let s = baseline(None);
    assert!(
        s.states.len() >= 15 && s.firms.len() >= 40,
        "{} states, {} firms",
        s.states.len(),
        s.firms.len()
    );
    for alliance in ["chip4", "quad", "aukus", "us_eu_ttc"] {
        assert!(
            s.alliances.iter().any(|a| a.id == alliance),
            "alliance {alliance}"
        );
    }
    for sector in &s.sectors {
        assert!(
            s.firms.iter().filter(|f| f.sector == sector.id).count() >= 2,
            "sector {} has its main firms",
            sector.id
        );
    }
}
