//! Tests of `src/output/table.rs`.

use chokepoint::output::table::*;

#[test]
fn fields_are_quoted_only_when_they_need_it() {
    let mut csv = CsvText::new();
    assert_eq!(
        csv.line(["plain", "a,b", "say \"hi\"", "two\nlines", "", "0.25"]),
        "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,0.25"
    );
    csv.record(["h1", "h2"]);
    csv.record(["x", "y,z"]);
    assert_eq!(csv.finish(), "h1,h2\nx,\"y,z\"\n");
}
