//! The tidy (long) metrics table: one row per observation with the columns
//! `tick,date,metric,state,firm,sector,market,value` ([`crate::labels`]), empty where a column
//! does not apply; `metrics_catalogue.csv` describing its metrics; and the entity tables
//! `firms.csv`, `states.csv`, `sectors.csv`. Numbers are written in Rust's shortest round-trip
//! form without exponent (what `format!("{}")` writes), so equal values give equal bytes.
//!
//! `metrics.csv` is the largest file a run writes (hundreds of thousands of rows): it is rendered
//! by [`write_metrics_csv`] from pre-quoted entity fields, `itoa` and `ryu`, in chunks that the
//! caller writes and hashes as they come. [`metrics_csv_reference`] is the plain formatter it
//! replaced, kept as the reference the fast writer is tested and benchmarked against
//! (`benches/run_speed.sh`).

use std::fmt::Write as _;

use super::table::CsvText;
use crate::labels::{METRICS_COLUMNS, Names};
use crate::model::catalogue::{CATALOGUE_COLUMNS, columns_field};
use crate::model::metrics::{Metric, NONE, Row, WORLD};
use crate::scenario::Scenario;

/// Bytes [`write_metrics_csv`] gathers before handing a chunk to its sink.
const CHUNK_BYTES: usize = 1 << 16;

/// Renders rows as the body of `metrics.csv`, header included, with `csv::Writer` and Rust's
/// `{}`: the reference for [`write_metrics_csv`], which must write the same bytes.
pub fn metrics_csv_reference(scenario: &Scenario, rows: impl IntoIterator<Item = Row>) -> String {
    let names = Names::new(scenario);
    let mut csv = CsvText::new();
    csv.record(METRICS_COLUMNS);
    // Reused for every row: this table has hundreds of thousands of rows.
    let (mut tick, mut value) = (String::new(), String::new());
    for r in rows {
        tick.clear();
        value.clear();
        let _ = write!(tick, "{}", r.tick);
        let _ = write!(value, "{}", r.value);
        csv.record([
            tick.as_str(),
            names.date(r.tick),
            r.metric.name(),
            names.state(r.state),
            names.firm(r.firm),
            names.sector(r.sector),
            names.market(r.market),
            value.as_str(),
        ]);
    }
    csv.finish()
}

/// Renders rows as `metrics.csv` (header included) and hands the bytes to `sink` in chunks of
/// about 64 KiB, in order; the concatenation equals [`metrics_csv_reference`]. The first error
/// of `sink` stops the rendering and is returned.
pub fn write_metrics_csv<E>(
    scenario: &Scenario,
    rows: impl IntoIterator<Item = Row>,
    mut sink: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let names = Names::new(scenario);
    let mut quoting = CsvText::new();
    // Every entity field rendered (and quoted where needed) once, with its trailing comma.
    let mut field = |text: &str| -> Vec<u8> {
        let mut bytes = quoting.line([text]).into_bytes();
        bytes.push(b',');
        bytes
    };
    let states: Vec<Vec<u8>> = (0..scenario.states.len())
        .map(|i| field(names.state(i as u16)))
        .collect();
    let firms: Vec<Vec<u8>> = (0..scenario.firms.len())
        .map(|j| field(names.firm(j as u16)))
        .collect();
    let sectors: Vec<Vec<u8>> = (0..scenario.sectors.len())
        .map(|k| field(names.sector(k as u16)))
        .collect();
    // Indexed by the enum's discriminant, whatever the order of `Metric::ALL`.
    let mut metrics: Vec<Vec<u8>> = vec![Vec::new(); Metric::ALL.len()];
    for m in Metric::ALL {
        metrics[m as usize] = field(m.name());
    }
    let world_market = field(names.market(WORLD));
    // `tick,date,` of each tick, rendered when the tick first appears.
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK_BYTES + 256);
    buffer.extend_from_slice(METRICS_COLUMNS.join(",").as_bytes());
    buffer.push(b'\n');
    let mut floats = ryu::Buffer::new();
    for r in rows {
        let tick = r.tick as usize;
        while prefixes.len() <= tick {
            let t = prefixes.len() as u32;
            let mut p = itoa::Buffer::new().format(t).as_bytes().to_vec();
            p.push(b',');
            p.extend_from_slice(&field(names.date(t)));
            prefixes.push(p);
        }
        buffer.extend_from_slice(&prefixes[tick]);
        buffer.extend_from_slice(&metrics[r.metric as usize]);
        buffer.extend_from_slice(entity(&states, r.state));
        buffer.extend_from_slice(entity(&firms, r.firm));
        buffer.extend_from_slice(entity(&sectors, r.sector));
        buffer.extend_from_slice(match r.market {
            WORLD => &world_market,
            i => entity(&states, i),
        });
        write_display_f64(&mut buffer, r.value, &mut floats);
        buffer.push(b'\n');
        if buffer.len() >= CHUNK_BYTES {
            sink(&buffer)?;
            buffer.clear();
        }
    }
    sink(&buffer)
}
/// The rendered field of entity `i` of `table`, or an empty field for [`NONE`].
fn entity(table: &[Vec<u8>], i: u16) -> &[u8] {
    if i == NONE { b"," } else { &table[i as usize] }
}

/// Appends `value` exactly as `format!("{value}")` writes it — shortest round-trip digits, never
/// an exponent, `-0` for negative zero — using `ryu` for the digits (several times faster than
/// `{}`, whose output it is tested against).
pub fn write_display_f64(out: &mut Vec<u8>, value: f64, floats: &mut ryu::Buffer) {
    if !value.is_finite() {
        out.extend_from_slice(if value.is_nan() {
            b"NaN"
        } else if value > 0.0 {
            b"inf"
        } else {
            b"-inf"
        });
        return;
    }
    if value == 0.0 {
        out.extend_from_slice(if value.is_sign_negative() {
            b"-0"
        } else {
            b"0"
        });
        return;
    }
    // ryu writes `d.ddd`, `0.000ddd`, `ddd.0` or `d.ddde±x`; read off the digits and where the
    // decimal point falls, then write them without exponent.
    let text = floats.format_finite(value).as_bytes();
    let (sign, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(e) => (&text[..e], parse_exponent(&text[e + 1..])),
        None => (text, 0),
    };
    let mut digits = [0u8; 24];
    let mut n = 0usize;
    let mut point = None;
    for &b in mantissa {
        if b == b'.' {
            point = Some(n);
        } else {
            digits[n] = b;
            n += 1;
        }
    }
    // Digits before the decimal point, once the exponent is applied.
    let mut whole = point.unwrap_or(n) as i32 + exponent;
    let mut start = 0;
    while start < n - 1 && digits[start] == b'0' {
        start += 1;
        whole -= 1;
    }
    while n > start + 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    let digits = &digits[start..n];
    // Where two shortest candidates are exactly equally near the value, ryu picks the even one
    // and `{}` the other; such ties are rare (the value's exact decimal expansion must end in a 5
    // one place after the shortest digits), so they take `{}` itself.
    if ends_half_way_after(value, digits.len()) {
        use std::io::Write;
        write!(out, "{value}").expect("writing to a Vec cannot fail");
        return;
    }
    if sign {
        out.push(b'-');
    }
    let len = digits.len() as i32;
    if whole <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-whole) as usize));
        out.extend_from_slice(digits);
    } else if whole >= len {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', (whole - len) as usize));
    } else {
        out.extend_from_slice(&digits[..whole as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[whole as usize..]);
    }
}

/// Whether the exact decimal expansion of `value` (finite, non-zero) has exactly `digits + 1`
/// significant digits and ends in 5: then it lies exactly half-way between two numbers of
/// `digits` significant digits. Exact expansions too long for a `u128` cannot be.
fn ends_half_way_after(value: f64, digits: usize) -> bool {
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mut mantissa, mut exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    // value = mantissa × 2^exponent with an odd mantissa.
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    exponent += zeros as i32;
    // Its exact decimal digits: mantissa × 2^exponent, or mantissa × 5^k × 10^−k for k = −exponent.
    let exact = if exponent >= 0 {
        u32::try_from(exponent)
            .ok()
            .and_then(|e| 1u128.checked_shl(e))
            .filter(|&p| p.leading_zeros() > 64)
            .and_then(|p| p.checked_mul(u128::from(mantissa)))
    } else {
        u32::try_from(-exponent)
            .ok()
            .and_then(|k| 5u128.checked_pow(k))
            .and_then(|p| p.checked_mul(u128::from(mantissa)))
    };
    let Some(mut exact) = exact else {
        return false;
    };
    while exact % 10 == 0 {
        exact /= 10;
    }
    exact % 10 == 5 && exact.ilog10() as usize + 1 == digits + 1
}

/// The exponent after ryu's `e`: an optional `-`, then decimal digits.
fn parse_exponent(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let magnitude = digits
        .iter()
        .fold(0i32, |acc, &d| acc * 10 + i32::from(d - b'0'));
    if negative { -magnitude } else { magnitude }
}

/// `metrics_catalogue.csv`: unit, filled columns and definition of each metric in `metrics`, in
/// the order of [`Metric::ALL`] (docs/OUTPUTS.md).
pub fn metrics_catalogue_csv(metrics: &[Metric]) -> String {
    let mut csv = CsvText::new();
    csv.record(CATALOGUE_COLUMNS);
    for m in Metric::ALL.into_iter().filter(|m| metrics.contains(m)) {
        csv.record([m.name(), m.unit(), &columns_field(m), m.definition()]);
    }
    csv.finish()
}

/// `firms.csv`: id, name, home state and sector of every firm.
pub fn firms_csv(scenario: &Scenario) -> String {
    let mut csv = CsvText::new();
    csv.record(["firm", "name", "home", "sector"]);
    for f in &scenario.firms {
        csv.record([&f.id, &f.name, &f.home, &f.sector]);
    }
    csv.finish()
}

/// `states.csv`: id and name of every state.
pub fn states_csv(scenario: &Scenario) -> String {
    id_name_csv("state", scenario.states.iter().map(|s| [&s.id, &s.name]))
}

/// `sectors.csv`: id and name of every sector.
pub fn sectors_csv(scenario: &Scenario) -> String {
    id_name_csv("sector", scenario.sectors.iter().map(|s| [&s.id, &s.name]))
}

/// A two-column entity table: `<kind>,name`, one row per entity.
fn id_name_csv<'a>(kind: &str, rows: impl Iterator<Item = [&'a String; 2]>) -> String {
    let mut csv = CsvText::new();
    csv.record([kind, "name"]);
    for row in rows {
        csv.record(row);
    }
    csv.finish()
}
