//! Allied compliance as collective action (claim C6, docs/MODEL.md "Allied compliance"), on the
//! default world: free-riding and pivotal allies emerge from what each ally adds to the
//! coalition's effect, nothing depends on the coalition's size as such, and alliances matter only
//! through the requests that name them.

use crate::support::SMALL_WORLD;
use chokepoint::model::metrics::{Metric, Row, Selection};
use chokepoint::scenario::params::ParamValue;
use chokepoint::scenario::{Action, Date, Event, Overrides, Scenario, Source, load, load_str};

/// A bundled scenario with parameter overrides.
fn bundled(name: &str, parameters: &[(&str, ParamValue)]) -> Scenario {
    let overrides = Overrides {
        parameters: parameters
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        ..Overrides::default()
    };
    load(&Source::Bundled(format!("{name}.ron")), &overrides)
        .unwrap_or_else(|e| panic!("{name} loads: {e}"))
        .scenario
}

fn state(s: &Scenario, id: &str) -> u16 {
    s.states
        .iter()
        .position(|x| x.id == id)
        .expect("known state") as u16
}

fn run(s: &Scenario) -> Vec<Row> {
    chokepoint::model::run(s, Selection::default()).to_rows()
}

/// Compliance of `ally` with `controller` at `tick`.
fn compliance(s: &Scenario, rows: &[Row], ally: &str, controller: &str, tick: u32) -> f64 {
    let (a, c) = (state(s, ally), state(s, controller));
    rows.iter()
        .find(|r| r.metric == Metric::Compliance && r.tick == tick && r.state == a && r.market == c)
        .unwrap_or_else(|| panic!("no compliance row for {ally} at tick {tick}"))
        .value
}

/// The small test world with four more allies ("SA"–"SD"), each home to one small toolmaker
/// that sells nothing else: small shares of the controlled supply, fully exposed to its markets.
fn coalition_world(asked: &[&str], parameters: &[(&str, &str)]) -> Scenario {
    let allies = ["SA", "SB", "SC", "SD"];
    let mut text = SMALL_WORLD.to_string();
    let states: String = allies
        .iter()
        .map(|a| format!("        State(id: \"{a}\", name: \"Ally {a}\", security_dependence: {{\"US\": 0.8}}),\n"))
        .collect();
    text = text.replace(
        "    ],\n    firms: [",
        &format!("{states}    ],\n    firms: ["),
    );
    let firms: String = allies
        .iter()
        .map(|a| format!("        Firm(id: \"{}_tools\", name: \"{a} toolmaker\", home: \"{a}\", sector: \"equipment\", share: 0.04, capability: -0.5),\n", a.to_lowercase()))
        .collect();
    text = text
        .replace(
            r#"share: 0.6, capability: 0.0),"#,
            &format!("share: 0.5, capability: 0.0),\n{firms}"),
        )
        .replace(
            r#"share: 0.35, capability: -0.5)"#,
            r#"share: 0.29, capability: -0.5)"#,
        );
    let control = r#"Event(date: "2022-10", action: ExportControl(id: "sme", controller: "US", sector: "equipment", max_capability: -100, destinations: ["CN"]))"#;
    let ask = format!(
        r#"Event(date: "2022-11", action: AllyAlignment(id: "ask", control: "sme", allies: [{}]))"#,
        asked
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let params: Vec<String> = parameters
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    let text = text
        .replace(
            "events: [],",
            &format!("events: [\n        {control},\n        {ask}\n    ],"),
        )
        .replace(
            "parameters: {},",
            &format!("parameters: {{{}}},", params.join(", ")),
        );
    load_str("coalition_world.ron", &text, &Overrides::default())
        .unwrap_or_else(|e| panic!("coalition world loads: {e}"))
}

/// Mean compliance of `allies` with the US at `tick`.
fn mean_compliance(s: &Scenario, rows: &[Row], allies: &[&str], tick: u32) -> f64 {
    allies
        .iter()
        .map(|a| compliance(s, rows, a, "US", tick))
        .sum::<f64>()
        / allies.len() as f64
}

/// Parameters under which free-riding pays (the coalition's effect is concave in what it
/// withholds) or every ally is pivotal (strongly convex: the effect needs nearly all of it).
const FREE_RIDING: [(&str, &str); 1] = [("alliances.effect_exponent", "0.5")];
const PIVOTAL: [(&str, &str); 1] = [("alliances.effect_exponent", "8.0")];
const SMALL_ALLIES: [&str; 4] = ["SA", "SB", "SC", "SD"];

#[test]
fn adding_small_exposed_allies_lowers_compliance_when_free_riding_pays() {
    let few = coalition_world(&["JP"], &FREE_RIDING);
    let many = coalition_world(&["JP", "SA", "SB", "SC", "SD"], &FREE_RIDING);
    let (a, b) = (run(&few), run(&many));
    // The small allies add little and have much at stake, so they comply little; whether JP
    // itself free-rides depends on how much they withhold (the unit tests of
    // `model::alliances` show what an ally adds shrinking as others withhold, for γ < 1).
    let jp_alone = compliance(&few, &a, "JP", "US", 24);
    let mean = mean_compliance(&many, &b, &["JP", "SA", "SB", "SC", "SD"], 24);
    assert!(
        mean < jp_alone - 0.2,
        "the larger coalition complies less on average: {mean} < {jp_alone}"
    );
}

#[test]
fn adding_small_exposed_allies_does_not_lower_compliance_when_each_is_pivotal() {
    let few = coalition_world(&["JP"], &PIVOTAL);
    let many = coalition_world(&["JP", "SA", "SB", "SC", "SD"], &PIVOTAL);
    let (a, b) = (run(&few), run(&many));
    let jp_alone = compliance(&few, &a, "JP", "US", 24);
    let mean = mean_compliance(&many, &b, &["JP", "SA", "SB", "SC", "SD"], 24);
    assert!(
        mean > jp_alone - 0.02,
        "pivotal allies comply as much as one: {mean} vs {jp_alone}"
    );
    for ally in SMALL_ALLIES {
        assert!(
            compliance(&many, &b, ally, "US", 24) > 0.9,
            "{ally} complies"
        );
    }
}

/// CN's blocked share of desired equipment imports, summed over the first two years.
fn cn_denial(s: &Scenario, rows: &[Row]) -> f64 {
    let cn = state(s, "CN");
    rows.iter()
        .filter(|r| r.metric == Metric::Denial && r.market == cn && r.tick < 24)
        .map(|r| r.value)
        .sum()
}

#[test]
fn removing_an_ally_with_a_large_share_of_the_supply_matters_more_than_a_small_one() {
    let all = ["JP", "SA", "SB", "SC", "SD"];
    let without = |gone: &str| {
        let asked: Vec<&str> = all.iter().copied().filter(|a| *a != gone).collect();
        let s = coalition_world(&asked, &PIVOTAL);
        cn_denial(&s, &run(&s))
    };
    let full = {
        let s = coalition_world(&all, &PIVOTAL);
        cn_denial(&s, &run(&s))
    };
    let (no_jp, no_sa) = (without("JP"), without("SA"));
    // Losing a small ally moves denial either way a little (its own firm is freed, while the
    // others, now more pivotal, comply more); losing the large one costs far more than that.
    assert!(
        full - no_jp > 1.5 * (full - no_sa).abs(),
        "losing JP (29% of the tools) costs more denial than losing SA (4%) changes it: {full} → {no_jp} vs {no_sa}"
    );
    assert!(
        full - no_jp > 0.0,
        "losing JP lowers denial: {full} → {no_jp}"
    );
}

#[test]
fn removing_the_netherlands_loosens_the_full_ban_more_than_removing_germany() {
    // The default world: NL holds ASML's share of the world's tools, DE none; both are asked
    // in full_ban_with_supports.
    let drop = |gone: &str| {
        let mut s = bundled("full_ban_with_supports", &[]);
        for e in &mut s.events {
            if let Action::AllyAlignment { allies, .. } = &mut e.action {
                allies.retain(|a| a != gone);
            }
        }
        let rows = run(&s);
        cn_denial(&s, &rows)
    };
    let full = {
        let s = bundled("full_ban_with_supports", &[]);
        cn_denial(&s, &run(&s))
    };
    let (no_nl, no_de) = (drop("NL"), drop("DE"));
    assert!(
        (full - no_nl).abs() > (full - no_de).abs(),
        "NL matters more than DE: full {full}, without NL {no_nl}, without DE {no_de}"
    );
}

#[test]
fn with_no_alliance_requests_the_listed_alliances_change_nothing() {
    for name in ["baseline_2022", "full_ban"] {
        let listed = bundled(name, &[]);
        let mut none = listed.clone();
        none.alliances.clear();
        let mut more = listed.clone();
        more.alliances.push(chokepoint::scenario::Alliance {
            id: "everyone".into(),
            name: "Everyone".into(),
            members: listed.states.iter().map(|s| s.id.clone()).collect(),
            leader: Some("US".into()),
        });
        let reference = run(&listed);
        assert!(run(&none) == reference, "{name}: no alliances, same rows");
        assert!(
            run(&more) == reference,
            "{name}: one more alliance, same rows"
        );
    }
}

/// The coalition world with JP asked through `channels` alliances that each contain it.
fn asked_through(channels: usize, pressure: &str) -> f64 {
    let mut s = coalition_world(
        &["SA"],
        &[
            ("alliances.channel_pressure", pressure),
            ("alliances.security_value", "1.0"),
        ],
    );
    let alliances: Vec<String> = (0..channels).map(|c| format!("pact_{c}")).collect();
    for id in &alliances {
        s.alliances.push(chokepoint::scenario::Alliance {
            id: id.clone(),
            name: id.clone(),
            members: vec!["US".into(), "JP".into()],
            leader: Some("US".into()),
        });
    }
    for e in &mut s.events {
        if let Action::AllyAlignment {
            allies,
            alliances: via,
            ..
        } = &mut e.action
        {
            allies.clear();
            via.clone_from(&alliances);
        }
    }
    let rows = run(&s);
    compliance(&s, &rows, "JP", "US", 24)
}

#[test]
fn a_node_country_asked_through_several_alliances_feels_each_when_pressure_counts() {
    let (one, three) = (asked_through(1, "0.05"), asked_through(3, "0.05"));
    assert!(
        three > one + 0.05,
        "three channels press harder: {three} > {one}"
    );
    let (one, three) = (asked_through(1, "0.0"), asked_through(3, "0.0"));
    assert!(
        (three - one).abs() < 1e-12,
        "without pressure, channels do not matter: {three} vs {one}"
    );
}

#[test]
fn a_trust_shock_to_an_alliance_lowers_every_members_compliance() {
    let base = coalition_world(&["JP", "SA"], &[]);
    let mut shocked = base.clone();
    shocked.alliances.push(chokepoint::scenario::Alliance {
        id: "pact".into(),
        name: "Pact".into(),
        members: vec!["US".into(), "JP".into(), "SA".into()],
        leader: Some("US".into()),
    });
    shocked.events.push(Event {
        date: Date::parse("2023-01").expect("date"),
        announced: None,
        label: None,
        action: Action::TrustShock {
            id: "shock".into(),
            state: None,
            alliance: Some("pact".into()),
            toward: "US".into(),
            size: 0.5,
        },
    });
    let (a, b) = (run(&base), run(&shocked));
    for ally in ["JP", "SA"] {
        assert!(
            compliance(&shocked, &b, ally, "US", 8) < compliance(&base, &a, ally, "US", 8) - 0.01,
            "{ally}'s compliance falls after the alliance's trust shock"
        );
    }
}

#[test]
fn the_controller_escalates_extraterritorially_only_when_the_switch_is_on() {
    let regime_after = |escalate: &str| {
        let s = coalition_world(
            &["JP"],
            &[
                ("mechanisms.extraterritorial_escalation", escalate),
                ("alliances.security_value", "0.0"),
            ],
        );
        let mut sim = chokepoint::model::Simulation::new(&s, Selection::default());
        for _ in 0..20 {
            sim.step();
        }
        let regime = sim
            .world()
            .resource::<chokepoint::model::policy::PolicyRegime>();
        let extraterritorial = regime.controls().any(|(_, c)| c.extraterritorial);
        let jp = state(&s, "JP") as usize;
        let us = state(&s, "US") as usize;
        (extraterritorial, regime.trust[jp][us])
    };
    let (on, trust_on) = regime_after("true");
    let (off, trust_off) = regime_after("false");
    assert!(on && !off, "escalation only with the switch on");
    assert!(
        trust_on < trust_off,
        "escalating costs trust: {trust_on} < {trust_off}"
    );
}

#[test]
fn an_alignment_request_naming_an_unknown_alliance_is_a_located_error() {
    let text = SMALL_WORLD.replace(
        "events: [],",
        r#"events: [
        Event(date: "2022-10", action: ExportControl(id: "sme", controller: "US", sector: "equipment", max_capability: -100, destinations: ["CN"])),
        Event(date: "2022-11", action: AllyAlignment(id: "ask", control: "sme", alliances: ["chip_pakt"])),
    ],"#,
    );
    let err = load_str("w.ron", &text, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown alliance `chip_pakt`"), "{err}");
    assert!(
        err.contains("chip_pact"),
        "lists the valid alliances: {err}"
    );
    assert!(err.contains("w.ron:"), "names the file and line: {err}");
}

#[test]
fn a_trust_shock_naming_both_a_state_and_an_alliance_is_refused() {
    let text = SMALL_WORLD.replace(
        "events: [],",
        r#"events: [
        Event(date: "2022-10", action: TrustShock(id: "t", state: "JP", alliance: "chip_pact", toward: "US", size: 0.5)),
    ],"#,
    );
    let err = load_str("w.ron", &text, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("either one `state` or one `alliance`"),
        "{err}"
    );
}
