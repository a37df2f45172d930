//! Which ticks a run's `metrics.csv` keeps: every Nth tick (`run --every N`) or the ticks of
//! chosen calendar dates (`run --dates LIST`). Both only choose rows; the model runs every tick.
//! docs/OUTPUTS.md, "Choosing what a run keeps", is the contract.

use crate::scenario::{Date, Scenario};

/// Ticks 0, n, 2n, … below `ticks`, and the last tick.
pub fn every_nth_tick(ticks: u32, n: u32) -> Vec<u32> {
    let mut kept: Vec<u32> = (0..ticks).step_by(n.max(1) as usize).collect();
    if let Some(last) = ticks.checked_sub(1)
        && kept.last() != Some(&last)
    {
        kept.push(last);
    }
    kept
}

/// The ticks named by `list`, sorted and without repeats. `list` is comma-separated; each item
/// is `YYYY-MM` or `YYYY-MM-DD` (the tick whose period holds that day), `YYYY` (the run's first
/// tick in that year), or `yearly` (the first tick of every year the run covers, and the last
/// tick, as `--every` keeps it). A date outside the run is refused with the valid range.
pub fn ticks_of_dates(scenario: &Scenario, list: &str) -> Result<Vec<u32>, String> {
    let first = scenario.date_of_tick(0);
    let last_tick = scenario.ticks.saturating_sub(1);
    let last = scenario.date_of_tick(last_tick);
    let months_per_tick = 12 / scenario.ticks_per_year.max(1);
    // The last month the run covers: the last tick's period ends months_per_tick - 1 later.
    let last_month = Date::from_month_index(last.month_index() + i64::from(months_per_tick) - 1);
    let range = || {
        format!(
            "the run covers {} to {} (ticks 0–{last_tick}); write dates as YYYY-MM or YYYY-MM-DD, \
             a year as YYYY, or `yearly`",
            month(first),
            month(last_month)
        )
    };
    let mut ticks = Vec::new();
    for item in list.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(format!("`{list}` has an empty item; {}", range()));
        }
        if item == "yearly" {
            ticks.extend(yearly_ticks(scenario));
            continue;
        }
        if item.len() == 4 && item.bytes().all(|b| b.is_ascii_digit()) {
            let year: i32 = item.parse().map_err(|_| range())?;
            let tick = (0..scenario.ticks).find(|&t| scenario.date_of_tick(t).year == year);
            match tick {
                Some(t) => ticks.push(t),
                None => return Err(format!("year {year} is not in the run: {}", range())),
            }
            continue;
        }
        let date = Date::parse(item).map_err(|e| format!("{e}; {}", range()))?;
        let tick = scenario.tick_of_date(date);
        if tick < 0 || tick > i64::from(last_tick) {
            let side = if tick < 0 { "before" } else { "after" };
            return Err(format!("{item} is {side} the run: {}", range()));
        }
        ticks.push(tick as u32);
    }
    ticks.sort_unstable();
    ticks.dedup();
    Ok(ticks)
}

/// The first tick of every calendar year the run covers, and the last tick.
fn yearly_ticks(scenario: &Scenario) -> Vec<u32> {
    let mut kept: Vec<u32> = (0..scenario.ticks)
        .filter(|&t| t == 0 || scenario.date_of_tick(t).year != scenario.date_of_tick(t - 1).year)
        .collect();
    if let Some(last) = scenario.ticks.checked_sub(1)
        && kept.last() != Some(&last)
    {
        kept.push(last);
    }
    kept
}

/// `YYYY-MM`.
fn month(date: Date) -> String {
    format!("{:04}-{:02}", date.year, date.month)
}
