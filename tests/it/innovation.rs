//! Innovation v2 as a specification (docs/MODEL.md, "Innovation", "Ceilings"): with no policy the
//! leaders stay leaders on the default world; supply-chain ceilings hold in every bundled scenario,
//! every tick; and a policy's effect on the target's technology gap is decided by parameters a
//! user can see — a tool ban widens the gap when spill-overs dominate and hardly moves it without
//! them; a state fund with a procurement mandate narrows it only while R&D buys progress.

use std::collections::BTreeMap;

use chokepoint::model::metrics::{Metric, Row, Selection, WORLD};
use chokepoint::model::world::Markets;
use chokepoint::model::{self, Simulation};
use chokepoint::scenario::params::ParamValue;
use chokepoint::scenario::{Overrides, Scenario, Source, load, load::BUNDLED, load_str};

/// The default world with extra events and parameter overrides.
fn default_world(events: &[&str], parameters: &[(&str, f64)], seed: u64) -> Scenario {
    let text = format!(
        "Scenario(extends: \"baseline_2022.ron\", events: [{}])",
        events.join(", ")
    );
    let overrides = Overrides {
        seed: Some(seed),
        ticks: None,
        parameters: parameters
            .iter()
            .map(|(path, value)| (path.to_string(), ParamValue::Number(*value)))
            .collect(),
    };
    load_str("test.ron", &text, &overrides).unwrap_or_else(|e| panic!("test world loads: {e}"))
}

fn firm(s: &Scenario, id: &str) -> u16 {
    s.firms.iter().position(|f| f.id == id).expect("known firm") as u16
}

/// Every firm's capability at every recorded tick: (tick, firm) → q.
fn capabilities(s: &Scenario) -> BTreeMap<(u32, u16), f64> {
    let rows = model::run(
        s,
        Selection {
            metrics: Some(vec![Metric::Capability]),
            ticks: None,
        },
    )
    .to_rows();
    rows.iter().map(|r| ((r.tick, r.firm), r.value)).collect()
}

/// The sector's largest firm at the start (the leader the patterns are stated against).
fn largest(s: &Scenario, sector: &str) -> usize {
    let members: Vec<usize> = (0..s.firms.len())
        .filter(|&j| s.firms[j].sector == sector)
        .collect();
    members
        .iter()
        .copied()
        .reduce(|a, b| {
            if s.firms[b].share > s.firms[a].share {
                b
            } else {
                a
            }
        })
        .expect("sector has firms")
}

#[test]
fn without_policy_leaders_stay_leaders_and_no_laggard_closes_half_a_large_gap() {
    for seed in [1, 2, 3, 4] {
        let s = default_world(&[], &[], seed);
        let q = capabilities(&s);
        let last = s.ticks - 1;
        for sector in ["ai_accelerator", "foundry_advanced", "equipment", "memory"] {
            let leader = largest(&s, sector);
            let lead_start = q[&(0, leader as u16)];
            let lead_end = q[&(last, leader as u16)];
            for (j, f) in s.firms.iter().enumerate() {
                if f.sector != sector || j == leader {
                    continue;
                }
                let start_gap = lead_start - q[&(0, j as u16)];
                let end_gap = lead_end - q[&(last, j as u16)];
                if start_gap >= 1.0 {
                    assert!(
                        end_gap > 0.0,
                        "seed {seed}: {} overtook {} ({start_gap:.2} → {end_gap:.2})",
                        f.id,
                        s.firms[leader].id
                    );
                }
                if start_gap >= 3.0 {
                    assert!(
                        end_gap > 0.5 * start_gap,
                        "seed {seed}: {} closed more than half its gap to {} ({start_gap:.2} → {end_gap:.2})",
                        f.id,
                        s.firms[leader].id
                    );
                }
            }
        }
    }
}

#[test]
fn without_policy_chinese_firms_hold_under_a_tenth_of_the_world_ai_accelerator_market() {
    for seed in [1, 2, 3] {
        let s = default_world(&[], &[], seed);
        let cn = s.states.iter().position(|x| x.id == "CN").unwrap() as u16;
        let k = s
            .sectors
            .iter()
            .position(|x| x.id == "ai_accelerator")
            .unwrap() as u16;
        let rows = model::run(
            &s,
            Selection {
                metrics: Some(vec![Metric::StateMarketShare]),
                ticks: None,
            },
        )
        .to_rows();
        let shares: Vec<&Row> = rows
            .iter()
            .filter(|r| r.state == cn && r.sector == k && r.market == WORLD)
            .collect();
        assert_eq!(shares.len(), s.ticks as usize);
        for r in shares {
            assert!(
                r.value < 0.10,
                "seed {seed}, tick {}: Chinese share {:.3}",
                r.tick,
                r.value
            );
        }
    }
}

/// Checks at every tick that no firm whose sector has a bounding input delivers more than that
/// input's capability as its home market received it (bought, or drawn from a stockpile) plus the
/// design margin. Returns how many (firm, tick) pairs the bound was tight for.
fn assert_ceilings_hold(name: &str, s: &Scenario) -> usize {
    let margin = s.parameters.ceilings.design_margin_years;
    let bounded: Vec<(usize, usize)> = s
        .sectors
        .iter()
        .enumerate()
        .flat_map(|(k, sector)| {
            sector
                .inputs
                .iter()
                .filter(|i| i.bounds_capability)
                .map(move |i| (k, s.sectors.iter().position(|x| x.id == i.sector).unwrap()))
        })
        .collect();
    let mut sim = Simulation::new(
        s,
        Selection {
            metrics: Some(vec![Metric::Capability]),
            ticks: None,
        },
    );
    let mut tight = 0;
    let mut tick = 0;
    while sim.step() {
        let markets = sim.world().resource::<Markets>();
        let rows = &sim
            .world()
            .resource::<chokepoint::model::metrics::Recorder>()
            .recording
            .to_rows();
        for r in rows.iter().filter(|r| r.tick == tick) {
            let j = r.firm as usize;
            let home = s
                .states
                .iter()
                .position(|x| x.id == s.firms[j].home)
                .unwrap();
            for &(k, input) in &bounded {
                if s.sectors[k].id != s.firms[j].sector {
                    continue;
                }
                let mut received = markets.bought_capability[input][home];
                if markets.stock_draw[input][home] > 0.0 {
                    received = received.max(markets.stockpile_capability[input][home]);
                }
                assert!(
                    r.value <= received + margin + 1e-9,
                    "{name}, tick {tick}: {} delivers {:.3} on inputs of {:.3} (margin {margin})",
                    s.firms[j].id,
                    r.value,
                    received
                );
                if r.value >= received + margin - 1e-9 {
                    tight += 1;
                }
            }
        }
        tick += 1;
    }
    tight
}

#[test]
fn no_accelerator_outruns_its_wafers_in_any_bundled_scenario() {
    for (file, _) in BUNDLED {
        let loaded = load(&Source::Bundled(file.to_string()), &Overrides::default())
            .expect("bundled scenario loads");
        assert_ceilings_hold(file, &loaded.scenario);
    }
}

/// A US ban on ≤7 nm wafers to China that binds Taiwan's and Korea's fabs (extraterritorial, full
/// compliance): Chinese designers get only SMIC's wafers.
const FOUNDRY_BAN: &str = r#"Event(date: "2022-10", action: ExportControl(id: "wafers", controller: "US", sector: "foundry_advanced", max_capability: -1000.0, destinations: ["CN"], extraterritorial: true))"#;

#[test]
fn a_wafer_ban_bounds_the_targets_accelerators_by_its_own_foundry_and_the_switch_lifts_it() {
    // Full compliance, no gray channel, no stockpile: Chinese designers get only SMIC's wafers.
    let mut s = default_world(&[FOUNDRY_BAN], &[], 1);
    s.parameters.mechanisms.allied_compliance = false;
    s.parameters.mechanisms.leakage = false;
    s.parameters.mechanisms.stockpiling = false;
    let tight = assert_ceilings_hold("wafer ban", &s);
    assert!(tight > 0, "the ceiling binds on the target's designers");
    let (huawei, smic) = (firm(&s, "huawei"), firm(&s, "smic_advanced"));
    let tick = 48;
    let q = capabilities(&s);
    let margin = s.parameters.ceilings.design_margin_years;
    assert!(
        q[&(tick, huawei)] <= q[&(tick, smic)] + margin + 1e-9,
        "Huawei within SMIC's process plus the margin"
    );
    let mut free = s.clone();
    free.parameters.mechanisms.capability_ceilings = false;
    let unbounded = capabilities(&free)[&(tick, huawei)];
    assert!(
        unbounded > q[&(tick, huawei)] + 1.0,
        "without ceilings Huawei delivers its design ({unbounded:.2}) instead of {:.2}",
        q[&(tick, huawei)]
    );
}

/// US, Dutch and Japanese tool makers stop selling to China from 2022-10.
const TOOL_BAN: [&str; 3] = [
    r#"Event(date: "2022-10", action: ExportControl(id: "tools_us", controller: "US", sector: "equipment", max_capability: -1000.0, destinations: ["CN"]))"#,
    r#"Event(date: "2022-10", action: ExportControl(id: "tools_nl", controller: "NL", sector: "equipment", max_capability: -1000.0, destinations: ["CN"]))"#,
    r#"Event(date: "2022-10", action: ExportControl(id: "tools_jp", controller: "JP", sector: "equipment", max_capability: -1000.0, destinations: ["CN"]))"#,
];

/// TSMC's lead over SMIC's advanced process at the end, averaged over seeds.
fn foundry_gap(events: &[&str], parameters: &[(&str, f64)]) -> f64 {
    let seeds = [1, 2, 3];
    seeds
        .iter()
        .map(|&seed| {
            let s = default_world(events, parameters, seed);
            let q = capabilities(&s);
            let end = s.ticks - 1;
            q[&(end, firm(&s, "tsmc"))] - q[&(end, firm(&s, "smic_advanced"))]
        })
        .sum::<f64>()
        / seeds.len() as f64
}

#[test]
fn a_tool_ban_widens_the_targets_foundry_gap_when_spill_overs_dominate_and_not_without_them() {
    // The ban cuts imitation (access to frontier tools); with imitation strong that is the channel
    // the target relied on, without it the ban leaves own progress to the target's R&D.
    let effect = |rate: f64| {
        let params = [("learning.catch_up_rate_per_year", rate)];
        foundry_gap(&TOOL_BAN, &params) - foundry_gap(&[], &params)
    };
    let (strong, none) = (effect(1.0), effect(0.0));
    assert!(
        strong > 0.5,
        "strong spill-overs: the ban widens the gap by {strong:.2}"
    );
    assert!(
        none.abs() < 0.5,
        "no spill-overs: the ban moves the gap by only {none:.2}"
    );
}

/// China's state fund and procurement list for ≤7 nm wafers, from 2022-10.
const FUND_AND_MANDATE: [&str; 2] = [
    r#"Event(date: "2022-10", action: StateFund(id: "fund", state: "CN", sectors: ["foundry_advanced"], rd_usd_b_per_year: 5.0, capacity_usd_b_per_year: 5.0))"#,
    r#"Event(date: "2022-10", action: ProcurementMandate(id: "buy_local", state: "CN", sector: "foundry_advanced", domestic_share: 0.5))"#,
];

#[test]
fn a_state_fund_with_a_procurement_mandate_narrows_the_gap_only_while_rd_buys_progress() {
    let (base, funded) = (foundry_gap(&[], &[]), foundry_gap(&FUND_AND_MANDATE, &[]));
    assert!(
        funded < base - 1.0,
        "fund and mandate narrow the gap: {base:.2} → {funded:.2}"
    );
    let flat = [("learning.knowledge_returns_exponent", 1e-6)];
    let (base, funded) = (
        foundry_gap(&[], &flat),
        foundry_gap(&FUND_AND_MANDATE, &flat),
    );
    assert!(
        (funded - base).abs() < 0.25,
        "with no returns to knowledge the money buys nothing: {base:.2} → {funded:.2}"
    );
}

#[test]
fn rd_dollars_not_firm_size_set_the_pace_of_own_progress() {
    // Imitation and noise off: progress is own knowledge only. Cambricon spends twice its revenue
    // on R&D; at a tenth of that its knowledge and its progress fall behind.
    let mut s = default_world(&[], &[], 1);
    s.parameters.mechanisms.catch_up = false;
    s.parameters.mechanisms.innovation_noise = false;
    let end = s.ticks - 1;
    let cambricon = firm(&s, "cambricon");
    let knowledge_and_progress = |s: &Scenario| {
        let rows = model::run(
            s,
            Selection {
                metrics: Some(vec![Metric::Knowledge, Metric::DesignCapability]),
                ticks: Some(vec![0, end]),
            },
        )
        .to_rows();
        let get = |metric: Metric, tick: u32| {
            rows.iter()
                .find(|r| r.metric == metric && r.tick == tick && r.firm == cambricon)
                .expect("recorded")
                .value
        };
        (
            get(Metric::Knowledge, end),
            get(Metric::DesignCapability, end) - get(Metric::DesignCapability, 0),
        )
    };
    let (knowledge, progress) = knowledge_and_progress(&s);
    let mut lean = s.clone();
    lean.firms[cambricon as usize].rd_intensity = Some(0.2);
    let (lean_knowledge, lean_progress) = knowledge_and_progress(&lean);
    assert!(
        lean_knowledge < 0.5 * knowledge,
        "a tenth of the R&D, far less knowledge: {knowledge:.3} vs {lean_knowledge:.3}"
    );
    assert!(
        lean_progress < progress - 0.2,
        "less knowledge, slower progress: {progress:.2} vs {lean_progress:.2}"
    );
    let q = capabilities(&s);
    let nvidia = firm(&s, "nvidia");
    let leader_pace = (q[&(end, nvidia)] - q[&(0, nvidia)]) / (f64::from(end) / 12.0);
    assert!(
        (0.8..1.3).contains(&leader_pace),
        "the leader funding at its intensity advances about a frontier-year a year ({leader_pace:.2})"
    );
    assert!(
        progress < q[&(end, nvidia)] - q[&(0, nvidia)],
        "a firm with a few per cent of the leader's knowledge cannot match its pace"
    );
}

/// Ramp yield of every fab at every tick of a run, firm by firm: (tick, firm) → (ramping, yield).
fn ramp_yields(s: &Scenario) -> Vec<Vec<(bool, f64)>> {
    use chokepoint::model::world::{NodeProcess, Roster};
    let mut sim = Simulation::new(
        s,
        Selection {
            metrics: Some(vec![]),
            ticks: None,
        },
    );
    let mut out = Vec::new();
    while sim.step() {
        let world = sim.world();
        let roster = world.resource::<Roster>();
        out.push(
            roster
                .firms
                .iter()
                .map(|&e| {
                    let node = world.get::<NodeProcess>(e).expect("firm has a node");
                    (node.ramping, node.ramp_yield)
                })
                .collect(),
        );
    }
    out
}

/// Firm-months spent below 99% ramp yield, and the lowest ramp yield of each sector's largest firm.
fn ramp_summary(s: &Scenario) -> (usize, f64) {
    let path = ramp_yields(s);
    let below = path.iter().flatten().filter(|(_, y)| *y < 0.99).count();
    let mut leaders_low: f64 = 1.0;
    for sector in ["foundry_advanced", "foundry_mature", "memory", "packaging"] {
        let j = largest(s, sector);
        for tick in &path {
            leaders_low = leaders_low.min(tick[j].1);
        }
    }
    (below, leaders_low)
}

#[test]
fn fabs_entering_a_new_node_ramp_its_yield_and_volume_shortens_the_ramp() {
    let base = default_world(&[], &[], 1);
    let (below, leaders_low) = ramp_summary(&base);
    let slow = default_world(&[], &[("learning.node_experience_unit_share", 0.02)], 1);
    let (below_slow, _) = ramp_summary(&slow);
    let off = default_world(&[], &[], 1);
    let mut off = off;
    off.parameters.mechanisms.node_learning = false;
    let (below_off, _) = ramp_summary(&off);
    eprintln!(
        "firm-months below 99% ramp yield: default {below}, slow ramp {below_slow}, off {below_off}; lowest leader ramp yield {leaders_low:.3}"
    );
    assert!(below > 0, "some fab enters a new node and ramps by 2030");
    assert!(
        below_slow > 2 * below,
        "a larger experience unit lengthens the ramps: {below_slow} vs {below}"
    );
    assert_eq!(
        below_off, 0,
        "with the switch off no yield is lost to ramps"
    );
    assert!(
        leaders_low > 0.9,
        "the largest producers ramp within a month: lowest {leaders_low:.3}"
    );
}

/// The small world's CN foundry starts just under a node boundary, with room in its capacity;
/// returns its ramp yield twelve months after it enters the new node.
fn cn_fab_yield_a_year_into_its_node(mandate: bool, node_learning_rate: f64) -> f64 {
    use crate::support::SMALL_WORLD;
    let event = r#"Event(date: "2022-10", action: ProcurementMandate(id: "buy_local", state: "CN", sector: "foundry_advanced", domestic_share: 0.5))"#;
    let plain = r#"sector: "foundry_advanced", share: 0.1, capability: -5.0),"#;
    assert!(
        SMALL_WORLD.contains(plain),
        "the fixture names the CN foundry"
    );
    let text = SMALL_WORLD
        .replace(
            plain,
            r#"sector: "foundry_advanced", share: 0.1, capability: -4.02, capacity_usd_b: 20.0),"#,
        )
        .replace(
            "events: [],",
            &format!("events: [{}],", if mandate { event } else { "" }),
        )
        .replace(
            "parameters: {},",
            &format!(
                "parameters: {{\"learning.node_experience_unit_share\": 0.05, \"learning.node_learning_rate\": {node_learning_rate}, \"mechanisms.innovation_noise\": false}},"
            ),
        )
        .replace("ticks: 36,", "ticks: 72,");
    let s = load_str("node_world.ron", &text, &Overrides::default())
        .unwrap_or_else(|e| panic!("test world loads: {e}"));
    let j = firm(&s, "cn_fab") as usize;
    let path = ramp_yields(&s);
    let entry = path
        .iter()
        .position(|tick| tick[j].0)
        .expect("the CN foundry enters a new node");
    eprintln!(
        "mandate {mandate}, rate {node_learning_rate}: entry at tick {entry}, yields {:.3?}",
        path.iter().map(|t| t[j].1).collect::<Vec<_>>()
    );
    assert!(entry + 12 < path.len(), "entry at {entry} leaves a year");
    path[entry + 12][j].1
}

#[test]
fn c7_both_ways_a_procurement_mandate_speeds_a_new_nodes_yield_ramp_only_with_learning_by_doing() {
    let (free, mandated) = (
        cn_fab_yield_a_year_into_its_node(false, 0.2),
        cn_fab_yield_a_year_into_its_node(true, 0.2),
    );
    assert!(
        mandated > free + 0.03,
        "with node learning, mandated volume buys yield: {mandated:.3} vs {free:.3}"
    );
    let (free0, mandated0) = (
        cn_fab_yield_a_year_into_its_node(false, 0.0),
        cn_fab_yield_a_year_into_its_node(true, 0.0),
    );
    assert!(
        (mandated0 - free0).abs() < 1e-12,
        "without learning within the node, volume buys nothing: {mandated0:.3} vs {free0:.3}"
    );
}
