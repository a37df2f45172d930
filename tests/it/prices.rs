//! Prices that clear, shortages that propagate and supply that responds (docs/MODEL.md,
//! "Prices", "Production and rationing", "Capacity investment", "Market allocation"): each
//! pattern is shown both ways by a parameter a user can see and set.
//!
//! The small world (tests/fixtures/small_world.ron): minerals → equipment → foundry_advanced →
//! ai_accelerator; CN's miner holds 80% of minerals, the US miner 20%.

use std::collections::BTreeMap;

use crate::support::SMALL_WORLD;
use chokepoint::model::metrics::{Metric, Row, Selection, WORLD};
use chokepoint::scenario::{Overrides, Scenario, Source, load, load::BUNDLED, load_str};

/// China bans mineral exports to the US, TW and JP from 2022-10 (tick 3).
const MINERAL_BAN: &str = r#"Event(date: "2022-10", action: ExportControl(id: "re", controller: "CN", sector: "minerals", max_capability: -1000, destinations: ["US", "TW", "JP"]))"#;

/// Adaptations that would blur the mineral ban (gray channels, front-running, commitment).
const QUIET: [(&str, &str); 3] = [
    ("mechanisms.leakage", "false"),
    ("mechanisms.stockpiling", "false"),
    ("mechanisms.target_commitment", "false"),
];

/// The small world with `events`, `parameters` and, if given, a US miner of that capacity.
fn world(events: &[&str], parameters: &[(&str, &str)], us_miner_capacity: Option<f64>) -> Scenario {
    let parameters: Vec<String> = QUIET
        .iter()
        .chain(parameters)
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    let mut text = SMALL_WORLD
        .replace(
            "events: [],",
            &format!("events: [{}],", events.join(",\n        ")),
        )
        .replace(
            "parameters: {},",
            &format!("parameters: {{{}}},", parameters.join(", ")),
        )
        .replace("ticks: 36,", "ticks: 60,");
    if let Some(capacity) = us_miner_capacity {
        let plain = r#"sector: "minerals", share: 0.2, capability: 0.0),"#;
        assert!(text.contains(plain), "the fixture names the US miner");
        text = text.replace(
            plain,
            &format!(r#"sector: "minerals", share: 0.2, capability: 0.0, capacity_usd_b: {capacity:.1}),"#),
        );
    }
    load_str("prices_world.ron", &text, &Overrides::default())
        .unwrap_or_else(|e| panic!("test world loads: {e}"))
}

fn run(s: &Scenario) -> Vec<Row> {
    chokepoint::model::run(s, Selection::default()).to_rows()
}

fn firm(s: &Scenario, id: &str) -> u16 {
    s.firms.iter().position(|f| f.id == id).expect("firm") as u16
}

fn state(s: &Scenario, id: &str) -> u16 {
    s.states.iter().position(|x| x.id == id).expect("state") as u16
}

fn sector(s: &Scenario, id: &str) -> u16 {
    s.sectors.iter().position(|x| x.id == id).expect("sector") as u16
}

/// A firm's metric at a tick.
fn of_firm(s: &Scenario, rows: &[Row], metric: Metric, tick: u32, id: &str) -> f64 {
    let j = firm(s, id);
    rows.iter()
        .find(|r| r.metric == metric && r.tick == tick && r.firm == j)
        .unwrap_or_else(|| panic!("no {metric:?} for {id} at {tick}"))
        .value
}

/// A market's price at a tick.
fn price(s: &Scenario, rows: &[Row], tick: u32, sector_id: &str, market: &str) -> f64 {
    let (k, i) = (sector(s, sector_id), state(s, market));
    rows.iter()
        .find(|r| r.metric == Metric::Price && r.tick == tick && r.sector == k && r.market == i)
        .unwrap_or_else(|| panic!("no price of {sector_id} in {market} at {tick}"))
        .value
}

/// Sum of a firm metric over ticks.
fn total(s: &Scenario, rows: &[Row], metric: Metric, ticks: std::ops::Range<u32>, id: &str) -> f64 {
    ticks.map(|t| of_firm(s, rows, metric, t, id)).sum()
}

#[test]
fn a_supply_cut_raises_the_price_when_it_binds_and_it_falls_back_as_new_capacity_arrives() {
    let ban = world(&[MINERAL_BAN], &[], None);
    let free = world(&[], &[], None);
    let (b, f) = (run(&ban), run(&free));
    let series: Vec<f64> = (0..60)
        .map(|t| price(&ban, &b, t, "minerals", "US"))
        .collect();
    eprintln!("US minerals price under the ban: {series:.3?}");
    eprintln!(
        "US miner capacity: {:.3?}",
        (0..60)
            .map(|t| of_firm(&ban, &b, Metric::Capacity, t, "us_minerals"))
            .collect::<Vec<_>>()
    );
    let before = price(&ban, &b, 2, "minerals", "US");
    let binds = price(&ban, &b, 3, "minerals", "US");
    assert!(
        binds > 1.5 * before,
        "the price jumps in the tick the ban binds: {before:.3} → {binds:.3}"
    );
    assert!(
        (price(&free, &f, 3, "minerals", "US") - before).abs() < 0.05 * before,
        "without the ban it does not"
    );
    let peak = series.iter().copied().fold(0.0, f64::max);
    let late = series[59];
    assert!(
        late < before + 0.5 * (peak - before),
        "the price falls back as the US miner's capacity grows: peak {peak:.3}, tick 59 {late:.3}"
    );
    assert!(
        of_firm(&ban, &b, Metric::Capacity, 59, "us_minerals")
            > 1.3 * of_firm(&free, &f, Metric::Capacity, 59, "us_minerals"),
        "the price draws in capacity outside the banning state"
    );
}

/// The ban's effect over its first year, relative to the same world without it: the output of
/// the controller's ally's fab (TW, which makes the controller's chips) and the unit cost of the
/// controller's chip designer (US).
fn c5_effect(parameters: &[(&str, &str)], us_miner_capacity: Option<f64>) -> (f64, f64) {
    let ban = world(&[MINERAL_BAN], parameters, us_miner_capacity);
    let free = world(&[], parameters, us_miner_capacity);
    let (b, f) = (run(&ban), run(&free));
    let output = total(&ban, &b, Metric::Output, 3..15, "tw_fab")
        / total(&free, &f, Metric::Output, 3..15, "tw_fab");
    let cost = total(&ban, &b, Metric::UnitCost, 3..15, "us_chips")
        / total(&free, &f, Metric::UnitCost, 3..15, "us_chips");
    (output, cost)
}

#[test]
fn c5_both_ways_thin_stocks_and_no_alternative_supplier_make_a_mineral_ban_bite() {
    let (output, cost) = c5_effect(
        &[
            ("production.input_stock_months", "0.5"),
            ("mechanisms.backfill", "false"),
        ],
        None,
    );
    eprintln!("thin stocks, no alternative: fab output ×{output:.3}, chip unit cost ×{cost:.3}");
    assert!(output < 0.8, "the chain's fab output falls: ×{output:.3}");
    assert!(
        cost > 1.05,
        "and the controller's chip unit cost rises: ×{cost:.3}"
    );
}

#[test]
fn c5_both_ways_stocks_and_an_alternative_supplier_absorb_a_mineral_ban() {
    let (output, cost) = c5_effect(&[("production.input_stock_months", "6")], Some(8.0));
    eprintln!(
        "six months of stock, a large alternative: fab output ×{output:.3}, chip unit cost ×{cost:.3}"
    );
    assert!(output > 0.98, "fab output barely moves: ×{output:.3}");
    assert!(cost < 1.02, "nor does the chip unit cost: ×{cost:.3}");
}

#[test]
fn c5_with_the_same_stocks_the_rationing_rule_decides_who_absorbs_a_short_input() {
    // Default stocks and the default (small) US miner: the ban leaves the banned markets short.
    let rule = |name: &str| c5_effect(&[("production.rationing", name)], None).0;
    let (pay, pro_rata, priority) = (
        rule("\"willingness_to_pay\""),
        rule("\"pro_rata\""),
        rule("\"priority\""),
    );
    eprintln!(
        "fab output by rule: pay ×{pay:.3}, pro rata ×{pro_rata:.3}, priority ×{priority:.3}"
    );
    assert!(
        pay > pro_rata && pro_rata > priority,
        "fabs outbid final users under willingness to pay: {pay:.3} > {pro_rata:.3} > {priority:.3}"
    );
}

#[test]
fn substitutes_for_a_short_material_soften_a_ban() {
    let thin = [
        ("production.input_stock_months", "0.5"),
        ("mechanisms.backfill", "false"),
    ];
    let (leontief, _) = c5_effect(&thin, None);
    let mut with_substitutes = thin.to_vec();
    with_substitutes.push(("production.material_substitutability", "0.8"));
    let (substituted, _) = c5_effect(&with_substitutes, None);
    assert!(
        substituted > leontief + 0.1,
        "substitutes cover most of the shortfall: ×{substituted:.3} vs ×{leontief:.3}"
    );
}

fn baseline(seed: Option<u64>) -> Scenario {
    let overrides = Overrides {
        seed,
        ticks: None,
        parameters: vec![],
    };
    load(&Source::Bundled("baseline_2022.ron".into()), &overrides)
        .expect("bundled baseline loads")
        .scenario
}

/// Largest month-on-month relative price change (any market with demand) and largest absolute
/// month-on-month change of a firm's share of a buying state's market.
fn largest_moves(rows: &[Row]) -> (f64, String, f64, String) {
    let mut prices: BTreeMap<(u16, u16), Vec<(u32, f64)>> = BTreeMap::new();
    let mut shares: BTreeMap<(u16, u16, u16), Vec<(u32, f64)>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.market != WORLD) {
        match r.metric {
            Metric::Price => prices
                .entry((r.sector, r.market))
                .or_default()
                .push((r.tick, r.value)),
            Metric::MarketShare => shares
                .entry((r.firm, r.sector, r.market))
                .or_default()
                .push((r.tick, r.value)),
            _ => {}
        }
    }
    let (mut price_move, mut price_at, mut share_move, mut share_at) =
        (0.0, String::new(), 0.0, String::new());
    for (key, series) in &prices {
        for w in series.windows(2) {
            let step = (w[1].1 / w[0].1 - 1.0).abs();
            if w[1].0 == w[0].0 + 1 && step > price_move {
                price_move = step;
                price_at = format!("{key:?} at tick {}: {} → {}", w[1].0, w[0].1, w[1].1);
            }
        }
    }
    for (key, series) in &shares {
        for w in series.windows(2) {
            let step = (w[1].1 - w[0].1).abs();
            if w[1].0 == w[0].0 + 1 && step > share_move {
                share_move = step;
                share_at = format!("{key:?} at tick {}: {} → {}", w[1].0, w[0].1, w[1].1);
            }
        }
    }
    (price_move, price_at, share_move, share_at)
}

/// Documented bounds (docs/MODEL.md, "Patterns"): with no policy, no market's price moves more
/// than 10% and no firm's share of a market more than 5 points in a month.
const MAX_MONTHLY_PRICE_MOVE: f64 = 0.10;
const MAX_MONTHLY_SHARE_MOVE: f64 = 0.05;

#[test]
fn with_no_policy_prices_and_shares_move_smoothly() {
    for seed in [None, Some(1), Some(2)] {
        let rows = run(&baseline(seed));
        let (price_move, price_at, share_move, share_at) = largest_moves(&rows);
        eprintln!(
            "seed {seed:?}: price {price_move:.4} {price_at}; share {share_move:.4} {share_at}"
        );
        assert!(
            price_move <= MAX_MONTHLY_PRICE_MOVE,
            "seed {seed:?}: a price moved {price_move:.3} in a month: {price_at}"
        );
        assert!(
            share_move <= MAX_MONTHLY_SHARE_MOVE,
            "seed {seed:?}: a share moved {share_move:.3} in a month: {share_at}"
        );
    }
}

#[test]
fn with_inertia_buyers_turn_away_from_a_discouraged_supplier_over_months_not_at_once() {
    // A utility penalty (no supply is blocked): buyers' target shares jump, their held shares
    // follow at the pace `market.share_adjustment_months` sets.
    let discourage = r#"Event(date: "2022-10", action: PurchaseDiscouragement(id: "d", buyer: "CN", against: "US", sector: "ai_accelerator", utility_penalty: 2.0))"#;
    let share_path = |months: &str| {
        let s = world(
            &[discourage],
            &[("market.share_adjustment_months", months)],
            None,
        );
        let rows = run(&s);
        let j = firm(&s, "us_chips");
        let i = state(&s, "CN");
        let at = |t: u32| {
            rows.iter()
                .find(|r| {
                    r.metric == Metric::MarketShare && r.tick == t && r.firm == j && r.market == i
                })
                .expect("share row")
                .value
        };
        (at(2), at(3), at(15))
    };
    let (before, first, later) = share_path("6");
    let (before_free, first_free, later_free) = share_path("0");
    eprintln!(
        "inertia: {before:.3} → {first:.3} → {later:.3}; none: {before_free:.3} → {first_free:.3} → {later_free:.3}"
    );
    assert!(
        before - first < 0.4 * (before - later),
        "with a 6-month time constant the first month makes well under half of the move: {before:.3} → {first:.3} → {later:.3}"
    );
    assert!(
        before_free - first_free > 0.75 * (before_free - later_free),
        "without inertia most of the move is made at once: {before_free:.3} → {first_free:.3} → {later_free:.3}"
    );
    assert!(
        before - first < 0.5 * (before_free - first_free),
        "inertia at least halves the first month's move"
    );
}

#[test]
fn every_bundled_scenario_keeps_prices_positive_and_stocks_non_negative() {
    for (name, text) in BUNDLED {
        let scenario = load_str(name, text, &Overrides::default()).expect("bundled scenario loads");
        for r in run(&scenario) {
            assert!(r.value.is_finite(), "{name}: {r:?}");
            match r.metric {
                Metric::Price | Metric::ListPrice | Metric::UnitCost => {
                    assert!(r.value > 0.0, "{name}: {r:?}")
                }
                Metric::InputStockMonths => assert!(r.value >= 0.0, "{name}: {r:?}"),
                _ => {}
            }
        }
    }
}

/// A market's metric summed over ticks.
fn market_total(
    s: &Scenario,
    rows: &[Row],
    metric: Metric,
    ticks: std::ops::Range<u32>,
    sector_id: &str,
    market: &str,
) -> f64 {
    let (k, i) = (sector(s, sector_id), state(s, market));
    rows.iter()
        .filter(|r| r.metric == metric && ticks.contains(&r.tick) && r.sector == k && r.market == i)
        .map(|r| r.value)
        .sum()
}

#[test]
fn demand_both_ways_elastic_buyers_cut_back_when_a_ban_raises_the_price_and_inelastic_ones_do_not()
{
    // Demand for minerals in the US market over the ban's first year, by the elasticity scale
    // (the small world's sectors all take demand.price_elasticity = 0.5 times the scale).
    let us_demand = |scale: &str, events: &[&str]| {
        let s = world(events, &[("demand.price_elasticity_scale", scale)], None);
        market_total(&s, &run(&s), Metric::Demand, 3..15, "minerals", "US")
    };
    let (elastic, inelastic) = (
        us_demand("3", &[MINERAL_BAN]),
        us_demand("0", &[MINERAL_BAN]),
    );
    let (elastic_free, inelastic_free) = (us_demand("3", &[]), us_demand("0", &[]));
    eprintln!(
        "US minerals demand, ban: elastic {elastic:.3} inelastic {inelastic:.3}; no ban: elastic {elastic_free:.3} inelastic {inelastic_free:.3}"
    );
    assert!(
        elastic < 0.85 * inelastic,
        "with elastic demand the ban's price rise cuts what US buyers ask for: {elastic:.3} vs {inelastic:.3}"
    );
    assert!(
        (elastic_free / inelastic_free - 1.0).abs() < 0.03,
        "without the ban prices stay on trend and the elasticity hardly matters: {elastic_free:.3} vs {inelastic_free:.3}"
    );
}

#[test]
fn c5_with_elastic_final_demand_final_users_cut_back_and_fabs_keep_more_of_a_short_mineral() {
    // Thin stocks, pro-rata sharing of the small unbanned miner's output: fabs and final users in
    // the banned markets compete for it, so final users who cut back at the higher price leave
    // more to the fabs (a one-month demand adjustment, so that the first year shows it).
    let fab_output = |scale: &str| {
        c5_effect(
            &[
                ("production.input_stock_months", "0.5"),
                ("production.rationing", "\"pro_rata\""),
                ("demand.price_elasticity_scale", scale),
                ("demand.adjustment_months", "1"),
            ],
            None,
        )
        .0
    };
    let (elastic, inelastic) = (fab_output("3"), fab_output("0"));
    eprintln!("fab output under the ban: elastic ×{elastic:.3}, inelastic ×{inelastic:.3}");
    assert!(
        elastic > inelastic + 0.05,
        "elastic final demand softens the ban's cut in chip-chain output: ×{elastic:.3} vs ×{inelastic:.3}"
    );
}

/// The first tick after the peak at which the US minerals price has fallen back at least half
/// way to its pre-ban level, when the minerals sector's lead time is `lead_years` (None: it has
/// not within the run); and the US miner's capacity two years in.
fn mineral_recovery(lead_years: f64) -> (Option<u32>, f64) {
    let mut s = world(&[MINERAL_BAN], &[], None);
    let k = sector(&s, "minerals") as usize;
    s.sectors[k].capacity_lead_time_years = Some(lead_years);
    let rows = run(&s);
    let series: Vec<f64> = (0..60)
        .map(|t| price(&s, &rows, t, "minerals", "US"))
        .collect();
    let before = series[2];
    let (peak_at, peak) = series
        .iter()
        .copied()
        .enumerate()
        .fold((0, 0.0), |a, (t, p)| if p > a.1 { (t, p) } else { a });
    let back = (peak_at..60)
        .find(|&t| series[t] < before + 0.5 * (peak - before))
        .map(|t| t as u32);
    eprintln!(
        "minerals lead {lead_years} years: peak {peak:.3} at {peak_at}, half way back at {back:?}"
    );
    (
        back,
        of_firm(&s, &rows, Metric::Capacity, 24, "us_minerals"),
    )
}

#[test]
fn a_supply_shock_to_a_long_lead_sector_takes_longer_to_answer() {
    let (short_back, short_capacity) = mineral_recovery(1.0);
    let (long_back, long_capacity) = mineral_recovery(4.0);
    let short_back = short_back.expect("with a one-year lead the price falls back within the run");
    assert!(
        long_back.is_none_or(|t| t > short_back + 6),
        "with a four-year lead the price stays up longer: {long_back:?} vs {short_back}"
    );
    assert!(
        short_capacity > 1.2 * long_capacity,
        "two years in, the short-lead miner has built more: {short_capacity:.3} vs {long_capacity:.3}"
    );
}

#[test]
fn a_bad_sector_elasticity_or_lead_time_is_refused_with_its_place_and_a_fix() {
    for (field, value, says) in [
        ("price_elasticity", "-0.5", "must lie in [0, 10]"),
        ("capacity_lead_time_years", "0.0", "must lie in (0, 30]"),
    ] {
        let text = SMALL_WORLD.replace(
            "demand_growth_per_year: 0.03,",
            &format!("demand_growth_per_year: 0.03,\n            {field}: {value},"),
        );
        let err = load_str("bad.ron", &text, &Overrides::default())
            .expect_err("a bad sector figure is refused")
            .to_string();
        assert!(
            err.contains(field) && err.contains(says) && err.contains("bad.ron"),
            "{err}"
        );
    }
}

/// The US bans equipment sales to CN from 2022-10 (tick 3); JP's toolmaker stays open unless
/// `jp_too`, in which case Japan imposes the same ban.
fn equipment_ban(jp_too: bool) -> Vec<&'static str> {
    let mut events = vec![
        r#"Event(date: "2022-10", action: ExportControl(id: "us_sme", controller: "US", sector: "equipment", max_capability: -100, destinations: ["CN"]))"#,
    ];
    if jp_too {
        events.push(r#"Event(date: "2022-10", action: ExportControl(id: "jp_sme", controller: "JP", sector: "equipment", max_capability: -100, destinations: ["CN"]))"#);
    }
    events
}

/// CN's equipment self-sufficiency averaged over the ban's first year, minus its level the month
/// before the ban, at nest dissimilarity `lambda`.
fn cn_substitution(lambda: &str, jp_too: bool) -> f64 {
    let s = world(
        &equipment_ban(jp_too),
        &[
            ("market.nest_dissimilarity", lambda),
            ("mechanisms.allied_compliance", "false"),
        ],
        None,
    );
    let rows = run(&s);
    let before = market_total(&s, &rows, Metric::SelfSufficiency, 2..3, "equipment", "CN");
    let after = market_total(&s, &rows, Metric::SelfSufficiency, 4..16, "equipment", "CN") / 12.0;
    after - before
}

#[test]
fn nested_choice_both_ways_blocked_buyers_turn_to_other_importers_first_unless_none_is_open() {
    // Domestic suppliers and imports as two nests (market.nest_dissimilarity λ): at λ < 1 buyers
    // cut off from one importer substitute more readily among the other importers than toward
    // home suppliers, so a ban lifts the target's self-sufficiency less than under the plain
    // logit (λ = 1, which spreads blocked demand in proportion to the logit weights).
    let (nested, plain) = (cn_substitution("0.3", false), cn_substitution("1", false));
    // With every importer banned, the blocked demand has only home suppliers to go to: most of
    // nesting's damping goes (what remains comes from shares and capacity that differ by λ
    // before the ban).
    let (nested_all, plain_all) = (cn_substitution("0.3", true), cn_substitution("1", true));
    eprintln!(
        "rise in CN equipment self-sufficiency: JP open λ=0.3 {nested:.4} λ=1 {plain:.4}; JP banning too λ=0.3 {nested_all:.4} λ=1 {plain_all:.4}"
    );
    assert!(
        plain > 0.0 && nested < 0.7 * plain,
        "with an open importer, nesting routes blocked demand abroad first: {nested:.4} vs {plain:.4}"
    );
    assert!(
        nested_all / plain_all > nested / plain + 0.15,
        "with every importer banned, nesting damps substitution far less: {:.3} vs {:.3} of the plain logit's rise",
        nested_all / plain_all,
        nested / plain
    );
}

#[test]
fn nested_logit_shares_are_shares_and_reduce_to_the_plain_logit_at_lambda_one() {
    use chokepoint::model::world::{logit_shares, nested_logit_shares};
    let u = [0.3, -0.2, 1.1, 0.0];
    let domestic = [true, false, false, true];
    let (mut plain, mut one, mut half) = ([0.0; 4], [0.0; 4], [0.0; 4]);
    logit_shares(&u, 1.0, &mut plain);
    nested_logit_shares(&u, &domestic, 1.0, 1.0, &mut one);
    nested_logit_shares(&u, &domestic, 1.0, 0.5, &mut half);
    assert_eq!(plain, one, "λ = 1 is the plain logit, bit for bit");
    assert!((half.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // Within a nest the odds are exp((U_a − U_b)/(μλ)): twice the log-odds of the plain logit.
    let within = (half[2] / half[1]).ln();
    assert!((within - (1.1 - -0.2) / 0.5).abs() < 1e-12, "{within}");
    // Across nests the odds are not the ratio of the two suppliers' weights (no IIA across nests).
    let across = (half[2] / half[0]).ln();
    assert!((across - (1.1 - 0.3) / 0.5).abs() > 0.1, "{across}");
}
