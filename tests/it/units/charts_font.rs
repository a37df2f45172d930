//! Tests of `src/charts/font.rs`.

use chokepoint::charts::font::*;

#[test]
fn bearings_come_from_the_font() {
    // DejaVu Sans: `J` overhangs to the left, `H` has a positive bearing.
    assert!(left_bearing_em('J', false) < 0.0);
    assert!(left_bearing_em('H', false) > 0.05);
    assert!(left_bearing_em('H', true) > 0.05);
}
