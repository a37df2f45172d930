//! `metrics.parquet` (`chokepoint run --format parquet`, cargo feature `parquet`): the rows of
//! `metrics.csv`, same columns in the same order, with types — `tick` int32, `date` DATE, the id
//! columns UTF-8 strings that are null where `metrics.csv` has an empty field, `value` double —
//! and the run's provenance in the file's key-value metadata (docs/OUTPUTS.md, "metrics.parquet").
//!
//! Written with the `parquet` crate's low-level column writer, without arrow or compression
//! codecs (their build cost; the columns are dictionary- and RLE-encoded, uncompressed). The bytes
//! depend only on the rows, the scenario's provenance and the build, so equal runs give equal
//! files; they are hashed as they are written, like `metrics.csv`.

use std::io;
use std::path::Path;
use std::sync::Arc;

use ::parquet::basic::Compression;
use ::parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type};
use ::parquet::file::metadata::KeyValue;
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::writer::SerializedFileWriter;
use ::parquet::schema::parser::parse_message_type;

use super::files::{AtomicFile, io_error};
use super::manifest::FileRecord;
use super::{OutputError, manifest::RunManifest};
use crate::labels::Names;
use crate::model::metrics::{Metric, NONE, Recording, Row, WORLD};
use crate::scenario::Scenario;

/// The file's schema, in Parquet's message syntax: `metrics.csv`'s columns, in its order.
const SCHEMA: &str = "message metrics {
    required int32 tick;
    required int32 date (DATE);
    required binary metric (STRING);
    optional binary state (STRING);
    optional binary firm (STRING);
    optional binary sector (STRING);
    optional binary market (STRING);
    required double value;
}";

/// Rows per row group: a default run (about 480,000 rows) is one group.
const ROW_GROUP_ROWS: usize = 1 << 20;
/// Values handed to a column writer at once.
const BATCH_ROWS: usize = 8192;

/// Writes `rows` as `path` (its folder must exist) atomically, hashed as it is written; returns
/// its manifest record. `manifest` supplies the provenance stored in the file's metadata.
pub fn write_metrics_parquet(
    path: &Path,
    scenario: &Scenario,
    manifest: &RunManifest,
    rows: &Recording,
) -> Result<FileRecord, OutputError> {
    let mut file = AtomicFile::create(path)?;
    let failed = |e: ::parquet::errors::ParquetError| {
        io_error(path)(io::Error::other(format!("Parquet writer: {e}")))
    };
    let schema = Arc::new(parse_message_type(SCHEMA).map_err(failed)?);
    let properties = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_key_value_metadata(Some(provenance(manifest)))
        .set_created_by(format!("chokepoint {}", manifest.chokepoint_version))
        .build();
    let mut writer =
        SerializedFileWriter::new(HashingSink(&mut file), schema, Arc::new(properties))
            .map_err(failed)?;
    let columns = Columns::new(scenario);
    // Row groups and, within each, batches of rows: (start, end) ranges of the recording.
    let ranges = |start: usize, end: usize, step: usize| {
        (start..end)
            .step_by(step)
            .map(move |from| (from, (from + step).min(end)))
    };
    for (group_start, group_end) in ranges(0, rows.len(), ROW_GROUP_ROWS) {
        let mut row_group = writer.next_row_group().map_err(failed)?;
        let mut index = 0;
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        while let Some(mut column) = row_group.next_column().map_err(failed)? {
            for (from, to) in ranges(group_start, group_end, BATCH_ROWS) {
                batch.clear();
                batch.extend(rows.rows_in(from..to));
                columns.write(index, &batch, &mut column).map_err(failed)?;
            }
            column.close().map_err(failed)?;
            index += 1;
        }
        row_group.close().map_err(failed)?;
    }
    writer.close().map_err(failed)?;
    let mut record = file.commit(0)?;
    record.rows = Some(rows.len());
    Ok(record)
}

/// The provenance a Parquet reader sees without the manifest, as `chokepoint.*` keys.
fn provenance(manifest: &RunManifest) -> Vec<KeyValue> {
    let pairs = [
        ("chokepoint.scenario", manifest.scenario.clone()),
        (
            "chokepoint.scenario_sha256",
            manifest.scenario_sha256.clone(),
        ),
        ("chokepoint.seed", manifest.seed.to_string()),
        ("chokepoint.ticks", manifest.ticks.to_string()),
        (
            "chokepoint.ticks_per_year",
            manifest.ticks_per_year.to_string(),
        ),
        ("chokepoint.start", manifest.start.clone()),
        ("chokepoint.version", manifest.chokepoint_version.clone()),
        (
            "chokepoint.git_commit",
            manifest.git_commit.clone().unwrap_or_default(),
        ),
        (
            "chokepoint.contract",
            "docs/OUTPUTS.md: the rows of metrics.csv; null where metrics.csv has an empty field"
                .to_string(),
        ),
    ];
    pairs
        .into_iter()
        .map(|(key, value)| KeyValue::new(key.to_string(), value))
        .collect()
}

/// The values of each column, rendered once per entity (a `ByteArray` clone shares its bytes).
struct Columns {
    states: Vec<ByteArray>,
    firms: Vec<ByteArray>,
    sectors: Vec<ByteArray>,
    metrics: Vec<ByteArray>,
    world: ByteArray,
    /// Days since 1970-01-01 of each tick's first day.
    days: Vec<i32>,
}

impl Columns {
    fn new(scenario: &Scenario) -> Columns {
        let names = Names::new(scenario);
        let text = |s: &str| ByteArray::from(s);
        let mut metrics = vec![ByteArray::new(); Metric::ALL.len()];
        for m in Metric::ALL {
            metrics[m as usize] = text(m.name());
        }
        Columns {
            states: (0..scenario.states.len())
                .map(|i| text(names.state(i as u16)))
                .collect(),
            firms: (0..scenario.firms.len())
                .map(|j| text(names.firm(j as u16)))
                .collect(),
            sectors: (0..scenario.sectors.len())
                .map(|k| text(names.sector(k as u16)))
                .collect(),
            metrics,
            world: text(names.market(WORLD)),
            days: (0..scenario.ticks)
                .map(|t| {
                    let date = scenario.date_of_tick(t);
                    days_since_epoch(date.year, date.month, date.day.unwrap_or(1))
                })
                .collect(),
        }
    }

    /// Writes column `index` (in [`SCHEMA`] order) of `batch`.
    fn write(
        &self,
        index: usize,
        batch: &[Row],
        column: &mut ::parquet::file::writer::SerializedColumnWriter<'_>,
    ) -> ::parquet::errors::Result<()> {
        match index {
            0 => {
                let ticks: Vec<i32> = batch.iter().map(|r| r.tick as i32).collect();
                column
                    .typed::<Int32Type>()
                    .write_batch(&ticks, None, None)?;
            }
            1 => {
                let days: Vec<i32> = batch.iter().map(|r| self.days[r.tick as usize]).collect();
                column.typed::<Int32Type>().write_batch(&days, None, None)?;
            }
            2 => {
                let names: Vec<ByteArray> = batch
                    .iter()
                    .map(|r| self.metrics[r.metric as usize].clone())
                    .collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&names, None, None)?;
            }
            3..=6 => {
                let mut values = Vec::with_capacity(batch.len());
                let mut defined = Vec::with_capacity(batch.len());
                for r in batch {
                    let value = match index {
                        3 => entity(&self.states, r.state),
                        4 => entity(&self.firms, r.firm),
                        5 => entity(&self.sectors, r.sector),
                        _ if r.market == WORLD => Some(&self.world),
                        _ => entity(&self.states, r.market),
                    };
                    defined.push(i16::from(value.is_some()));
                    values.extend(value.cloned());
                }
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defined), None)?;
            }
            _ => {
                let values: Vec<f64> = batch.iter().map(|r| r.value).collect();
                column
                    .typed::<DoubleType>()
                    .write_batch(&values, None, None)?;
            }
        }
        Ok(())
    }
}

/// Entity `i` of `table`, or `None` (null) for [`NONE`].
fn entity(table: &[ByteArray], i: u16) -> Option<&ByteArray> {
    (i != NONE).then(|| &table[i as usize])
}

/// Days from 1970-01-01 to a proleptic Gregorian date: Parquet's DATE (H. Hinnant's
/// days-from-civil algorithm, <https://howardhinnant.github.io/date_algorithms.html>).
pub fn days_since_epoch(year: i32, month: u32, day: u32) -> i32 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era - 719_468) as i32
}

/// An `io::Write` over an [`AtomicFile`], so the Parquet writer's bytes are hashed as they go.
struct HashingSink<'a>(&'a mut AtomicFile);

impl io::Write for HashingSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .write(bytes)
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
