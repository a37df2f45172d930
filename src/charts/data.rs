//! Reading a result directory: `manifest.json` and the CSV files of the public output contract;
//! and the same run data taken from rows still in memory ([`TidyRow`], [`Metrics::from_rows`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use super::error::PlotError;

/// The kinds of result a directory can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Run,
    Sweep,
    Effect,
    Comparison,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Sweep => "sweep",
            Kind::Effect => "effect",
            Kind::Comparison => "comparison",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Manifest {
    pub kind: Kind,
    pub scenario: Option<String>,
    /// Replicates per design point or dose (sweeps and effect analyses).
    pub replicates: Option<u64>,
    /// Effect analyses: outcome label → metric name.
    pub outcome_metrics: BTreeMap<String, String>,
}

impl Manifest {
    /// What the `manifest.json` of a run of `scenario` tells the charts.
    pub(crate) fn of_run(scenario: &crate::scenario::Scenario) -> Manifest {
        Manifest {
            kind: Kind::Run,
            scenario: Some(scenario.name.clone()),
            replicates: None,
            outcome_metrics: BTreeMap::new(),
        }
    }
}

pub(crate) fn read_manifest(dir: &Path) -> Result<Manifest, PlotError> {
    let path = dir.join("manifest.json");
    if !path.is_file() {
        return Err(PlotError::NoManifest {
            dir: dir.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(&path).map_err(|e| PlotError::io(&path, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| PlotError::BadManifest {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let kind = match v.get("kind") {
        Some(serde_json::Value::String(s)) => match s.as_str() {
            "run" => Kind::Run,
            "sweep" => Kind::Sweep,
            "effect" => Kind::Effect,
            "comparison" => Kind::Comparison,
            other => {
                return Err(PlotError::UnknownKind {
                    dir: dir.to_path_buf(),
                    kind: format!("\"{other}\""),
                });
            }
        },
        Some(other) => {
            return Err(PlotError::UnknownKind {
                dir: dir.to_path_buf(),
                kind: other.to_string(),
            });
        }
        None => {
            return Err(PlotError::UnknownKind {
                dir: dir.to_path_buf(),
                kind: "(no \"kind\" field)".to_string(),
            });
        }
    };
    let scenario = v
        .get("scenario")
        .and_then(|s| s.as_str())
        .map(str::to_string);
    let replicates = v.get("replicates").and_then(serde_json::Value::as_u64);
    let outcome_metrics = v
        .get("outcome_metrics")
        .and_then(serde_json::Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    verify_files(dir, &path, &v)?;
    Ok(Manifest {
        kind,
        scenario,
        replicates,
        outcome_metrics,
    })
}

/// Checks every file the manifest lists against its SHA-256: a table cut short or edited after
/// the run would otherwise draw plausible but wrong charts.
fn verify_files(dir: &Path, manifest: &Path, v: &serde_json::Value) -> Result<(), PlotError> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let Some(files) = v.get("files").and_then(|f| f.as_object()) else {
        return Ok(());
    };
    for (name, record) in files {
        let Some(expected) = record.get("sha256").and_then(|d| d.as_str()) else {
            continue;
        };
        let path = dir.join(name);
        let bad = |message: String| PlotError::BadManifest {
            path: manifest.to_path_buf(),
            message,
        };
        let mut file = File::open(&path)
            .map_err(|e| bad(format!("it lists `{name}`, which cannot be read: {e}")))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut lines = 0usize;
        loop {
            let n = file.read(&mut buf).map_err(|e| PlotError::io(&path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        }
        let actual = crate::provenance::hex(&hasher.finalize());
        if actual != expected {
            let rows = match record.get("rows").and_then(|r| r.as_u64()) {
                Some(rows) => format!(" ({rows} rows expected, {} lines found)", lines),
                None => String::new(),
            };
            return Err(bad(format!(
                "`{name}` does not match its SHA-256 in the manifest{rows}: it was cut short or \
                 changed after it was written; restore it or re-run to redraw from trusted data"
            )));
        }
    }
    Ok(())
}

/// An open CSV file whose header has been checked; `cols[i]` is the position of the i-th
/// expected column (extra columns are ignored, so the contract can grow).
pub(crate) struct Csv {
    pub path: PathBuf,
    reader: csv::Reader<File>,
    cols: Vec<usize>,
    headers: Vec<String>,
    rec: csv::StringRecord,
}

impl Csv {
    pub(crate) fn open(path: &Path, expected: &[&str], why: &str) -> Result<Csv, PlotError> {
        if !path.is_file() {
            return Err(PlotError::MissingFile {
                path: path.to_path_buf(),
                why: why.to_string(),
            });
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .map_err(|e| csv_err(path, e))?;
        let headers = reader.headers().map_err(|e| csv_err(path, e))?.clone();
        let found: Vec<&str> = headers.iter().map(|h| h.trim()).collect();
        let mut cols = Vec::with_capacity(expected.len());
        for want in expected {
            match found.iter().position(|h| h == want) {
                Some(i) => cols.push(i),
                None => {
                    return Err(PlotError::BadHeader {
                        path: path.to_path_buf(),
                        expected: expected.join(","),
                        found: found.join(","),
                    });
                }
            }
        }
        Ok(Csv {
            path: path.to_path_buf(),
            reader,
            cols,
            headers: found.iter().map(|h| h.to_string()).collect(),
            rec: csv::StringRecord::new(),
        })
    }

    /// The position of an optional column (one a later version of the contract added).
    pub(crate) fn optional(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Field at raw position `i` of the current row (for [`Csv::optional`] columns).
    pub(crate) fn raw(&self, i: usize) -> &str {
        self.rec.get(i).unwrap_or("").trim()
    }

    /// Read the next row; `None` at the end.
    pub(crate) fn next_row(&mut self) -> Result<Option<()>, PlotError> {
        match self.reader.read_record(&mut self.rec) {
            Ok(true) => Ok(Some(())),
            Ok(false) => Ok(None),
            Err(e) => Err(csv_err(&self.path, e)),
        }
    }

    /// Field `i` (in expected-column order) of the current row.
    pub(crate) fn get(&self, i: usize) -> &str {
        self.rec.get(self.cols[i]).unwrap_or("").trim()
    }

    pub(crate) fn line(&self) -> u64 {
        self.rec.position().map(|p| p.line()).unwrap_or(0)
    }

    pub(crate) fn bad(&self, message: impl Into<String>) -> PlotError {
        PlotError::BadRow {
            path: self.path.clone(),
            line: self.line(),
            message: message.into(),
        }
    }

    /// Parse field `i` as a number; empty → NaN.
    pub(crate) fn f64(&self, i: usize, name: &str) -> Result<f64, PlotError> {
        let s = self.get(i);
        if s.is_empty() {
            return Ok(f64::NAN);
        }
        s.parse::<f64>()
            .map_err(|_| self.bad(format!("column `{name}`: `{s}` is not a number")))
    }

    pub(crate) fn u32(&self, i: usize, name: &str) -> Result<u32, PlotError> {
        let s = self.get(i);
        s.parse::<u32>().map_err(|_| {
            self.bad(format!(
                "column `{name}`: `{s}` is not a non-negative integer"
            ))
        })
    }
}

fn csv_err(path: &Path, e: csv::Error) -> PlotError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => PlotError::io(path, io),
        other => PlotError::BadRow {
            path: path.to_path_buf(),
            line,
            message: format!("{:?}", other),
        },
    }
}

/// `YYYY-MM-DD` → fractional calendar year (2022-07-01 → 2022.5).
pub(crate) fn date_to_year(s: &str) -> Option<f64> {
    let mut it = s.split('-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it
        .next()
        .unwrap_or("1")
        .get(..2)
        .unwrap_or("1")
        .parse()
        .ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    Some(y as f64 + (m as f64 - 1.0) / 12.0 + (d.min(dim) as f64 - 1.0) / dim as f64 / 12.0)
}

/// String interner: symbol 0 is the empty string.
#[derive(Debug)]
pub(crate) struct Names {
    map: HashMap<String, u32>,
    names: Vec<String>,
}

impl Default for Names {
    fn default() -> Self {
        let mut n = Names {
            map: HashMap::new(),
            names: Vec::new(),
        };
        n.intern("");
        n
    }
}

impl Names {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.map.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.map.insert(s.to_string(), i);
        i
    }
    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        self.map.get(s).copied()
    }
    pub(crate) fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }
}

/// Which column of a tidy row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Col {
    State,
    Firm,
    Market,
}

/// The entity columns of a tidy row, as symbols.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Ent {
    pub state: u32,
    pub firm: u32,
    pub sector: u32,
    pub market: u32,
}

impl Ent {
    pub(crate) fn get(&self, c: Col) -> u32 {
        match c {
            Col::State => self.state,
            Col::Firm => self.firm,
            Col::Market => self.market,
        }
    }
}

/// One row of `metrics.csv`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MRow {
    pub tick: u32,
    pub ent: Ent,
    pub value: f64,
}

/// One row of a run's metrics as `metrics.csv` labels it, in memory: what a run hands the charts
/// instead of the file, so nothing is written and parsed back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TidyRow<'a> {
    /// Tick number.
    pub tick: u32,
    /// The `metric` column.
    pub metric: &'a str,
    /// The `state` column (empty where it does not apply).
    pub state: &'a str,
    /// The `firm` column.
    pub firm: &'a str,
    /// The `sector` column.
    pub sector: &'a str,
    /// The `market` column.
    pub market: &'a str,
    /// The `value` column.
    pub value: f64,
}

/// `metrics.csv` of a run, interned.
#[derive(Debug)]
pub(crate) struct Metrics {
    pub path: PathBuf,
    pub names: Names,
    pub rows: Vec<MRow>,
    /// tick → fractional year.
    pub tick_year: BTreeMap<u32, f64>,
    /// metric symbol → row indices, in file order.
    by_metric: HashMap<u32, Vec<u32>>,
    /// metric names in order of first appearance.
    pub metric_order: Vec<u32>,
    /// (metric, column) → its distinct non-empty symbols, sorted by name: the chart builders ask
    /// the same question many times (e.g. which markets a share metric has), each a pass over
    /// hundreds of thousands of rows.
    distinct: std::sync::Mutex<HashMap<(u32, Col), BTreeSet<String>>>,
}

impl Metrics {
    pub(crate) fn read(dir: &Path) -> Result<Metrics, PlotError> {
        let path = dir.join("metrics.csv");
        let mut csv = Csv::open(
            &path,
            &crate::labels::METRICS_COLUMNS,
            "a run result needs metrics.csv",
        )?;
        let mut names = Names::default();
        let mut rows = Vec::new();
        let mut tick_year = BTreeMap::new();
        let mut by_metric: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut metric_order = Vec::new();
        let mut last_date = (u32::MAX, 0.0);
        while csv.next_row()?.is_some() {
            let tick = csv.u32(0, "tick")?;
            if tick != last_date.0 {
                let date = csv.get(1);
                let y = date_to_year(date).ok_or_else(|| {
                    csv.bad(format!("column `date`: `{date}` is not a YYYY-MM-DD date"))
                })?;
                tick_year.insert(tick, y);
                last_date = (tick, y);
            }
            let metric = names.intern(csv.get(2));
            let ent = Ent {
                state: names.intern(csv.get(3)),
                firm: names.intern(csv.get(4)),
                sector: names.intern(csv.get(5)),
                market: names.intern(csv.get(6)),
            };
            let value = csv.f64(7, "value")?;
            let list = by_metric.entry(metric).or_insert_with(|| {
                metric_order.push(metric);
                Vec::new()
            });
            list.push(rows.len() as u32);
            rows.push(MRow { tick, ent, value });
        }
        Ok(Metrics {
            path,
            names,
            rows,
            tick_year,
            by_metric,
            metric_order,
            distinct: Default::default(),
        })
    }

    /// The table [`Metrics::read`] would read from the `metrics.csv` of these rows, built from
    /// the rows themselves (`path` is where that file is, for messages). Fields are trimmed and
    /// interned in the reader's order, and dates come from the scenario's calendar, so every
    /// chart is the same.
    pub(crate) fn from_rows<'a>(
        path: PathBuf,
        scenario: &crate::scenario::Scenario,
        rows: impl IntoIterator<Item = TidyRow<'a>>,
    ) -> Metrics {
        let mut names = Names::default();
        let mut out = Vec::new();
        let mut tick_year = BTreeMap::new();
        let mut by_metric: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut metric_order = Vec::new();
        let mut last_tick = u32::MAX;
        // The previous row's symbols: consecutive rows mostly share their labels, so most
        // look-ups are a string comparison instead of a hash.
        let mut last: [(&str, u32); 5] = [("", 0); 5];
        let mut intern = |names: &mut Names, slot: usize, text: &'a str| {
            if last[slot].0 == text {
                return last[slot].1;
            }
            let symbol = names.intern(text.trim());
            last[slot] = (text, symbol);
            symbol
        };
        for r in rows {
            if r.tick != last_tick {
                let date = scenario.date_of_tick(r.tick).iso();
                tick_year.insert(r.tick, date_to_year(&date).unwrap_or(f64::NAN));
                last_tick = r.tick;
            }
            let metric = intern(&mut names, 0, r.metric);
            let ent = Ent {
                state: intern(&mut names, 1, r.state),
                firm: intern(&mut names, 2, r.firm),
                sector: intern(&mut names, 3, r.sector),
                market: intern(&mut names, 4, r.market),
            };
            let list = by_metric.entry(metric).or_insert_with(|| {
                metric_order.push(metric);
                Vec::new()
            });
            list.push(out.len() as u32);
            out.push(MRow {
                tick: r.tick,
                ent,
                value: r.value,
            });
        }
        Metrics {
            path,
            names,
            rows: out,
            tick_year,
            by_metric,
            metric_order,
            distinct: Default::default(),
        }
    }

    pub(crate) fn has(&self, metric: &str) -> bool {
        self.names
            .get(metric)
            .is_some_and(|m| self.by_metric.contains_key(&m))
    }

    pub(crate) fn rows_of<'a>(&'a self, metric: &str) -> impl Iterator<Item = &'a MRow> + 'a {
        let list: &[u32] = self
            .names
            .get(metric)
            .and_then(|m| self.by_metric.get(&m))
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        list.iter().map(move |&i| &self.rows[i as usize])
    }

    pub(crate) fn metric_names(&self) -> Vec<String> {
        self.metric_order
            .iter()
            .map(|&m| self.names.name(m).to_string())
            .collect()
    }

    /// Distinct non-empty values of column `c` among the rows of `metric`, sorted.
    pub(crate) fn distinct(&self, metric: &str, c: Col) -> BTreeSet<String> {
        let Some(m) = self.names.get(metric) else {
            return BTreeSet::new();
        };
        // A poisoned lock only means another thread panicked; the map itself is whole.
        let lock = || self.distinct.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(set) = lock().get(&(m, c)) {
            return set.clone();
        }
        let set = self.distinct_uncached(metric, c);
        lock().insert((m, c), set.clone());
        set
    }

    fn distinct_uncached(&self, metric: &str, c: Col) -> BTreeSet<String> {
        // A flag per symbol: one pass over the rows without a set insertion per row.
        let mut seen = vec![false; self.names.names.len()];
        for r in self.rows_of(metric) {
            seen[r.ent.get(c) as usize] = true;
        }
        seen.iter()
            .enumerate()
            .skip(1)
            .filter(|&(_, &seen)| seen)
            .map(|(s, _)| self.names.name(s as u32).to_string())
            .collect()
    }

    pub(crate) fn year(&self, tick: u32) -> f64 {
        self.tick_year.get(&tick).copied().unwrap_or(f64::NAN)
    }

    pub(crate) fn sym(&self, s: &str) -> Option<u32> {
        self.names.get(s)
    }
}

/// One firm of `firms.csv`.
#[derive(Clone, Debug)]
pub(crate) struct Firm {
    pub id: String,
    pub name: String,
    pub home: String,
    pub sector: String,
}

pub(crate) fn read_firms(dir: &Path) -> Result<Option<Vec<Firm>>, PlotError> {
    let path = dir.join("firms.csv");
    if !path.is_file() {
        return Ok(None);
    }
    let mut csv = Csv::open(&path, &["firm", "name", "home", "sector"], "")?;
    let mut out = Vec::new();
    while csv.next_row()?.is_some() {
        out.push(Firm {
            id: csv.get(0).to_string(),
            name: csv.get(1).to_string(),
            home: csv.get(2).to_string(),
            sector: csv.get(3).to_string(),
        });
    }
    Ok(Some(out))
}

/// The rows of `firms.csv` and `states.csv` a run of `scenario` writes, as [`read_firms`] and
/// [`read_states`] return them (fields trimmed as the reader trims them).
pub(crate) fn entities_of(
    scenario: &crate::scenario::Scenario,
) -> (Vec<Firm>, Vec<(String, String)>) {
    let firms = scenario
        .firms
        .iter()
        .map(|f| Firm {
            id: f.id.trim().to_string(),
            name: f.name.trim().to_string(),
            home: f.home.trim().to_string(),
            sector: f.sector.trim().to_string(),
        })
        .collect();
    let states = scenario
        .states
        .iter()
        .map(|s| (s.id.trim().to_string(), s.name.trim().to_string()))
        .collect();
    (firms, states)
}

/// A state's display name from the rows of [`read_states`], or its code where the table gives
/// none.
pub(crate) fn state_display_name(states: &[(String, String)], code: &str) -> String {
    states
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, n)| n.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| code.to_string())
}

/// `states.csv`: state code → name, in file order.
pub(crate) fn read_states(dir: &Path) -> Result<Vec<(String, String)>, PlotError> {
    let path = dir.join("states.csv");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let mut csv = Csv::open(&path, &["state", "name"], "")?;
    let mut out = Vec::new();
    while csv.next_row()?.is_some() {
        out.push((csv.get(0).to_string(), csv.get(1).to_string()));
    }
    Ok(out)
}

/// One row of a sweep's `summary.csv`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SRow {
    pub point: u32,
    pub tick: u32,
    pub metric: u32,
    pub ent: Ent,
    pub mean: f64,
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

#[derive(Debug)]
pub(crate) struct Summary {
    pub path: PathBuf,
    pub names: Names,
    /// The rows of one design point (the one asked for, else the smallest).
    pub rows: Vec<SRow>,
    /// Every design point in the file.
    pub points: BTreeSet<u32>,
    pub tick_year: BTreeMap<u32, f64>,
    pub metric_order: Vec<u32>,
}

pub(crate) const SUMMARY_HEADER: [&str; 16] = [
    "point", "tick", "date", "metric", "state", "firm", "sector", "market", "mean", "sd", "p05",
    "p25", "p50", "p75", "p95", "n",
];

impl Summary {
    /// Reads `summary.csv`, keeping the rows of design point `point` (default: the smallest), so
    /// that memory stays flat however many points a sweep has.
    pub(crate) fn read(dir: &Path, point: Option<u32>) -> Result<Summary, PlotError> {
        let path = dir.join("summary.csv");
        let mut csv = Csv::open(&path, &SUMMARY_HEADER, "a sweep result needs summary.csv")?;
        let mut names = Names::default();
        let mut rows = Vec::new();
        let mut tick_year = BTreeMap::new();
        let mut metric_order = Vec::new();
        let mut seen = BTreeSet::new();
        let mut points = BTreeSet::new();
        let mut kept_so_far = None;
        while csv.next_row()?.is_some() {
            let row_point = csv.u32(0, "point")?;
            points.insert(row_point);
            let kept = point.unwrap_or_else(|| *points.first().unwrap_or(&row_point));
            if row_point != kept {
                continue;
            }
            // Without a requested point a smaller one may turn up later: keep that one instead.
            if kept_so_far != Some(kept) {
                rows.clear();
                kept_so_far = Some(kept);
            }
            let point = row_point;
            let tick = csv.u32(1, "tick")?;
            if let std::collections::btree_map::Entry::Vacant(e) = tick_year.entry(tick) {
                let date = csv.get(2);
                let y = date_to_year(date).ok_or_else(|| {
                    csv.bad(format!("column `date`: `{date}` is not a YYYY-MM-DD date"))
                })?;
                e.insert(y);
            }
            let metric = names.intern(csv.get(3));
            if seen.insert(metric) {
                metric_order.push(metric);
            }
            let ent = Ent {
                state: names.intern(csv.get(4)),
                firm: names.intern(csv.get(5)),
                sector: names.intern(csv.get(6)),
                market: names.intern(csv.get(7)),
            };
            rows.push(SRow {
                point,
                tick,
                metric,
                ent,
                mean: csv.f64(8, "mean")?,
                p05: csv.f64(10, "p05")?,
                p25: csv.f64(11, "p25")?,
                p50: csv.f64(12, "p50")?,
                p75: csv.f64(13, "p75")?,
                p95: csv.f64(14, "p95")?,
            });
        }
        Ok(Summary {
            path,
            names,
            rows,
            points,
            tick_year,
            metric_order,
        })
    }
}

/// One row of a sweep's `sensitivity.csv`.
#[derive(Clone, Debug)]
pub(crate) struct SensRow {
    pub metric: String,
    pub state: String,
    pub firm: String,
    pub sector: String,
    pub market: String,
    pub tick: Option<u32>,
    pub parameter: String,
    pub index: String,
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Diagnostics written by the sweep (near-constant output, wide interval, not converged).
    pub note: String,
}

pub(crate) const SENSITIVITY_HEADER: [&str; 11] = [
    "metric",
    "state",
    "firm",
    "sector",
    "market",
    "tick",
    "parameter",
    "index",
    "estimate",
    "ci_low",
    "ci_high",
];

pub(crate) fn read_sensitivity(dir: &Path) -> Result<Option<(PathBuf, Vec<SensRow>)>, PlotError> {
    let path = dir.join("sensitivity.csv");
    if !path.is_file() {
        return Ok(None);
    }
    let mut csv = Csv::open(&path, &SENSITIVITY_HEADER, "")?;
    let note = csv.optional("note");
    let mut out = Vec::new();
    while csv.next_row()?.is_some() {
        let tick = if csv.get(5).is_empty() {
            None
        } else {
            Some(csv.u32(5, "tick")?)
        };
        out.push(SensRow {
            metric: csv.get(0).to_string(),
            state: csv.get(1).to_string(),
            firm: csv.get(2).to_string(),
            sector: csv.get(3).to_string(),
            market: csv.get(4).to_string(),
            tick,
            parameter: csv.get(6).to_string(),
            index: csv.get(7).to_string(),
            estimate: csv.f64(8, "estimate")?,
            ci_low: csv.f64(9, "ci_low")?,
            ci_high: csv.f64(10, "ci_high")?,
            note: note.map_or(String::new(), |i| csv.raw(i).to_string()),
        });
    }
    Ok(Some((path, out)))
}

/// One row of an effect result's `effects.csv`.
#[derive(Clone, Debug)]
pub(crate) struct EffRow {
    pub ablation: String,
    pub outcome: String,
    pub dose: u32,
    pub dose_label: String,
    pub quantity: String,
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

pub(crate) fn read_effects(dir: &Path) -> Result<(PathBuf, Vec<EffRow>), PlotError> {
    let path = dir.join("effects.csv");
    let mut csv = Csv::open(
        &path,
        &crate::labels::EFFECTS_COLUMNS,
        "an effect result needs effects.csv",
    )?;
    let mut out = Vec::new();
    while csv.next_row()?.is_some() {
        out.push(EffRow {
            ablation: csv.get(0).to_string(),
            outcome: csv.get(1).to_string(),
            dose: csv.u32(2, "dose")?,
            dose_label: csv.get(3).to_string(),
            quantity: csv.get(4).to_string(),
            estimate: csv.f64(5, "estimate")?,
            ci_low: csv.f64(6, "ci_low")?,
            ci_high: csv.f64(7, "ci_high")?,
        });
    }
    Ok((path, out))
}

/// The outcome key of a sweep row: metric, state, firm, sector, market.
pub(crate) type OutcomeKey = [String; 5];

/// Every design point's replicate mean of every outcome at the last kept tick, with the points'
/// parameter values: what response charts (outcome against a varied parameter) need. Read apart
/// from [`Summary`], which keeps one design point only.
#[derive(Debug)]
pub(crate) struct Responses {
    /// Varied parameters, as in `summary.csv`'s columns between `point` and `tick`.
    pub factors: Vec<String>,
    /// Design point → its parameter values as written (`-1`, `true`).
    pub points: BTreeMap<u32, Vec<String>>,
    /// The date of the last kept tick, where the means are taken.
    pub date: String,
    /// Outcome → design point → replicate mean, in order of first appearance.
    pub means: Vec<(OutcomeKey, BTreeMap<u32, f64>)>,
}

/// Design points above which response charts are not drawn (one chart line per point would be
/// unreadable, and the table is better read with pandas).
pub(crate) const RESPONSE_POINT_LIMIT: usize = 20_000;

impl Responses {
    /// Reads the response table from `summary.csv`, or `None` when the sweep varies nothing or
    /// has too many points to chart.
    pub(crate) fn read(dir: &Path) -> Result<Option<Responses>, PlotError> {
        let path = dir.join("summary.csv");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(&path)
            .map_err(|e| csv_err(&path, e))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| csv_err(&path, e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let Some(tick_col) = header.iter().position(|h| h == "tick") else {
            return Ok(None);
        };
        if tick_col < 2 || header[0] != "point" {
            return Ok(None);
        }
        let factors = header[1..tick_col].to_vec();
        let col = |name: &str| header.iter().position(|h| h == name);
        let (Some(date_col), Some(mean_col)) = (col("date"), col("mean")) else {
            return Ok(None);
        };
        let entity: Vec<usize> = ["metric", "state", "firm", "sector", "market"]
            .iter()
            .filter_map(|c| col(c))
            .collect();
        if entity.len() != 5 {
            return Ok(None);
        }
        // The last tick present is the one every outcome has (keep's ticks apply to all metrics).
        let mut last: Option<(u32, String)> = None;
        let mut points: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        let mut means: Vec<(OutcomeKey, BTreeMap<u32, f64>)> = Vec::new();
        let mut index: HashMap<OutcomeKey, usize> = HashMap::new();
        let mut rec = csv::StringRecord::new();
        while reader
            .read_record(&mut rec)
            .map_err(|e| csv_err(&path, e))?
        {
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let bad = |message: String| PlotError::BadRow {
                path: path.clone(),
                line,
                message,
            };
            let field = |i: usize| rec.get(i).unwrap_or("").trim();
            let point: u32 = field(0).parse().map_err(|_| {
                bad(format!(
                    "column `point`: `{}` is not a point number",
                    field(0)
                ))
            })?;
            let tick: u32 = field(tick_col).parse().map_err(|_| {
                bad(format!(
                    "column `tick`: `{}` is not a tick",
                    field(tick_col)
                ))
            })?;
            match &last {
                Some((t, _)) if *t > tick => continue,
                Some((t, _)) if *t == tick => {}
                _ => {
                    last = Some((tick, field(date_col).to_string()));
                    means.clear();
                    index.clear();
                }
            }
            if !points.contains_key(&point) {
                if points.len() >= RESPONSE_POINT_LIMIT {
                    return Ok(None);
                }
                points.insert(point, (1..tick_col).map(|i| field(i).to_string()).collect());
            }
            let key: OutcomeKey = std::array::from_fn(|i| field(entity[i]).to_string());
            let mean = match field(mean_col) {
                "" => f64::NAN,
                s => s
                    .parse()
                    .map_err(|_| bad(format!("column `mean`: `{s}` is not a number")))?,
            };
            let slot = *index.entry(key.clone()).or_insert_with(|| {
                means.push((key, BTreeMap::new()));
                means.len() - 1
            });
            means[slot].1.insert(point, mean);
        }
        let Some((_, date)) = last else {
            return Ok(None);
        };
        Ok((!factors.is_empty()).then_some(Responses {
            factors,
            points,
            date,
            means,
        }))
    }

    /// The levels of factor `f`, sorted numerically when every level is a number, else as text.
    pub(crate) fn levels(&self, f: usize) -> Vec<String> {
        let mut levels: Vec<String> = self
            .points
            .values()
            .map(|v| v[f].clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if levels.iter().all(|l| l.parse::<f64>().is_ok()) {
            levels.sort_by(|a, b| {
                let (x, y): (f64, f64) = (a.parse().unwrap_or(0.0), b.parse().unwrap_or(0.0));
                x.total_cmp(&y)
            });
        }
        levels
    }

    /// True when the points are a full grid: every combination of levels exactly once.
    pub(crate) fn is_grid(&self) -> bool {
        let combinations = (0..self.factors.len())
            .map(|f| self.levels(f).len())
            .try_fold(1usize, |acc, n| acc.checked_mul(n));
        let distinct: BTreeSet<&Vec<String>> = self.points.values().collect();
        combinations == Some(self.points.len()) && distinct.len() == self.points.len()
    }
}
