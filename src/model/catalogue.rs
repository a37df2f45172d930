//! The metric catalogue: for every [`Metric`], its unit, the `metrics.csv` columns it fills and
//! a one-line definition. It is the one home of that knowledge: `chokepoint metrics` prints it,
//! every run writes it beside `metrics.csv` as `metrics_catalogue.csv`, and docs/OUTPUTS.md
//! carries the same table (a test keeps the document in step).
//!
//! Column rule (docs/OUTPUTS.md, "Which columns a metric fills"): `state` holds the state a value
//! belongs to (the sellers' home state for `state_market_share`); `market` holds the buying market
//! (a state id or `world`) of every quantity about purchases, so a buying state is never in
//! `state` alone (`denial` leaves `state` empty; `self_sufficiency` names the state in both);
//! `compliance` is the one exception: its `market` is the controlling state. Firm metrics fill
//! `firm` and `sector`.

use super::metrics::Metric;

/// The entity columns of `metrics.csv` a metric can fill, in table order.
pub const ENTITY_COLUMNS: [&str; 4] = ["state", "firm", "sector", "market"];

/// The columns of `metrics_catalogue.csv` (and of `chokepoint metrics`).
pub const CATALOGUE_COLUMNS: [&str; 4] = ["metric", "unit", "columns", "definition"];

/// Everything the catalogue says about one metric.
struct Info {
    unit: &'static str,
    columns: &'static [&'static str],
    definition: &'static str,
}

const FIRM: &[&str] = &["firm", "sector"];
const STATE: &[&str] = &["state"];
const STATE_SECTOR: &[&str] = &["state", "sector"];
const SECTOR_MARKET: &[&str] = &["sector", "market"];
const STATE_SECTOR_MARKET: &[&str] = &["state", "sector", "market"];

const SHARE: &str = "share (0–1)";
const OUTPUT_RATE: &str = "$B of start-year output per year";
const USD_B_PER_YEAR: &str = "$B per year";
const PRICE_INDEX: &str = "index (start = 1)";
const FRONTIER_YEARS: &str = "frontier-years relative to the start frontier";

fn info(metric: Metric) -> Info {
    let (unit, columns, definition) = match metric {
        Metric::MarketShare => (
            SHARE,
            &["firm", "sector", "market"][..],
            "a firm's share of a market's sales value",
        ),
        Metric::StateMarketShare => (
            SHARE,
            STATE_SECTOR_MARKET,
            "the share of a market's sales value sold by firms at home in `state`",
        ),
        Metric::SelfSufficiency => (
            SHARE,
            STATE_SECTOR_MARKET,
            "share of a state's demand in a sector delivered by its own firms, by volume \
             (state and market name the same state)",
        ),
        Metric::Capability => (
            FRONTIER_YEARS,
            FIRM,
            "technology level a firm delivers: its design bounded by the supply-chain ceilings",
        ),
        Metric::BestCapability => (
            FRONTIER_YEARS,
            STATE_SECTOR,
            "best capability among a state's firms in a sector; empty state = the world frontier",
        ),
        Metric::CapabilityGap => (
            "years behind the world frontier",
            STATE_SECTOR,
            "world frontier minus the state's best capability in a sector",
        ),
        Metric::Output => (OUTPUT_RATE, FIRM, "units a firm produced"),
        Metric::Sales => (OUTPUT_RATE, FIRM, "units a firm delivered to buyers"),
        Metric::Revenue => (
            "$B per year at the prices paid",
            FIRM,
            "a firm's sales value",
        ),
        Metric::Price => (
            PRICE_INDEX,
            SECTOR_MARKET,
            "price that clears a market; `world` weights the markets by volume delivered",
        ),
        Metric::ListPrice => (
            PRICE_INDEX,
            FIRM,
            "a firm's list price: unit cost times its utilisation markup",
        ),
        Metric::UnitCost => (
            PRICE_INDEX,
            FIRM,
            "a firm's unit cost: own value added plus inputs at market prices",
        ),
        Metric::InputStockMonths => (
            "months of planned use",
            FIRM,
            "a firm's smallest material-input stock",
        ),
        Metric::AiCompute => (
            "start-frontier accelerator $B equivalents",
            STATE,
            "installed effective AI compute of a state",
        ),
        Metric::Capacity => (OUTPUT_RATE, FIRM, "a firm's production capacity"),
        Metric::ToolAccess => (SHARE, FIRM, "a firm's access to frontier tools"),
        Metric::Yield => (
            SHARE,
            FIRM,
            "share of a firm's capacity yielding good output",
        ),
        Metric::Demand => (USD_B_PER_YEAR, SECTOR_MARKET, "demand of a market"),
        Metric::UnmetDemand => (
            USD_B_PER_YEAR,
            SECTOR_MARKET,
            "demand of a market no available supplier could take",
        ),
        Metric::BlockedDemand => (
            USD_B_PER_YEAR,
            SECTOR_MARKET,
            "demand of a market blocked by policy, before stockpiles, leakage and re-choice",
        ),
        Metric::Leakage => (
            USD_B_PER_YEAR,
            SECTOR_MARKET,
            "blocked demand of a market that leaked through gray channels",
        ),
        Metric::Stockpile => (
            "$B",
            SECTOR_MARKET,
            "the buying market's stockpile of soon-controlled goods",
        ),
        Metric::Compliance => (
            SHARE,
            &["state", "market"][..],
            "the complying state's compliance with the controls of the state in `market` \
             (the one metric whose market is not a buyer: it is the controlling state)",
        ),
        Metric::Commitment => (SHARE, STATE, "a state's commitment to self-sufficiency"),
        Metric::Denial => (
            SHARE,
            &["market"][..],
            "blocked share of the buying state's desired imports this tick",
        ),
        Metric::RdSpending => (
            USD_B_PER_YEAR,
            FIRM,
            "a firm's R&D spending, own and subsidised",
        ),
        Metric::Knowledge => (
            "$B",
            FIRM,
            "a firm's knowledge stock bought by R&D, less depreciation",
        ),
        Metric::DesignCapability => (
            FRONTIER_YEARS,
            FIRM,
            "technology level a firm's knowledge supports, before ceilings",
        ),
        Metric::CapabilityCeiling => (
            FRONTIER_YEARS,
            FIRM,
            "highest capability the supply chain lets a firm deliver; only where something bounds it",
        ),
    };
    Info {
        unit,
        columns,
        definition,
    }
}

impl Metric {
    /// The metric's unit, in one wording used everywhere.
    pub fn unit(self) -> &'static str {
        info(self).unit
    }

    /// The unit as a chart axis shows it, short enough for an axis title: the same unit as
    /// [`Metric::unit`], with shares in percent (charts draw shares × 100).
    pub fn axis_unit(self) -> &'static str {
        match self.unit() {
            SHARE => "%",
            OUTPUT_RATE => "$B/yr, start-year output",
            USD_B_PER_YEAR => "$B/yr",
            "$B per year at the prices paid" => "$B/yr",
            PRICE_INDEX => "start = 1",
            FRONTIER_YEARS => "frontier-years",
            "years behind the world frontier" => "years",
            "start-frontier accelerator $B equivalents" => "frontier-accelerator $B",
            other => other,
        }
    }

    /// The entity columns of `metrics.csv` the metric fills (the others are empty), in table
    /// order.
    pub fn columns(self) -> &'static [&'static str] {
        info(self).columns
    }

    /// What the metric measures, in one line.
    pub fn definition(self) -> &'static str {
        info(self).definition
    }

    /// The known metric name closest to `name`, for "did you mean" hints (the project's one
    /// closeness rule, [`crate::scenario::params::closest`]).
    pub fn closest_name(name: &str) -> Option<String> {
        let names: Vec<String> = Metric::ALL.iter().map(|m| m.name().to_string()).collect();
        crate::scenario::params::closest(name, &names)
    }

    /// Parses a comma-separated list of metric names (`--metrics`), keeping the order of
    /// [`Metric::ALL`]; an unknown name is an error that lists the names or suggests the closest.
    pub fn parse_list(list: &str) -> Result<Vec<Metric>, String> {
        let mut chosen = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match Metric::from_name(name) {
                Some(m) => chosen.push(m),
                None => {
                    let hint = match Metric::closest_name(name) {
                        Some(close) => format!("did you mean `{close}`? "),
                        None => String::new(),
                    };
                    return Err(format!(
                        "unknown metric `{name}`; {hint}`chokepoint metrics` lists all {}",
                        Metric::ALL.len()
                    ));
                }
            }
        }
        if chosen.is_empty() {
            return Err("no metric named; give a comma-separated list such as \
                        `ai_compute,market_share` (`chokepoint metrics` lists them)"
                .into());
        }
        Ok(Metric::ALL
            .into_iter()
            .filter(|m| chosen.contains(m))
            .collect())
    }
}

/// The `columns` field of a catalogue row: the filled columns separated by spaces.
pub fn columns_field(metric: Metric) -> String {
    metric.columns().join(" ")
}

/// The catalogue as an aligned text table (`chokepoint metrics`).
pub fn catalogue_table() -> String {
    let rows: Vec<[String; 4]> = Metric::ALL
        .into_iter()
        .map(|m| {
            [
                m.name().to_string(),
                m.unit().to_string(),
                columns_field(m),
                m.definition().to_string(),
            ]
        })
        .collect();
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([CATALOGUE_COLUMNS[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let mut out = String::new();
    let header = CATALOGUE_COLUMNS.map(str::to_string);
    for row in std::iter::once(&header).chain(&rows) {
        for (i, w) in widths.iter().enumerate() {
            out.push_str(&row[i]);
            let pad = w - row[i].chars().count() + 2;
            out.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(&row[3]);
        out.push('\n');
    }
    out
}

/// The catalogue as a Markdown table, as docs/OUTPUTS.md carries it.
pub fn catalogue_markdown() -> String {
    let mut out = String::from("| metric | unit | columns | definition |\n|---|---|---|---|\n");
    for m in Metric::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            m.name(),
            m.unit(),
            columns_field(m),
            m.definition()
        ));
    }
    out
}
