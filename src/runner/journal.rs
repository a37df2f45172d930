//! Crash-safe records of finished runs. A sweep appends one line per finished run to a journal
//! (`journal.txt`, or `journal-shard-I-of-N.txt`) with a checksum, so an interrupted sweep —
//! Ctrl-C, `kill -9`, power loss — resumes where it stopped: a torn or corrupt line is ignored and
//! its run simply runs again. A finished shard is published as a self-describing shard file
//! (header, records in run order, footer with row count and SHA-256), written to a temporary name
//! and renamed, so a shard file that exists is complete. Formats: docs/SWEEPS.md.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use sha2::{Digest, Sha256};

use crate::output::OutputError;
use crate::output::files::{AtomicFile, sync_dir};
use crate::output::sweep::RunValues;
use crate::provenance::{hex, sha256_hex};

/// One shard of a sweep: `index` of `count` (the unsharded sweep is shard 0 of 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// The whole sweep as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The runs of this shard: a contiguous range, `index·R/N .. (index+1)·R/N`.
    pub fn runs(self, total: usize) -> std::ops::Range<usize> {
        let at = |i: usize| (i as u128 * total as u128 / self.count as u128) as usize;
        at(self.index)..at(self.index + 1)
    }

    /// The journal's file name.
    pub fn journal_name(self) -> String {
        if self == Shard::WHOLE {
            "journal.txt".into()
        } else {
            format!("journal-shard-{}-of-{}.txt", self.index, self.count)
        }
    }

    /// The shard file's name.
    pub fn file_name(self) -> String {
        format!("shard-{}-of-{}.txt", self.index, self.count)
    }
}

const JOURNAL_MAGIC: &str = "chokepoint-journal v1";
const SHARD_MAGIC: &str = "chokepoint-shard v1";

/// Formats one record: `run,v1,…,vC` with values in shortest round-trip form, NaN as empty.
pub fn record_body(run: usize, values: &[f64]) -> String {
    let mut line = run.to_string();
    for v in values {
        line.push(',');
        if !v.is_nan() {
            line.push_str(&v.to_string());
        }
    }
    line
}

/// Parses a record body; `None` if it is not `columns` values after a run number.
pub fn parse_record(body: &str, columns: usize) -> Option<(usize, Vec<f64>)> {
    let mut fields = body.split(',');
    let run = fields.next()?.parse().ok()?;
    let values: Option<Vec<f64>> = fields
        .map(|f| {
            if f.is_empty() {
                Some(f64::NAN)
            } else {
                f.parse().ok()
            }
        })
        .collect();
    values.filter(|v| v.len() == columns).map(|v| (run, v))
}

fn checksum(body: &str) -> String {
    sha256_hex(body.as_bytes())[..16].to_string()
}

/// The journal's first line: which sweep, shard and runs it records.
pub fn journal_header(
    sweep_id: &str,
    shard: Shard,
    runs: &std::ops::Range<usize>,
    columns: usize,
) -> String {
    format!(
        "{JOURNAL_MAGIC} sweep={sweep_id} shard={}/{} runs={}..{} columns={columns}",
        shard.index, shard.count, runs.start, runs.end
    )
}

/// Reads the sweep id from a journal's first line, if it is a journal.
pub fn journal_sweep_id(path: &Path) -> Option<String> {
    let first = first_lines(path, 1).into_iter().next()?;
    let rest = first.strip_prefix(JOURNAL_MAGIC)?;
    rest.split_whitespace()
        .find_map(|w| w.strip_prefix("sweep="))
        .map(str::to_string)
}

fn first_lines(path: &Path, n: usize) -> Vec<String> {
    let Ok(file) = File::open(path) else {
        return Vec::new();
    };
    BufReader::new(file)
        .lines()
        .take(n)
        .map_while(Result::ok)
        .collect()
}

/// An open journal, appending records.
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Opens the journal at `path`, creating it with `header` or checking that its header is
    /// `header`. A torn last line is cut off. Returns the journal and which runs (offsets within
    /// `runs`) are recorded.
    pub fn open(
        path: &Path,
        header: &str,
        runs: &std::ops::Range<usize>,
        columns: usize,
    ) -> io::Result<(Journal, Vec<bool>)> {
        let mut done = vec![false; runs.len()];
        if !path.exists() {
            // Written under a temporary name and renamed, so a journal is never seen without its
            // header: shards of one sweep start side by side in one folder, and another shard
            // that read an empty journal there would take it for a foreign file and refuse.
            crate::output::files::write_atomic(path, format!("{header}\n").as_bytes())
                .map_err(|e| io::Error::other(e.to_string()))?;
            if let Some(dir) = path.parent() {
                sync_dir(dir);
            }
            let file = OpenOptions::new().append(true).open(path)?;
            return Ok((
                Journal {
                    file,
                    path: path.to_path_buf(),
                },
                done,
            ));
        }
        let bytes = fs::read(path)?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let text = String::from_utf8_lossy(&bytes[..complete]);
        let mut lines = text.lines();
        if lines.next() != Some(header) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("journal `{}` belongs to another sweep", path.display()),
            ));
        }
        for line in lines {
            if let Some((run, _)) = verify(line, columns)
                && runs.contains(&run)
            {
                done[run - runs.start] = true;
            }
        }
        let file = OpenOptions::new().write(true).open(path)?;
        // Drop a torn tail so that the next record starts on its own line.
        file.set_len(complete as u64)?;
        let mut file = OpenOptions::new().append(true).open(path)?;
        file.flush()?;
        Ok((
            Journal {
                file,
                path: path.to_path_buf(),
            },
            done,
        ))
    }

    /// Appends one finished run (one `write` call, so a crash tears at most this line).
    pub fn append(&mut self, run: usize, values: &[f64]) -> io::Result<()> {
        let body = record_body(run, values);
        let line = format!("{body},{}\n", checksum(&body));
        self.file.write_all(line.as_bytes())
    }

    /// Flushes to stable storage.
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Checks a journal line's checksum and parses it.
fn verify(line: &str, columns: usize) -> Option<(usize, Vec<f64>)> {
    let (body, sum) = line.rsplit_once(',')?;
    (checksum(body) == sum).then_some(())?;
    parse_record(body, columns)
}

/// Finished runs' records on disk, indexed by run: (file, byte offset of the record's line). Reads
/// one record at a time, so writing a sweep's outputs holds no more than this index in memory.
pub struct Records {
    files: Vec<File>,
    index: Vec<(u32, u64)>,
    first_run: usize,
    columns: usize,
}

impl Records {
    /// Indexes a journal's valid records for `runs` (first occurrence wins); returns the runs
    /// that are missing instead when there are any.
    pub fn from_journal(
        path: &Path,
        runs: &std::ops::Range<usize>,
        columns: usize,
    ) -> io::Result<Result<Records, Vec<usize>>> {
        const MISSING: (u32, u64) = (u32::MAX, u64::MAX);
        let mut index = vec![MISSING; runs.len()];
        let mut reader = BufReader::new(File::open(path)?);
        let mut line = String::new();
        let mut offset = reader.read_line(&mut line)? as u64;
        loop {
            line.clear();
            let read = reader.read_line(&mut line)?;
            if read == 0 {
                break;
            }
            if line.ends_with('\n')
                && let Some((run, _)) = verify(line.trim_end(), columns)
                && runs.contains(&run)
                && index[run - runs.start] == MISSING
            {
                index[run - runs.start] = (0, offset);
            }
            offset += read as u64;
        }
        let missing: Vec<usize> = (0..index.len())
            .filter(|&i| index[i] == MISSING)
            .map(|i| runs.start + i)
            .collect();
        if !missing.is_empty() {
            return Ok(Err(missing));
        }
        Ok(Ok(Records {
            files: vec![File::open(path)?],
            index,
            first_run: runs.start,
            columns,
        }))
    }

    /// Indexes verified shard files, in shard order, as the records of runs `0..`.
    pub fn from_shards(shards: Vec<(PathBuf, Vec<u64>)>, columns: usize) -> io::Result<Records> {
        let mut files = Vec::with_capacity(shards.len());
        let mut index = Vec::new();
        for (i, (path, offsets)) in shards.into_iter().enumerate() {
            files.push(File::open(&path)?);
            index.extend(offsets.into_iter().map(|o| (i as u32, o)));
        }
        Ok(Records {
            files,
            index,
            first_run: 0,
            columns,
        })
    }

    /// The record of `run`.
    pub fn get(&mut self, run: usize) -> io::Result<Vec<f64>> {
        let bad = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("record of run {run} is unreadable"),
            )
        };
        let &(file, offset) = run
            .checked_sub(self.first_run)
            .and_then(|i| self.index.get(i))
            .ok_or_else(bad)?;
        let file = self.files.get_mut(file as usize).ok_or_else(bad)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut line = String::new();
        BufReader::with_capacity(256 + 32 * self.columns, &mut *file).read_line(&mut line)?;
        let line = line.trim_end();
        // Journal lines end with a checksum field; shard lines do not.
        let body = match parse_record(line, self.columns) {
            Some((r, values)) if r == run => return Ok(values),
            _ => line.rsplit_once(',').map_or("", |(b, _)| b),
        };
        match parse_record(body, self.columns) {
            Some((r, values)) if r == run => Ok(values),
            _ => Err(bad()),
        }
    }
}

impl RunValues for Records {
    fn values(&mut self, run: usize) -> Result<Vec<f64>, OutputError> {
        self.get(run).map_err(|source| OutputError::Io {
            path: PathBuf::from(format!("<record of run {run}>")),
            source,
        })
    }
}

/// A shard file's header: everything a merge needs to rebuild the sweep and check the shard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardHeader {
    /// Sweep identity (see [`crate::sweep::plan::sweep_id`]).
    pub sweep_id: String,
    /// Sweep name.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// 0-based shard index.
    pub shard: usize,
    /// Number of shards.
    pub shards: usize,
    /// First run of the shard.
    pub first_run: usize,
    /// One past the last run.
    pub end_run: usize,
    /// Runs in the whole sweep.
    pub total_runs: usize,
    /// Outcome columns per record.
    pub columns: usize,
    /// Version of chokepoint that ran the shard.
    pub chokepoint_version: String,
    /// Git commit of that build, when known.
    pub git_commit: Option<String>,
    /// The spec file's name as given.
    pub spec_file: String,
    /// The spec file's text, verbatim.
    pub spec_text: String,
    /// Where the base scenario came from.
    pub scenario_source: String,
    /// The effective base scenario as RON.
    pub scenario_ron: String,
}

/// Writes a shard file atomically (temporary name, fsync, rename), streaming the records.
pub fn write_shard(
    path: &Path,
    header: &ShardHeader,
    records: &mut Records,
) -> Result<(), OutputError> {
    let header_json = serde_json::to_string(header).map_err(|e| OutputError::Io {
        path: path.to_path_buf(),
        source: io::Error::other(e),
    })?;
    let mut out = AtomicFile::create(path)?;
    out.line(SHARD_MAGIC)?;
    out.line(&header_json)?;
    let mut digest = Sha256::new();
    for run in header.first_run..header.end_run {
        let body = record_body(run, &records.values(run)?);
        digest.update(body.as_bytes());
        digest.update(b"\n");
        out.line(&body)?;
    }
    out.line(&format!(
        "end rows={} sha256={}",
        header.end_run - header.first_run,
        hex(&digest.finalize())
    ))?;
    out.commit(0).map(|_| ())
}

/// Reads just a shard file's header, if it is one.
pub fn read_shard_header(path: &Path) -> Option<ShardHeader> {
    let lines = first_lines(path, 2);
    if lines.first().map(String::as_str) != Some(SHARD_MAGIC) {
        return None;
    }
    serde_json::from_str(lines.get(1)?).ok()
}

/// Reads and verifies a shard file — header, every record in run order, footer row count and
/// digest — and returns its header and the byte offset of each record. The error says why the
/// shard is not usable.
pub fn scan_shard(path: &Path) -> Result<(ShardHeader, Vec<u64>), String> {
    let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    let mut offset = 0u64;
    let mut next = |line: &mut String, offset: &mut u64| -> Result<bool, String> {
        line.clear();
        let n = reader
            .read_line(line)
            .map_err(|e| format!("cannot read: {e}"))?;
        *offset += n as u64;
        Ok(n > 0)
    };
    next(&mut line, &mut offset)?;
    if line.trim_end() != SHARD_MAGIC {
        return Err("not a chokepoint shard file".into());
    }
    next(&mut line, &mut offset)?;
    let header: ShardHeader =
        serde_json::from_str(line.trim_end()).map_err(|_| "unreadable header".to_string())?;
    let expected_rows = header.end_run.saturating_sub(header.first_run);
    let mut offsets = Vec::with_capacity(expected_rows);
    let mut digest = Sha256::new();
    loop {
        let at = offset;
        if !next(&mut line, &mut offset)? || !line.ends_with('\n') {
            return Err("incomplete: no footer".into());
        }
        if line.starts_with("end rows=") {
            break;
        }
        match parse_record(line.trim_end(), header.columns) {
            Some((run, _)) if run == header.first_run + offsets.len() => offsets.push(at),
            _ => return Err(format!("corrupt record on line {}", offsets.len() + 3)),
        }
        digest.update(line.as_bytes());
    }
    let footer = format!(
        "end rows={expected_rows} sha256={}",
        hex(&digest.finalize())
    );
    if line.trim_end() != footer || offsets.len() != expected_rows {
        return Err("incomplete or corrupt: footer does not match its records".into());
    }
    if next(&mut line, &mut offset)? {
        return Err("unexpected text after the footer".into());
    }
    Ok((header, offsets))
}
