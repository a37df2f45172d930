//! Tests of `src/model/catalogue.rs`.

use chokepoint::model::catalogue::*;
use chokepoint::model::metrics::Metric;

#[test]
fn every_metric_has_a_unit_columns_and_a_definition() {
    for m in Metric::ALL {
        assert!(!m.unit().trim().is_empty(), "{m:?} has no unit");
        assert!(!m.definition().trim().is_empty(), "{m:?} has no definition");
        assert!(!m.columns().is_empty(), "{m:?} fills no column");
        let mut last = None;
        for c in m.columns() {
            let at = ENTITY_COLUMNS.iter().position(|e| e == c);
            assert!(at.is_some(), "{m:?}: `{c}` is not an entity column");
            assert!(at > last, "{m:?}: columns out of table order");
            last = at;
        }
    }
}

#[test]
fn every_axis_unit_is_short_and_shares_are_in_percent() {
    for metric in Metric::ALL {
        let unit = metric.axis_unit();
        assert!(
            !unit.is_empty() && unit.chars().count() <= 26,
            "{}: {unit}",
            metric.name()
        );
        assert_eq!(
            metric.unit() == "share (0–1)",
            unit == "%",
            "{}",
            metric.name()
        );
    }
}

#[test]
fn purchases_name_the_buying_market_and_firm_metrics_fill_firm_and_sector() {
    for m in Metric::ALL {
        let c = m.columns();
        if c.contains(&"firm") {
            assert!(c.contains(&"sector"), "{m:?}");
        }
    }
    for m in [
        Metric::Price,
        Metric::Demand,
        Metric::UnmetDemand,
        Metric::BlockedDemand,
        Metric::Leakage,
        Metric::Stockpile,
        Metric::Denial,
        Metric::SelfSufficiency,
        Metric::MarketShare,
        Metric::StateMarketShare,
    ] {
        assert!(
            m.columns().contains(&"market"),
            "{m:?} must name its market"
        );
    }
    assert_eq!(Metric::Denial.columns(), ["market"]);
}

#[test]
fn metric_lists_parse_and_unknown_names_suggest_the_closest() {
    assert_eq!(
        Metric::parse_list("price, ai_compute").unwrap(),
        vec![Metric::Price, Metric::AiCompute]
    );
    let e = Metric::parse_list("ai_compte").unwrap_err();
    assert!(e.contains("did you mean `ai_compute`"), "{e}");
    assert!(Metric::parse_list(" , ").is_err());
}
