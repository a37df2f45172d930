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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Overrides, load::BUNDLED, load_str};

    fn baseline() -> Scenario {
        let (name, text) = BUNDLED[0];
        load_str(name, text, &Overrides::default()).unwrap()
    }

    #[test]
    fn every_nth_tick_keeps_the_last_tick() {
        assert_eq!(every_nth_tick(10, 4), vec![0, 4, 8, 9]);
        assert_eq!(every_nth_tick(9, 4), vec![0, 4, 8]);
    }

    #[test]
    fn dates_name_the_ticks_whose_period_holds_them() {
        let s = baseline();
        let start = s.date_of_tick(0);
        let t5 = s.date_of_tick(5);
        let list = format!("{},{},{}", t5, start, t5.iso());
        assert_eq!(ticks_of_dates(&s, &list).unwrap(), vec![0, 5]);
        let yearly = ticks_of_dates(&s, "yearly").unwrap();
        assert_eq!(yearly[0], 0);
        assert_eq!(*yearly.last().unwrap(), s.ticks - 1);
        for &t in &yearly[1..yearly.len() - 1] {
            assert_eq!(s.date_of_tick(t).month, 1, "tick {t}");
        }
        let year = s.date_of_tick(s.ticks - 1).year;
        let t = ticks_of_dates(&s, &year.to_string()).unwrap()[0];
        assert_eq!(s.date_of_tick(t).year, year);
        assert_ne!(s.date_of_tick(t - 1).year, year);
    }

    #[test]
    fn dates_outside_the_run_or_malformed_are_refused_with_the_range() {
        let s = baseline();
        for bad in [
            "1999-01",
            "2999-01",
            "2024-13",
            "24-01",
            "1999",
            "",
            "2024-01,,",
        ] {
            let err = ticks_of_dates(&s, bad).unwrap_err();
            assert!(err.contains("the run covers"), "{bad}: {err}");
        }
    }
}
