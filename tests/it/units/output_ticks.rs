//! Tests of `src/output/ticks.rs`.

use chokepoint::output::ticks::*;
use chokepoint::scenario::Scenario;
use chokepoint::scenario::{Overrides, load::BUNDLED, load_str};

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
