//! Tests of `src/output/parquet.rs`.

use chokepoint::output::parquet::days_since_epoch;

#[test]
fn days_since_epoch_matches_known_dates() {
    assert_eq!(days_since_epoch(1970, 1, 1), 0);
    assert_eq!(days_since_epoch(1969, 12, 31), -1);
    assert_eq!(days_since_epoch(2000, 3, 1), 11_017);
    assert_eq!(days_since_epoch(2022, 7, 1), 19_174);
    assert_eq!(days_since_epoch(2024, 2, 29), 19_782);
}
