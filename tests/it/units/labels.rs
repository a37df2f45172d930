//! Tests of `src/labels.rs`.

use chokepoint::labels::*;

#[test]
fn metrics_columns_are_the_index_columns_then_value() {
    assert_eq!(&METRICS_COLUMNS[..7], &INDEX_COLUMNS[..]);
    assert_eq!(METRICS_COLUMNS[7], "value");
}
