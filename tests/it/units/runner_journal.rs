//! Tests of `src/runner/journal.rs`.

use chokepoint::runner::journal::*;
use std::fs;

#[test]
fn shards_cover_every_run_exactly_once() {
    for total in [0, 1, 7, 100] {
        for count in 1..6 {
            let mut next = 0;
            for index in 0..count {
                let r = Shard { index, count }.runs(total);
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, total);
        }
    }
}

#[test]
fn torn_and_corrupt_journal_lines_are_ignored_and_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.txt");
    let runs = 0..4;
    let header = journal_header("abc", Shard::WHOLE, &runs, 2);
    let (mut j, done) = Journal::open(&path, &header, &runs, 2).unwrap();
    assert_eq!(done, vec![false; 4]);
    j.append(2, &[1.5, f64::NAN]).unwrap();
    j.append(0, &[0.1, -0.0]).unwrap();
    drop(j);
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str("3,9.9,1.0,0123456789abcdef\n1,2.0,3");
    fs::write(&path, text).unwrap();
    let (mut j, done) = Journal::open(&path, &header, &runs, 2).unwrap();
    assert_eq!(done, vec![true, false, true, false]);
    j.append(1, &[4.0, 5.0]).unwrap();
    drop(j);
    let mut records = Records::from_journal(&path, &(0..3), 2).unwrap().unwrap();
    assert_eq!(records.get(1).unwrap(), vec![4.0, 5.0]);
    assert_eq!(records.get(0).unwrap()[1].to_bits(), (-0.0f64).to_bits());
    assert!(records.get(2).unwrap()[1].is_nan());
    assert_eq!(
        Records::from_journal(&path, &runs, 2).unwrap().err(),
        Some(vec![3])
    );
    let other = journal_header("xyz", Shard::WHOLE, &runs, 2);
    assert!(Journal::open(&path, &other, &runs, 2).is_err());
}
