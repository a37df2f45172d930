//! Checks on a merged scenario that types cannot express: ids that must exist, shares that must
//! sum to one, dates inside the run, a bill of materials that allows production. Each error names
//! the path of the value, points at it in the file that wrote it, and lists the valid options.

use std::collections::{BTreeMap, BTreeSet};

use super::error::ScenarioError;
use super::source::{Origins, SourceTexts, canonical_ron};
use super::types::{Action, InputRole, Scenario};

/// Tolerance on shares that must sum to one.
pub const SHARE_SUM_TOLERANCE: f64 = 1e-3;

/// Validates a scenario built in code (not read from a file): errors carry the value's path but
/// no file position.
pub fn validate_detached(s: &Scenario) -> Result<(), ScenarioError> {
    let mut texts = SourceTexts::default();
    texts.add_text(s.name.clone(), canonical_ron(s));
    validate(s, &texts, &Origins::default()).map_err(|mut e| {
        e.file = None;
        e.position = None;
        e.source_line = None;
        e
    })
}

/// Validates a merged scenario; the first problem found is returned.
pub fn validate(s: &Scenario, texts: &SourceTexts, origins: &Origins) -> Result<(), ScenarioError> {
    let ctx = Ctx { s, texts, origins };
    ctx.calendar()?;
    ctx.ids()?;
    ctx.sectors()?;
    ctx.states()?;
    ctx.firms()?;
    ctx.alliances()?;
    ctx.events()?;
    ctx.parameters()?;
    Ok(())
}

/// The most ticks a run may have: 100 years of monthly ticks. A run keeps its metric rows in
/// memory until it writes them (about 4,700 rows a tick for the bundled world, 0.5 GB at this
/// limit), so a larger count would exhaust memory rather than run.
pub const MAX_TICKS: u32 = 1200;

/// Checks a tick count (from a file, `--ticks` or a sweep spec) against 1..=[`MAX_TICKS`].
pub fn check_ticks(ticks: u32) -> Result<(), String> {
    match ticks {
        0 => Err("`ticks` is 0: a run needs at least one tick".into()),
        t if t > MAX_TICKS => Err(format!(
            "`ticks` is {t}: at most {MAX_TICKS} (100 years of monthly ticks; a run holds its \
             metrics in memory)"
        )),
        _ => Ok(()),
    }
}

struct Ctx<'a> {
    s: &'a Scenario,
    texts: &'a SourceTexts,
    origins: &'a Origins,
}

fn list(ids: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    ids.into_iter()
        .map(|i| i.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Ctx<'_> {
    fn last_file(&self) -> usize {
        self.origins.top.values().copied().max().unwrap_or(0)
    }

    /// An error about entity `id` of `kind`, pointing at `needle` inside that entity's text.
    fn entity_err(
        &self,
        kind: &'static str,
        id: &str,
        path: String,
        needle: &str,
        message: String,
    ) -> ScenarioError {
        let file = self
            .origins
            .entities
            .get(&(kind, id.to_string()))
            .copied()
            .unwrap_or(self.last_file());
        // The entity's own `id: "X"` field, not an earlier mention of X (a state code appears in
        // every sector's demand shares before the state itself is defined).
        let own = format!("id: \"{id}\"");
        let anchor = if self.texts.contains(file, &own) {
            own
        } else {
            format!("\"{id}\"")
        };
        self.texts
            .error_at(file, Some(&anchor), needle, message)
            .at_path(path)
    }

    fn event_err(&self, index: usize, needle: &str, message: String) -> ScenarioError {
        let (file, within) = self
            .origins
            .events
            .get(index)
            .copied()
            .unwrap_or((self.last_file(), index));
        let anchor = self.texts.anchor_of_nth(file, "Event(", within);
        self.texts
            .error_at(file, anchor.as_deref(), needle, message)
            .at_path(format!("events[{index}]"))
    }

    fn top_err(&self, field: &'static str, message: String) -> ScenarioError {
        let file = self
            .origins
            .top
            .get(field)
            .copied()
            .unwrap_or(self.last_file());
        self.texts
            .error_at(file, None, &format!("{field}:"), message)
            .at_path(field)
    }

    /// State ids in scenario order (the order users wrote them, for messages).
    fn state_ids(&self) -> Vec<&str> {
        self.s.states.iter().map(|x| x.id.as_str()).collect()
    }

    /// Sector ids in scenario order (the order users wrote them, for messages).
    fn sector_ids(&self) -> Vec<&str> {
        self.s.sectors.iter().map(|x| x.id.as_str()).collect()
    }

    /// Firm ids in scenario order (the order users wrote them, for messages).
    fn firm_ids(&self) -> Vec<&str> {
        self.s.firms.iter().map(|x| x.id.as_str()).collect()
    }

    /// Parameters outside their valid range (docs/MODEL.md; `ranges.rs`), pointed at in the file
    /// that set them, or named as an override.
    fn parameters(&self) -> Result<(), ScenarioError> {
        let Err((path, message)) = super::ranges::check_parameters(&self.s.parameters) else {
            return Ok(());
        };
        let err = match self.origins.parameters.get(path) {
            Some(&file) => {
                self.texts
                    .error_at(file, Some("parameters"), &format!("\"{path}\""), message)
            }
            None => ScenarioError::new(format!("{message} (set by an override such as --set)")),
        };
        Err(err
            .at_path(format!("parameters.{path}"))
            .with_help("docs/MODEL.md gives each parameter's meaning and range"))
    }

    fn calendar(&self) -> Result<(), ScenarioError> {
        let s = self.s;
        if !crate::scenario::types::is_folder_name(&s.name) {
            return Err(self
                .top_err(
                    "name",
                    format!("scenario name `{}` cannot name an output folder", s.name),
                )
                .with_help(crate::scenario::types::FOLDER_NAME_HELP));
        }
        if let Err(message) = check_ticks(s.ticks) {
            return Err(self
                .top_err("ticks", message)
                .with_help("102 monthly ticks run from 2022-07 to 2030-12"));
        }
        if s.ticks_per_year == 0 || 12 % s.ticks_per_year != 0 {
            return Err(self
                .top_err(
                    "ticks_per_year",
                    format!(
                        "`ticks_per_year` is {}: it must divide 12",
                        s.ticks_per_year
                    ),
                )
                .with_help("valid values: 1, 2, 3, 4, 6, 12"));
        }
        let end = s.date_of_tick(s.ticks.saturating_sub(1));
        if !(1..=9999).contains(&s.start.year) || end.year > 9999 {
            return Err(self
                .top_err(
                    "start",
                    format!(
                        "the run goes from {} to {end}: dates must lie in the years 0001 to 9999",
                        s.start
                    ),
                )
                .with_help("start earlier or run fewer ticks"));
        }
        if s.start.day.is_some_and(|d| d != 1) {
            return Err(self
                .top_err(
                    "start",
                    format!(
                        "`start` is {}: a run starts at the beginning of a month",
                        s.start
                    ),
                )
                .with_help(format!(
                    "write \"{:04}-{:02}\"",
                    s.start.year, s.start.month
                )));
        }
        Ok(())
    }

    fn ids(&self) -> Result<(), ScenarioError> {
        let s = self.s;
        let check = |kind: &'static str, ids: Vec<&String>, valid: fn(&str) -> bool, rule: &str| {
            let mut seen = BTreeSet::new();
            for (i, id) in ids.iter().enumerate() {
                if !valid(id) {
                    return Err(self
                        .entity_err(
                            kind,
                            id,
                            format!("{kind}s[{i}].id"),
                            &format!("\"{id}\""),
                            format!("{kind} id `{id}` is not valid"),
                        )
                        .with_help(rule.to_string()));
                }
                if !seen.insert(id.as_str()) {
                    return Err(self
                        .entity_err(
                            kind,
                            id,
                            format!("{kind}s[{i}].id"),
                            &format!("\"{id}\""),
                            format!("{kind} id `{id}` is defined twice"),
                        )
                        .with_help("ids must be unique; rename or remove one"));
                }
            }
            Ok(())
        };
        let snake = |id: &str| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && id.starts_with(|c: char| c.is_ascii_lowercase())
        };
        let state_code =
            |id: &str| (2..=4).contains(&id.len()) && id.chars().all(|c| c.is_ascii_uppercase());
        check(
            "sector",
            s.sectors.iter().map(|x| &x.id).collect(),
            snake,
            "sector ids are snake_case, e.g. `foundry_advanced`",
        )?;
        check(
            "state",
            s.states.iter().map(|x| &x.id).collect(),
            state_code,
            "state ids are ISO 3166 alpha-2 codes or bloc codes in capitals, e.g. `US`, `EU`, `ROW`",
        )?;
        check(
            "firm",
            s.firms.iter().map(|x| &x.id).collect(),
            snake,
            "firm ids are snake_case, e.g. `tsmc`",
        )?;
        check(
            "alliance",
            s.alliances.iter().map(|x| &x.id).collect(),
            snake,
            "alliance ids are snake_case, e.g. `chip4`",
        )?;
        if s.sectors.is_empty() || s.states.is_empty() || s.firms.is_empty() {
            return Err(ScenarioError::new(
                "a scenario needs at least one sector, one state and one firm",
            ));
        }
        Ok(())
    }

    fn sectors(&self) -> Result<(), ScenarioError> {
        let states = self.state_ids();
        let sectors = self.sector_ids();
        for (i, sector) in self.s.sectors.iter().enumerate() {
            let err = |needle: &str, field: &str, msg: String| {
                self.entity_err(
                    "sector",
                    &sector.id,
                    format!("sectors[{i}].{field}"),
                    needle,
                    msg,
                )
            };
            if !(sector.market_size_usd_b.is_finite() && sector.market_size_usd_b > 0.0) {
                return Err(err(
                    "market_size_usd_b",
                    "market_size_usd_b",
                    format!(
                        "sector `{}` has market size {}; it must be > 0",
                        sector.id, sector.market_size_usd_b
                    ),
                ));
            }
            if !(sector.demand_growth_per_year.is_finite() && sector.demand_growth_per_year > -1.0)
            {
                return Err(err(
                    "demand_growth_per_year",
                    "demand_growth_per_year",
                    format!(
                        "demand growth {} is impossible; it must be > −1",
                        sector.demand_growth_per_year
                    ),
                ));
            }
            if let Some(e) = sector.price_elasticity
                && !(e.is_finite() && (0.0..=10.0).contains(&e))
            {
                return Err(err("price_elasticity", "price_elasticity", format!("price elasticity {e} of `{}` must lie in [0, 10]", sector.id))
                    .with_help("price_elasticity is −d ln(demand) / d ln(price): 0 = demand ignores price, 1 = a 1% price rise cuts demand 1%"));
            }
            if let Some(lead) = sector.capacity_lead_time_years
                && !(lead.is_finite() && lead > 0.0 && lead <= 30.0)
            {
                return Err(err("capacity_lead_time_years", "capacity_lead_time_years", format!("capacity lead time {lead} of `{}` must lie in (0, 30] years", sector.id))
                    .with_help("capacity_lead_time_years is the time from a capacity decision to capacity in use, e.g. 2 for a fab"));
            }
            let mut sum = 0.0;
            for (state, share) in &sector.final_demand_by_state {
                if !states.contains(&state.as_str()) {
                    return Err(err(
                        &format!("\"{state}\""),
                        &format!("final_demand_by_state.{state}"),
                        format!(
                            "unknown state `{state}` in the final demand of `{}`",
                            sector.id
                        ),
                    )
                    .with_help(format!("valid states: {}", list(&states))));
                }
                if !(share.is_finite() && *share >= 0.0) {
                    return Err(err(
                        &format!("\"{state}\""),
                        &format!("final_demand_by_state.{state}"),
                        format!("demand share {share} must be ≥ 0"),
                    ));
                }
                sum += share;
            }
            if (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
                return Err(err("final_demand_by_state", "final_demand_by_state", format!("final demand shares of `{}` sum to {sum:.4}; they must sum to 1", sector.id))
                    .with_help("shares are fractions of the sector's final demand bought in each state's market"));
            }
            for (k, input) in sector.inputs.iter().enumerate() {
                let field = format!("inputs[{k}]");
                if !sectors.contains(&input.sector.as_str()) || input.sector == sector.id {
                    let why = if input.sector == sector.id {
                        "a sector cannot be its own input".to_string()
                    } else {
                        format!("unknown sector `{}`", input.sector)
                    };
                    return Err(err(
                        &format!("\"{}\"", input.sector),
                        &format!("{field}.sector"),
                        format!("input of `{}`: {why}", sector.id),
                    )
                    .with_help(format!("valid sectors: {}", list(&sectors))));
                }
                if !(input.per_unit.is_finite() && input.per_unit >= 0.0) {
                    return Err(err(
                        "per_unit",
                        &format!("{field}.per_unit"),
                        format!("input coefficient {} must be ≥ 0", input.per_unit),
                    ));
                }
            }
        }
        self.production_is_possible()
    }

    /// Material inputs must not form a cycle, and each sector's start-year use as an input must
    /// leave room for final demand.
    fn production_is_possible(&self) -> Result<(), ScenarioError> {
        if self.s.material_order().is_none() {
            let cyclic: Vec<&str> = self
                .s
                .sectors
                .iter()
                .filter(|s| s.inputs.iter().any(|i| i.role == InputRole::Material))
                .map(|s| s.id.as_str())
                .collect();
            let first = cyclic.first().copied().unwrap_or("");
            return Err(self
                .entity_err(
                    "sector",
                    first,
                    "sectors[*].inputs".into(),
                    "inputs",
                    "Material inputs form a cycle, so no sector in it could produce first".into(),
                )
                .with_help(format!(
                    "break the cycle among: {} (make one input `Capital`, or remove it)",
                    list(&cyclic)
                )));
        }
        let mut derived = vec![0.0; self.s.sectors.len()];
        for sector in &self.s.sectors {
            for input in &sector.inputs {
                // Validated above: every input names a sector.
                if let Some(k) = self.s.sector_index(&input.sector) {
                    derived[k] += input.per_unit * sector.market_size_usd_b;
                }
            }
        }
        for (k, sector) in self.s.sectors.iter().enumerate() {
            if derived[k] >= sector.market_size_usd_b {
                let users: Vec<String> =
                    self.s
                        .sectors
                        .iter()
                        .filter_map(|s| {
                            s.inputs.iter().find(|i| i.sector == sector.id).map(|i| {
                                format!("{} ({} × {})", s.id, i.per_unit, s.market_size_usd_b)
                            })
                        })
                        .collect();
                return Err(self.entity_err("sector", &sector.id, format!("sectors[{k}].market_size_usd_b"), "market_size_usd_b",
                    format!("input coefficients make production impossible: other sectors need {:.2} $B/yr of `{}` but its market is only {:.2} $B/yr", derived[k], sector.id, sector.market_size_usd_b))
                    .with_help(format!("lower the coefficients of its users ({}) or raise its market size", users.join(", "))));
            }
        }
        Ok(())
    }

    fn states(&self) -> Result<(), ScenarioError> {
        let states = self.state_ids();
        for (i, state) in self.s.states.iter().enumerate() {
            for (other, dep) in &state.security_dependence {
                let path = format!("states[{i}].security_dependence.{other}");
                if !states.contains(&other.as_str()) || other == &state.id {
                    return Err(self
                        .entity_err(
                            "state",
                            &state.id,
                            path,
                            &format!("\"{other}\""),
                            format!(
                                "security dependence of `{}` on unknown or same state `{other}`",
                                state.id
                            ),
                        )
                        .with_help(format!("valid states: {}", list(&states))));
                }
                if !(0.0..=1.0).contains(dep) {
                    return Err(self.entity_err(
                        "state",
                        &state.id,
                        path,
                        &format!("\"{other}\""),
                        format!("security dependence {dep} is outside [0, 1]"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn firms(&self) -> Result<(), ScenarioError> {
        let states = self.state_ids();
        let sectors = self.sector_ids();
        let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
        for (i, firm) in self.s.firms.iter().enumerate() {
            let err = |needle: &str, field: &str, msg: String| {
                self.entity_err("firm", &firm.id, format!("firms[{i}].{field}"), needle, msg)
            };
            if !states.contains(&firm.home.as_str()) {
                return Err(err(
                    &format!("\"{}\"", firm.home),
                    "home",
                    format!("firm `{}` has unknown home state `{}`", firm.id, firm.home),
                )
                .with_help(format!("valid states: {}", list(&states))));
            }
            let Some(sector) = self.s.sectors.iter().find(|s| s.id == firm.sector) else {
                return Err(err(
                    &format!("\"{}\"", firm.sector),
                    "sector",
                    format!("firm `{}` has unknown sector `{}`", firm.id, firm.sector),
                )
                .with_help(format!("valid sectors: {}", list(&sectors))));
            };
            if !(firm.share.is_finite() && firm.share > 0.0 && firm.share <= 1.0) {
                return Err(err("share", "share", format!("share {} of `{}` must be in (0, 1]", firm.share, firm.id))
                    .with_help("a firm with a negligible start share still needs a small positive share, e.g. 0.002"));
            }
            if !firm.capability.is_finite() {
                return Err(err(
                    "capability",
                    "capability",
                    "capability must be a finite number of frontier-years".into(),
                ));
            }
            if let Some(capacity) = firm.capacity_usd_b {
                let sales = firm.share * sector.market_size_usd_b;
                if !(capacity.is_finite() && capacity > 0.0) {
                    return Err(err("capacity_usd_b", "capacity_usd_b", format!("capacity {capacity} of `{}` must be > 0", firm.id))
                        .with_help("capacity is $B of start-year output per year; leave it out to use start sales / target utilisation"));
                }
                if capacity < sales * (1.0 - 1e-9) {
                    return Err(err("capacity_usd_b", "capacity_usd_b", format!("capacity {capacity} of `{}` is below its start sales {sales:.4} (share × market size), so the start shares could not be reproduced", firm.id))
                        .with_help("raise capacity_usd_b or lower the share"));
                }
            }
            if let Some(intensity) = firm.rd_intensity
                && !(intensity.is_finite() && (0.0..=10.0).contains(&intensity))
            {
                return Err(err("rd_intensity", "rd_intensity", format!("R&D intensity {intensity} of `{}` must lie in [0, 10]", firm.id))
                    .with_help("rd_intensity is R&D spending ÷ revenue, e.g. 0.27 for a firm spending 27% of its sales on R&D"));
            }
            *sums.entry(firm.sector.as_str()).or_default() += firm.share;
        }
        for sector in &self.s.sectors {
            let sum = sums.get(sector.id.as_str()).copied().unwrap_or(0.0);
            if sum == 0.0 {
                return Err(self
                    .entity_err(
                        "sector",
                        &sector.id,
                        format!("sectors[{}]", sector.id),
                        &format!("\"{}\"", sector.id),
                        format!("sector `{}` has no firms", sector.id),
                    )
                    .with_help("every sector needs at least one supplier"));
            }
            if (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
                let first = self
                    .s
                    .firms
                    .iter()
                    .find(|f| f.sector == sector.id)
                    .map(|f| f.id.clone())
                    .unwrap_or_default();
                return Err(self
                    .entity_err(
                        "firm",
                        &first,
                        format!("firms[sector = {}].share", sector.id),
                        "share",
                        format!(
                            "the shares of the firms in `{}` sum to {sum:.4}; they must sum to 1",
                            sector.id
                        ),
                    )
                    .with_help(
                        "add an `others_…` firm for the rest of the market, or correct the shares",
                    ));
            }
        }
        Ok(())
    }

    fn alliances(&self) -> Result<(), ScenarioError> {
        let states = self.state_ids();
        for (i, a) in self.s.alliances.iter().enumerate() {
            for m in a.members.iter().chain(a.leader.iter()) {
                if !states.contains(&m.as_str()) {
                    return Err(self
                        .entity_err(
                            "alliance",
                            &a.id,
                            format!("alliances[{i}].members"),
                            &format!("\"{m}\""),
                            format!("alliance `{}` names unknown state `{m}`", a.id),
                        )
                        .with_help(format!("valid states: {}", list(&states))));
                }
            }
        }
        Ok(())
    }

    /// Every event: its dates, then its action's fields and the instruments it names, in order,
    /// since an event may only align with or remove an instrument an earlier event imposed.
    fn events(&self) -> Result<(), ScenarioError> {
        // Instruments imposed so far: id → whether it is an export control.
        let mut defined: BTreeMap<&str, bool> = BTreeMap::new();
        let mut seen_on_date: BTreeMap<(crate::scenario::Date, &str), usize> = BTreeMap::new();
        for (i, event) in self.s.events.iter().enumerate() {
            self.event_dates(i, event, &mut seen_on_date)?;
            let check = EventCheck {
                ctx: self,
                index: i,
            };
            check.action(&event.action, &defined)?;
            let id = event.action.instrument_id();
            match &event.action {
                Action::Remove { id } => {
                    defined.remove(id.as_str());
                }
                // One-off events define no instrument that could later be aligned or removed.
                Action::ReshoringSubsidy { .. } | Action::TrustShock { .. } => {}
                action => {
                    defined.insert(id, matches!(action, Action::ExportControl { .. }));
                }
            }
        }
        Ok(())
    }

    /// An event's date inside the run, its announcement not after it, and no second event
    /// changing the same instrument on the same date.
    fn event_dates<'s>(
        &self,
        i: usize,
        event: &'s crate::scenario::Event,
        seen_on_date: &mut BTreeMap<(crate::scenario::Date, &'s str), usize>,
    ) -> Result<(), ScenarioError> {
        let s = self.s;
        let first = s.start;
        let last = s.date_of_tick(s.ticks - 1);
        let end_month = crate::scenario::Date::from_month_index(
            last.month_index() + i64::from(12 / s.ticks_per_year) - 1,
        );
        let tick = s.tick_of_date(event.date);
        if tick < 0 || tick >= i64::from(s.ticks) {
            return Err(self
                .event_err(
                    i,
                    &format!("\"{}\"", event.date),
                    format!(
                        "event date {} is outside the run ({} to {:04}-{:02})",
                        event.date, first, end_month.year, end_month.month
                    ),
                )
                .with_help(
                    "move the event inside the run, or change `start`/`ticks` (or --ticks)",
                ));
        }
        if let Some(announced) = event.announced
            && announced > event.date
        {
            return Err(self
                .event_err(
                    i,
                    &format!("\"{announced}\""),
                    format!("announced {announced} after it takes effect {}", event.date),
                )
                .with_help("`announced` must be on or before `date`"));
        }
        let id = event.action.instrument_id();
        if let Some(j) = seen_on_date.insert((event.date, id), i) {
            return Err(self.event_err(i, &format!("\"{id}\""), format!("contradictory events: events[{j}] and events[{i}] both change `{id}` on {}", event.date))
                .with_help("merge them into one event, or give them different dates"));
        }
        Ok(())
    }
}

/// Checks on one event's fields, producing located errors.
struct EventCheck<'a, 'b> {
    ctx: &'a Ctx<'b>,
    index: usize,
}

impl EventCheck<'_, '_> {
    /// The fields of one event's action: ids that exist, rates within [0, 1], amounts not
    /// negative; `defined` holds the instruments earlier events imposed (id → is a control).
    fn action(&self, action: &Action, defined: &BTreeMap<&str, bool>) -> Result<(), ScenarioError> {
        let i = self.index;
        match action {
            Action::ExportControl {
                controller,
                sector,
                max_capability,
                destinations,
                covered_firms,
                licence_approval_rate,
                ..
            } => {
                self.state("controller", controller)?;
                self.sector("sector", sector)?;
                self.finite("max_capability", *max_capability)?;
                self.states("destinations", destinations, Some(controller))?;
                for f in covered_firms {
                    self.firm("covered_firms", f)?;
                }
                self.rate("licence_approval_rate", *licence_approval_rate)?;
            }
            Action::AllyAlignment {
                control,
                allies,
                alliances,
                ..
            } => {
                if defined.get(control.as_str()) != Some(&true) {
                    let controls: Vec<&str> = defined
                        .iter()
                        .filter(|(_, c)| **c)
                        .map(|(id, _)| *id)
                        .collect();
                    return Err(self.ctx.event_err(i, &format!("\"{control}\""), format!("asks allies to match control `{control}`, which no earlier event imposes"))
                        .at_path(format!("events[{i}].action.control"))
                        .with_help(if controls.is_empty() { "impose the export control first".to_string() } else { format!("controls defined earlier: {}", list(&controls)) }));
                }
                self.states("allies", allies, None)?;
                for a in alliances {
                    self.alliance("alliances", a)?;
                }
                if allies.is_empty() && alliances.is_empty() {
                    return Err(self.err(
                        "allies",
                        "AllyAlignment",
                        "the request asks nobody: `allies` and `alliances` are both empty".to_string(),
                    ).with_help("name the states asked in `allies: [\"JP\"]`, or the alliances whose members are asked in `alliances: [\"chip4\"]`"));
                }
            }
            Action::TieredAccess {
                controller,
                sector,
                max_capability,
                tier2,
                tier2_quota_usd_b,
                window_years,
                tier3,
                ..
            } => {
                self.state("controller", controller)?;
                self.sector("sector", sector)?;
                self.finite("max_capability", *max_capability)?;
                self.states("tier2", tier2, Some(controller))?;
                self.states("tier3", tier3, Some(controller))?;
                if let Some(both) = tier2.iter().find(|t| tier3.contains(t)) {
                    return Err(self.err(
                        "tier3",
                        both,
                        format!("`{both}` is in both tier 2 and tier 3"),
                    ));
                }
                self.non_negative("tier2_quota_usd_b", *tier2_quota_usd_b)?;
                self.positive("window_years", *window_years)?;
            }
            Action::SalesCondition {
                controller,
                sector,
                destinations,
                revenue_share,
                ..
            } => {
                self.state("controller", controller)?;
                self.sector("sector", sector)?;
                self.states("destinations", destinations, Some(controller))?;
                self.rate("revenue_share", *revenue_share)?;
            }
            Action::AntiTransshipment {
                controller,
                hubs,
                enforcement,
                ..
            } => {
                self.state("controller", controller)?;
                self.states("hubs", hubs, Some(controller))?;
                self.rate("enforcement", *enforcement)?;
            }
            Action::OutboundInvestment {
                controller,
                target,
                sectors,
                expansion_cut,
                ..
            } => {
                self.state("controller", controller)?;
                self.state("target", target)?;
                for sector in sectors {
                    self.sector("sectors", sector)?;
                }
                self.rate("expansion_cut", *expansion_cut)?;
            }
            Action::PurchaseDiscouragement {
                buyer,
                against,
                sector,
                utility_penalty,
                ..
            } => {
                self.state("buyer", buyer)?;
                self.state("against", against)?;
                self.sector("sector", sector)?;
                self.non_negative("utility_penalty", *utility_penalty)?;
            }
            Action::AntitrustAction {
                state,
                firm,
                utility_penalty,
                ..
            } => {
                self.state("state", state)?;
                self.firm("firm", firm)?;
                self.non_negative("utility_penalty", *utility_penalty)?;
            }
            Action::StateFund {
                state,
                sectors,
                rd_usd_b_per_year,
                capacity_usd_b_per_year,
                ..
            } => {
                self.state("state", state)?;
                for sector in sectors {
                    self.sector("sectors", sector)?;
                }
                self.non_negative("rd_usd_b_per_year", *rd_usd_b_per_year)?;
                self.non_negative("capacity_usd_b_per_year", *capacity_usd_b_per_year)?;
            }
            Action::ProcurementMandate {
                state,
                sector,
                domestic_share,
                ..
            } => {
                self.state("state", state)?;
                self.sector("sector", sector)?;
                self.rate("domestic_share", *domestic_share)?;
            }
            Action::DomesticEquipmentQuota {
                state,
                domestic_share,
                ..
            } => {
                self.state("state", state)?;
                self.rate("domestic_share", *domestic_share)?;
            }
            Action::ReshoringSubsidy {
                firm,
                capacity_usd_b,
                ..
            } => {
                self.firm("firm", firm)?;
                self.non_negative("capacity_usd_b", *capacity_usd_b)?;
            }
            Action::TrustShock {
                state,
                alliance,
                toward,
                size,
                ..
            } => {
                match (state, alliance) {
                    (Some(st), None) => self.state("state", st)?,
                    (None, Some(a)) => self.alliance("alliance", a)?,
                    _ => {
                        return Err(self.err(
                            "state",
                            "TrustShock",
                            "a trust shock names either one `state` or one `alliance`".to_string(),
                        ).with_help("write `state: \"FR\"` for one state, or `alliance: \"aukus\"` for every member of an alliance"));
                    }
                }
                self.state("toward", toward)?;
                self.rate("size", *size)?;
            }
            Action::SupplyDisruption {
                state,
                sector,
                capacity_share_lost,
                ..
            } => {
                self.state("state", state)?;
                self.sector("sector", sector)?;
                self.rate("capacity_share_lost", *capacity_share_lost)?;
            }
            Action::Remove { id } => {
                if !defined.contains_key(id.as_str()) {
                    return Err(self
                        .ctx
                        .event_err(
                            i,
                            &format!("\"{id}\""),
                            format!("removes `{id}`, which no earlier event imposes"),
                        )
                        .at_path(format!("events[{i}].action.id"))
                        .with_help(if defined.is_empty() {
                            "no instrument is in force before this date".to_string()
                        } else {
                            format!("instruments defined earlier: {}", list(defined.keys()))
                        }));
                }
            }
        }
        Ok(())
    }

    fn err(&self, field: &str, needle: &str, message: String) -> ScenarioError {
        let i = self.index;
        self.ctx
            .event_err(i, needle, message)
            .at_path(format!("events[{i}].action.{field}"))
    }

    fn state(&self, field: &str, id: &str) -> Result<(), ScenarioError> {
        let states = self.ctx.state_ids();
        if states.contains(&id) {
            return Ok(());
        }
        Err(self
            .err(
                field,
                &format!("\"{id}\""),
                format!("unknown state `{id}` in `{field}`"),
            )
            .with_help(format!("valid states: {}", list(&states))))
    }

    fn states(
        &self,
        field: &str,
        ids: &[String],
        not: Option<&String>,
    ) -> Result<(), ScenarioError> {
        if ids.is_empty() && field == "destinations" {
            return Err(self.err(
                field,
                field,
                format!("`{field}` is empty: name at least one state"),
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            self.state(field, id)?;
            if ids[..i].contains(id) {
                return Err(self
                    .err(
                        field,
                        &format!("\"{id}\""),
                        format!("`{id}` is listed twice in `{field}`"),
                    )
                    .with_help("list each state once"));
            }
            if not == Some(id) {
                return Err(self.err(
                    field,
                    &format!("\"{id}\""),
                    format!("`{id}` cannot be in its own `{field}`"),
                ));
            }
        }
        Ok(())
    }

    fn alliance(&self, field: &str, id: &str) -> Result<(), ScenarioError> {
        let alliances: Vec<&str> = self.ctx.s.alliances.iter().map(|a| a.id.as_str()).collect();
        if alliances.contains(&id) {
            return Ok(());
        }
        Err(self
            .err(
                field,
                &format!("\"{id}\""),
                format!("unknown alliance `{id}` in `{field}`"),
            )
            .with_help(if alliances.is_empty() {
                "the scenario lists no alliances: add one under `alliances: [...]`".to_string()
            } else {
                format!("valid alliances: {}", list(&alliances))
            }))
    }

    fn sector(&self, field: &str, id: &str) -> Result<(), ScenarioError> {
        let sectors = self.ctx.sector_ids();
        if sectors.contains(&id) {
            return Ok(());
        }
        Err(self
            .err(
                field,
                &format!("\"{id}\""),
                format!("unknown sector `{id}` in `{field}`"),
            )
            .with_help(format!("valid sectors: {}", list(&sectors))))
    }

    fn firm(&self, field: &str, id: &str) -> Result<(), ScenarioError> {
        let firms = self.ctx.firm_ids();
        if firms.contains(&id) {
            return Ok(());
        }
        Err(self
            .err(
                field,
                &format!("\"{id}\""),
                format!("unknown firm `{id}` in `{field}`"),
            )
            .with_help(format!("valid firms: {}", list(&firms))))
    }

    fn finite(&self, field: &str, x: f64) -> Result<(), ScenarioError> {
        if x.is_finite() {
            Ok(())
        } else {
            Err(self.err(field, field, format!("`{field}` must be a finite number")))
        }
    }

    fn rate(&self, field: &str, x: f64) -> Result<(), ScenarioError> {
        if (0.0..=1.0).contains(&x) {
            return Ok(());
        }
        Err(self
            .err(
                field,
                field,
                format!("`{field}` is {x}; it must be between 0 and 1"),
            )
            .with_help("rates and shares are fractions: 0.15 means 15 %"))
    }

    fn non_negative(&self, field: &str, x: f64) -> Result<(), ScenarioError> {
        if x.is_finite() && x >= 0.0 {
            Ok(())
        } else {
            Err(self.err(field, field, format!("`{field}` is {x}; it must be ≥ 0")))
        }
    }

    fn positive(&self, field: &str, x: f64) -> Result<(), ScenarioError> {
        if x.is_finite() && x > 0.0 {
            Ok(())
        } else {
            Err(self.err(field, field, format!("`{field}` is {x}; it must be > 0")))
        }
    }
}
