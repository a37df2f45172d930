//! `chokepoint sweep`: runs a validated [`Plan`] in parallel on a rayon pool (one World per run),
//! appending each finished run to a journal as it finishes; when every run of the shard is in the
//! journal, writes the outputs (unsharded) or the shard file (`--shard I/N`). Re-running the same
//! command resumes an interrupted sweep. `chokepoint merge` ([`merge`]) joins shard files into
//! the outputs an unsharded sweep would have written, byte for byte.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::journal::{
    self, Journal, Records, Shard, ShardHeader, journal_header, journal_sweep_id,
    read_shard_header, scan_shard, write_shard,
};
use super::progress::Progress;
use super::slurm::SLURM_DIR;
use super::{EXIT_BAD_INPUT, EXIT_FAILURE};
use crate::output::OutputError;
use crate::output::files::{FolderLock, check_usable, remove_stale};
use crate::output::manifest::build_info;
use crate::output::sweep::write_outputs;
use crate::scenario::{Overrides, ScenarioError, load_str, to_ron};
use crate::sweep::plan::{Plan, load_plan};
use crate::sweep::spec;

/// Exit code of a sweep stopped by Ctrl-C or SIGTERM (128 + SIGINT): re-run to resume.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Set by SIGINT/SIGTERM: stop starting runs, keep what finished.
static STOP: AtomicBool = AtomicBool::new(false);

/// Why a sweep or merge did not finish.
#[derive(Debug)]
pub enum SweepError {
    /// Bad spec, arguments or folder: fix the input, do not retry (exit 2).
    BadInput(String),
    /// A failure while running or writing (exit 1).
    Failure(String),
    /// Stopped on request; the journal holds every finished run (exit 130).
    Interrupted(String),
}

impl SweepError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            SweepError::BadInput(_) => EXIT_BAD_INPUT,
            SweepError::Failure(_) => EXIT_FAILURE,
            SweepError::Interrupted(_) => EXIT_INTERRUPTED,
        }
    }
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SweepError::BadInput(m) | SweepError::Failure(m) | SweepError::Interrupted(m) => {
                f.write_str(m)
            }
        }
    }
}

impl From<ScenarioError> for SweepError {
    fn from(e: ScenarioError) -> Self {
        SweepError::BadInput(e.to_string())
    }
}

fn failure(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> SweepError {
    let context = format!("{what} `{}`", path.display());
    move |e| SweepError::Failure(format!("{context}: {e}"))
}

/// What `chokepoint sweep` was asked to do.
#[derive(Clone, Debug)]
pub struct SweepRequest {
    /// The spec file.
    pub spec: PathBuf,
    /// Output folder; `None` means `output/<sweep name>`.
    pub out: Option<PathBuf>,
    /// Discard what the output folder holds (other shards of the same sweep are kept).
    pub force: bool,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Which shard to run; `None` runs the whole sweep.
    pub shard: Option<Shard>,
    /// Stop as if interrupted once this many runs have finished (tests of resuming).
    pub stop_after: Option<usize>,
}

/// What a finished sweep did.
#[derive(Clone, Debug)]
pub struct SweepSummary {
    /// The output folder.
    pub dir: PathBuf,
    /// Runs in this shard (the whole sweep when unsharded).
    pub runs: usize,
    /// Runs executed by this invocation (the rest were resumed from the journal).
    pub ran_now: usize,
    /// Whether the outputs were already complete, so nothing ran.
    pub already_complete: bool,
    /// The shard file written, when sharded.
    pub shard_file: Option<PathBuf>,
    /// Seconds spent.
    pub seconds: f64,
}

/// Parses `--shard I/N`; `I` may be `env`, taking the index from `SLURM_ARRAY_TASK_ID`,
/// `JOB_COMPLETION_INDEX` or `AWS_BATCH_JOB_ARRAY_INDEX` (first one set).
pub fn parse_shard(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
    let usage = "--shard expects I/N, e.g. --shard 3/10 (or env/10 to read the index from \
                 SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX)";
    let (i, n) = text.split_once('/').ok_or(usage)?;
    let count: usize = n.trim().parse().map_err(|_| usage.to_string())?;
    if count == 0 {
        return Err("--shard I/N: N must be at least 1".into());
    }
    let (index_text, from) = if i.trim() == "env" {
        let vars = [
            "SLURM_ARRAY_TASK_ID",
            "JOB_COMPLETION_INDEX",
            "AWS_BATCH_JOB_ARRAY_INDEX",
        ];
        vars.iter()
            .find_map(|v| env(v).map(|value| (value, format!(" (from {v})"))))
            .ok_or_else(|| format!("--shard env/{count}: none of {} is set", vars.join(", ")))?
    } else {
        (i.trim().to_string(), String::new())
    };
    let index: usize = index_text
        .trim()
        .parse()
        .map_err(|_| format!("--shard: index `{index_text}`{from} is not a whole number"))?;
    if index >= count {
        return Err(format!(
            "--shard {index}/{count}{from}: the index must be below N = {count} (shards are numbered 0 to {}); with Slurm submit --array=0-{}",
            count - 1,
            count - 1
        ));
    }
    Ok(Shard { index, count })
}

/// Installs the SIGINT/SIGTERM handler: the first signal asks the sweep to stop cleanly, a
/// second one ends the process at once.
fn install_stop_handler() {
    extern "C" fn on_signal(signal: libc::c_int) {
        STOP.store(true, Ordering::SeqCst);
        // SAFETY: `signal` is async-signal-safe; restoring the default lets a second Ctrl-C kill.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
        }
    }
    // SAFETY: installs a handler that only touches an atomic and calls `signal`.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
}

/// What the output folder holds, relative to this sweep and shard.
enum FolderState {
    Fresh,
    Resume,
    Complete,
}

/// Looks at the output folder and decides to start, resume or report completion; refuses a
/// folder holding anything else unless `force`, which removes everything but other shards of
/// the same sweep.
fn prepare_folder(
    dir: &Path,
    plan_id: &str,
    shard: Shard,
    unsharded: bool,
    force: bool,
) -> Result<FolderState, SweepError> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(FolderState::Fresh);
    };
    let mut foreign = Vec::new();
    let mut ours_resumable = false;
    let mut ours_complete = false;
    let mut removable = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".tmp-") {
            removable.push(path);
            continue;
        }
        if name == SLURM_DIR && path.is_dir() {
            // The script `--emit-slurm` wrote, its README and the array tasks' logs: kept.
            continue;
        }
        let same_sweep_other_shard =
            |id: Option<String>, own: bool| -> Option<bool> { Some(id? == plan_id && !own) };
        if name.starts_with("journal") && name.ends_with(".txt") {
            let id = journal_sweep_id(&path);
            if name == shard.journal_name() && id.as_deref() == Some(plan_id) {
                ours_resumable = true;
                continue;
            }
            if same_sweep_other_shard(id, name == shard.journal_name()) == Some(true) {
                continue;
            }
        } else if name.starts_with("shard-") && name.ends_with(".txt") {
            let id = read_shard_header(&path).map(|h| h.sweep_id);
            if name == shard.file_name() && id.as_deref() == Some(plan_id) && !unsharded {
                ours_complete = true;
                continue;
            }
            if same_sweep_other_shard(id, name == shard.file_name() && !unsharded) == Some(true) {
                continue;
            }
        } else if name == "manifest.json" && unsharded {
            let id = fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["sweep_id"].as_str().map(str::to_string));
            if id.as_deref() == Some(plan_id) {
                ours_complete = true;
                removable.push(path);
                continue;
            }
        } else if unsharded && OUTPUT_FILES.contains(&name.as_str()) {
            // Outputs of this sweep (checked through the manifest) or of an unfinished write.
            removable.push(path);
            continue;
        }
        foreign.push((name, path));
    }
    if force {
        for (_, path) in &foreign {
            remove_path(path)?;
        }
        for path in &removable {
            remove_path(path)?;
        }
        let own = [dir.join(shard.journal_name()), dir.join(shard.file_name())];
        for path in own.iter().filter(|p| p.exists()) {
            remove_path(path)?;
        }
        return Ok(FolderState::Fresh);
    }
    if ours_resumable {
        return Ok(FolderState::Resume);
    }
    // A finished sweep's folder may have gained charts or repeated runs: it is still finished.
    if ours_complete {
        return Ok(FolderState::Complete);
    }
    if !foreign.is_empty() {
        let names: Vec<&str> = foreign.iter().map(|(n, _)| n.as_str()).take(5).collect();
        return Err(SweepError::BadInput(format!(
            "output folder `{}` holds files that are not this sweep's ({}{}): a different sweep, \
             or this spec changed since it ran (sweep id now {plan_id}); choose another --out, \
             or pass --force to discard them",
            dir.display(),
            names.join(", "),
            if foreign.len() > 5 { ", …" } else { "" }
        )));
    }
    Ok(FolderState::Fresh)
}

/// Checks, without changing anything, that a sharded run of this sweep could use `dir`: refuses
/// a folder holding another sweep's files (what `--emit-slurm` checks on the login node).
pub(crate) fn check_folder(dir: &Path, plan_id: &str, shard: Shard) -> Result<(), SweepError> {
    prepare_folder(dir, plan_id, shard, false, false).map(|_| ())
}

/// Files a finished unsharded sweep writes.
const OUTPUT_FILES: &[&str] = &[
    "runs.csv",
    "summary.csv",
    "columns.csv",
    "sensitivity.csv",
    "scenario.ron",
    "sweep.ron",
    "manifest.json",
];

fn remove_path(path: &Path) -> Result<(), SweepError> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    result.map_err(failure("cannot remove", path))
}

/// Runs (or resumes) a sweep.
pub fn execute(request: &SweepRequest) -> Result<SweepSummary, SweepError> {
    let started = Instant::now();
    // From the start, so that a SIGTERM while the plan loads stops as cleanly as one mid-run.
    STOP.store(false, Ordering::SeqCst);
    install_stop_handler();
    let plan = load_plan(&request.spec)?;
    let shard = request.shard.unwrap_or(Shard::WHOLE);
    let unsharded = request.shard.is_none();
    let range = shard.runs(plan.runs());
    let threads = worker_threads(request.threads, range.len())?;
    let dir = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&plan.spec.name));
    // Unusable folders are refused (exit 2) before anything runs, a resume included.
    check_usable(&dir).map_err(output_error)?;
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        fs::create_dir_all(parent).map_err(failure("cannot create", parent))?;
    }
    let lock_name = format!(
        ".{}.{}.lock",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("sweep"),
        shard.journal_name().trim_end_matches(".txt")
    );
    let _lock = FolderLock::acquire_file(&dir, parent.unwrap_or(Path::new(".")).join(lock_name))
        .map_err(output_error)?;
    remove_stale(&dir);
    remove_stale(&dir.join("charts"));
    let state = prepare_folder(&dir, &plan.id, shard, unsharded, request.force)?;
    let summary = |ran_now: usize, already_complete: bool| SweepSummary {
        dir: dir.clone(),
        runs: range.len(),
        ran_now,
        already_complete,
        shard_file: (!unsharded).then(|| dir.join(shard.file_name())),
        seconds: started.elapsed().as_secs_f64(),
    };
    if let FolderState::Complete = state {
        return Ok(summary(0, true));
    }
    fs::create_dir_all(&dir).map_err(failure("cannot create", &dir))?;
    let columns = plan.columns.len();
    let journal_path = dir.join(shard.journal_name());
    let header = journal_header(&plan.id, shard, &range, columns);
    let (mut journal, done) = Journal::open(&journal_path, &header, &range, columns)
        .map_err(failure("cannot open the journal", &journal_path))?;
    let todo: Vec<usize> = range
        .clone()
        .filter(|&run| !done[run - range.start])
        .collect();
    if matches!(state, FolderState::Resume) {
        eprintln!(
            "resuming sweep `{}` in {}: {} of {} runs already done",
            plan.spec.name,
            dir.display(),
            range.len() - todo.len(),
            range.len()
        );
    }

    let ran_now = run_all(
        &plan,
        &todo,
        threads,
        request.stop_after,
        &mut journal,
        range.len(),
    )?;
    journal
        .sync()
        .map_err(failure("cannot sync the journal", &journal_path))?;
    if ran_now < todo.len() {
        return Err(SweepError::Interrupted(format!(
            "sweep stopped after {} of {} runs; every finished run is saved in `{}`: re-run the same command to resume",
            range.len() - todo.len() + ran_now,
            range.len(),
            journal_path.display()
        )));
    }

    let mut records = match Records::from_journal(&journal_path, &range, columns)
        .map_err(failure("cannot read the journal", &journal_path))?
    {
        Ok(records) => records,
        Err(missing) => {
            return Err(SweepError::Failure(format!(
                "runs {} are missing from the journal after running; re-run to complete them",
                array_syntax(&missing)
            )));
        }
    };
    if unsharded {
        write_outputs(&dir, &plan, &mut records).map_err(|e| SweepError::Failure(e.to_string()))?;
    } else {
        let path = dir.join(shard.file_name());
        write_shard(
            &path,
            &shard_header(&plan, &request.spec, shard, &range),
            &mut records,
        )
        .map_err(|e| SweepError::Failure(e.to_string()))?;
    }
    journal::sync_dir(&dir);
    // Another process finishing the same shard at the same time may have removed it already.
    match fs::remove_file(&journal_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(failure("cannot remove", &journal_path)(e));
        }
        _ => {}
    }
    Ok(summary(ran_now, false))
}

fn shard_header(
    plan: &Plan,
    spec_path: &Path,
    shard: Shard,
    range: &std::ops::Range<usize>,
) -> ShardHeader {
    let (version, commit) = build_info();
    ShardHeader {
        sweep_id: plan.id.clone(),
        name: plan.spec.name.clone(),
        seed: plan.spec.seed,
        shard: shard.index,
        shards: shard.count,
        first_run: range.start,
        end_run: range.end,
        total_runs: plan.runs(),
        columns: plan.columns.len(),
        chokepoint_version: version,
        git_commit: commit,
        spec_file: spec_path.display().to_string(),
        spec_text: plan.spec_text.clone(),
        scenario_source: plan.source.clone(),
        scenario_ron: to_ron(&plan.base),
    }
}

/// The number of worker threads: what was asked (every core by default), but never more than
/// the runs to do or the machine's cores, since each thread builds its own World; says so on
/// stderr when it lowers an explicit request.
pub fn worker_threads(requested: Option<usize>, runs: usize) -> Result<usize, SweepError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let limit = cores.min(runs).max(1);
    match requested {
        Some(0) => Err(SweepError::BadInput("--threads must be at least 1".into())),
        Some(n) if n > limit => {
            eprintln!(
                "note: --threads {n} lowered to {limit} ({cores} cores, {runs} runs to do): more \
                 threads than cores or runs only add overhead"
            );
            Ok(limit)
        }
        Some(n) => Ok(n),
        None => Ok(limit),
    }
}

/// An output-folder error as a sweep error: the user's to fix (exit 2) or a failure (exit 1).
fn output_error(e: OutputError) -> SweepError {
    if e.is_bad_input() {
        SweepError::BadInput(e.to_string())
    } else {
        SweepError::Failure(e.to_string())
    }
}

/// Runs `todo` on a pool of `threads`, appending each result to the journal from this thread
/// as it arrives. Returns how many runs finished; fewer than `todo.len()` means stopped.
fn run_all(
    plan: &Plan,
    todo: &[usize],
    threads: usize,
    stop_after: Option<usize>,
    journal: &mut Journal,
    total: usize,
) -> Result<usize, SweepError> {
    if todo.is_empty() {
        return Ok(0);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SweepError::Failure(format!("cannot start {threads} threads: {e}")))?;
    let mut progress = Progress::new(
        &format!("sweep {}", plan.spec.name),
        total,
        total - todo.len(),
    );
    let (tx, rx) = mpsc::sync_channel::<(usize, Result<Vec<f64>, String>)>(4 * threads + 16);
    let mut finished = 0;
    let mut error: Option<SweepError> = None;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            pool.install(|| {
                todo.par_iter().for_each_with(tx, |tx, &run| {
                    if STOP.load(Ordering::Relaxed) {
                        return;
                    }
                    let _ = tx.send((run, plan.run(run)));
                });
            });
        });
        let mut last_sync = Instant::now();
        for (run, result) in rx {
            // `--stop-after k` simulates an interruption after exactly k runs: results of runs
            // still in flight are dropped (a real interruption keeps them, as nothing is lost).
            if error.is_some() || stop_after.is_some_and(|k| finished >= k) {
                continue;
            }
            let values = match result {
                Ok(v) => v,
                Err(e) => {
                    STOP.store(true, Ordering::SeqCst);
                    // The run's own inputs (its design point) made it fail: fix them (exit 2).
                    error = Some(SweepError::BadInput(format!("run {run} failed: {e}")));
                    continue;
                }
            };
            if let Err(e) = journal.append(run, &values) {
                STOP.store(true, Ordering::SeqCst);
                error = Some(SweepError::Failure(format!(
                    "cannot append to the journal `{}`: {e}",
                    journal.path().display()
                )));
                continue;
            }
            finished += 1;
            progress.advance();
            if last_sync.elapsed() >= Duration::from_secs(1) {
                let _ = journal.sync();
                last_sync = Instant::now();
            }
            if stop_after.is_some_and(|k| finished >= k) {
                STOP.store(true, Ordering::SeqCst);
            }
        }
    });
    progress.finish();
    match error {
        Some(e) => Err(e),
        None => Ok(finished),
    }
}

/// What `chokepoint merge` was asked to do.
#[derive(Clone, Debug)]
pub struct MergeRequest {
    /// Folders holding shard files, or shard files themselves.
    pub inputs: Vec<PathBuf>,
    /// Output folder; `None` means `output/<sweep name>`.
    pub out: Option<PathBuf>,
    /// Replace what the output folder holds.
    pub force: bool,
}

/// What a merge produced.
#[derive(Clone, Debug)]
pub struct MergeSummary {
    /// The output folder.
    pub dir: PathBuf,
    /// Shards merged.
    pub shards: usize,
    /// Runs in the sweep.
    pub runs: usize,
}

/// Whether two files hold the same bytes (the same shard given twice, e.g. as a folder and a file).
fn same_bytes(a: &Path, b: &Path) -> bool {
    // Rare (a shard named twice), so reading both whole is fine.
    matches!((fs::read(a), fs::read(b)), (Ok(x), Ok(y)) if x == y)
}

/// Formats shard indices the way `sbatch --array=` takes them: `1,3-5,9`.
pub fn array_syntax(indices: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let start = indices[i];
        let mut end = start;
        while i + 1 < indices.len() && indices[i + 1] == end + 1 {
            i += 1;
            end = indices[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

/// Checks that the shard files are every shard of one sweep, each complete, and writes the
/// sweep's outputs — the same bytes as an unsharded run of the spec.
pub fn merge(request: &MergeRequest) -> Result<MergeSummary, SweepError> {
    let mut files = Vec::new();
    for input in &request.inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = fs::read_dir(input)
                .map_err(failure("cannot read", input))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".txt"))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else if input.is_file() {
            files.push(input.clone());
        } else {
            return Err(SweepError::BadInput(format!(
                "`{}` is neither a folder nor a shard file",
                input.display()
            )));
        }
    }
    // Headers first: a shard file without a readable header is not a shard at all.
    let mut headers = Vec::new();
    for path in &files {
        match read_shard_header(path) {
            Some(h) => headers.push((path.clone(), h)),
            None => {
                return Err(SweepError::BadInput(format!(
                    "`{}` is not a chokepoint shard file (or its header is damaged)",
                    path.display()
                )));
            }
        }
    }
    let Some((first_path, first)) = headers.first().cloned() else {
        return Err(SweepError::BadInput(format!(
            "no shard files (shard-I-of-N.txt) in {}",
            request
                .inputs
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    for (path, h) in &headers {
        if h.sweep_id == first.sweep_id && h.shards != first.shards {
            return Err(SweepError::BadInput(format!(
                "shards of sweep `{}` (id {}) cut into different numbers of shards: `{}` is shard {} of {} but `{}` is shard {} of {}; merge the shards of one cutting",
                first.name,
                first.sweep_id,
                first_path.display(),
                first.shard,
                first.shards,
                path.display(),
                h.shard,
                h.shards
            )));
        }
        if h.sweep_id != first.sweep_id || h.shards != first.shards {
            return Err(SweepError::BadInput(format!(
                "shards come from different sweeps: `{}` is sweep `{}` (id {}, seed {}, {} shards) but `{}` is sweep `{}` (id {}, seed {}, {} shards); merge only the shards of one sweep",
                first_path.display(),
                first.name,
                first.sweep_id,
                first.seed,
                first.shards,
                path.display(),
                h.name,
                h.sweep_id,
                h.seed,
                h.shards
            )));
        }
    }
    let n = first.shards;
    let mut shards: Vec<Option<(PathBuf, ShardHeader, Vec<u64>)>> = vec![None; n];
    let mut problems = Vec::new();
    for (path, h) in &headers {
        if h.shard >= n {
            continue;
        }
        if let Some((seen, _, _)) = &shards[h.shard] {
            if !same_bytes(seen, path) {
                return Err(SweepError::BadInput(format!(
                    "two different files claim shard {} of {n}: `{}` and `{}`; keep one (re-run that shard if unsure which is right)",
                    h.shard,
                    seen.display(),
                    path.display()
                )));
            }
            continue;
        }
        match scan_shard(path) {
            Ok((header, offsets)) => shards[h.shard] = Some((path.clone(), header, offsets)),
            Err(why) => problems.push(format!("  {}: {why}", path.display())),
        }
    }
    let missing: Vec<usize> = (0..n).filter(|&i| shards[i].is_none()).collect();
    if !missing.is_empty() {
        let present: Vec<usize> = (0..n).filter(|&i| shards[i].is_some()).collect();
        // The script `--emit-slurm` wrote for this shard count, if an input folder holds one.
        let script = request
            .inputs
            .iter()
            .map(|dir| {
                dir.join(super::slurm::SLURM_DIR)
                    .join(super::slurm::SCRIPT_NAME)
            })
            .find(|p| fs::read_to_string(p).is_ok_and(|t| t.contains(&format!("\nSHARDS={n}\n"))))
            .map(|p| {
                format!(
                    "\n  with the script --emit-slurm wrote: sbatch --array={} {}",
                    array_syntax(&missing),
                    p.display()
                )
            })
            .unwrap_or_default();
        return Err(SweepError::BadInput(format!(
            "cannot merge sweep `{}`: {} of {n} shards missing or incomplete: {}\n{}  found complete: {}\n  rerun them, e.g. sbatch --array={} … chokepoint sweep {} --shard env/{n}{script}",
            first.name,
            missing.len(),
            array_syntax(&missing),
            if problems.is_empty() {
                String::new()
            } else {
                format!("{}\n", problems.join("\n"))
            },
            if present.is_empty() {
                "none".to_string()
            } else {
                array_syntax(&present)
            },
            array_syntax(&missing),
            first.spec_file
        )));
    }
    let plan = plan_from_header(&first)?;
    let mut parts = Vec::with_capacity(n);
    for (i, (path, header, offsets)) in shards.into_iter().flatten().enumerate() {
        let expected = Shard { index: i, count: n }.runs(plan.runs());
        if header.first_run != expected.start
            || header.end_run != expected.end
            || header.columns != plan.columns.len()
        {
            return Err(SweepError::BadInput(format!(
                "shard {i} of {n} covers runs {}..{}, but the sweep puts runs {}..{} in it",
                header.first_run, header.end_run, expected.start, expected.end
            )));
        }
        parts.push((path, offsets));
    }
    let mut records = Records::from_shards(parts, plan.columns.len())
        .map_err(|e| SweepError::Failure(format!("cannot reopen the shard files: {e}")))?;
    let dir = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&plan.spec.name));
    prepare_folder(&dir, &plan.id, Shard::WHOLE, true, request.force)?;
    write_outputs(&dir, &plan, &mut records).map_err(|e| SweepError::Failure(e.to_string()))?;
    Ok(MergeSummary {
        dir,
        shards: n,
        runs: plan.runs(),
    })
}

/// Rebuilds the plan a shard ran from the spec and scenario embedded in its header, and checks
/// that it is the same sweep (same model version).
fn plan_from_header(h: &ShardHeader) -> Result<Plan, SweepError> {
    let spec = spec::parse(&h.spec_file, &h.spec_text)?;
    let base = load_str("scenario.ron", &h.scenario_ron, &Overrides::default())?;
    let plan = Plan::new(
        spec,
        h.spec_text.clone(),
        &h.spec_file,
        base,
        h.scenario_source.clone(),
    )?;
    if plan.id != h.sweep_id {
        return Err(SweepError::BadInput(format!(
            "the shards were run by chokepoint {} (commit {}, sweep id {}), but this build has sweep id {} for the same spec: merge with the build that ran the shards",
            h.chokepoint_version,
            h.git_commit.as_deref().unwrap_or("unknown"),
            h.sweep_id,
            plan.id
        )));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_shards_print_in_array_syntax() {
        assert_eq!(array_syntax(&[1]), "1");
        assert_eq!(array_syntax(&[0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
        assert_eq!(array_syntax(&[]), "");
    }

    #[test]
    fn shard_index_comes_from_the_argument_or_the_scheduler() {
        let none = |_: &str| None;
        assert_eq!(parse_shard("2/5", none), Ok(Shard { index: 2, count: 5 }));
        assert!(
            parse_shard("5/5", none)
                .unwrap_err()
                .contains("below N = 5")
        );
        assert!(parse_shard("1/0", none).is_err());
        assert!(parse_shard("x", none).is_err());
        assert!(parse_shard("env/4", none).is_err());
        let slurm = |v: &str| (v == "SLURM_ARRAY_TASK_ID").then(|| "3".to_string());
        assert_eq!(
            parse_shard("env/4", slurm),
            Ok(Shard { index: 3, count: 4 })
        );
        let aws = |v: &str| (v == "AWS_BATCH_JOB_ARRAY_INDEX").then(|| "7".to_string());
        let err = parse_shard("env/4", aws).unwrap_err();
        assert!(
            err.contains("AWS_BATCH_JOB_ARRAY_INDEX") && err.contains("below N"),
            "{err}"
        );
    }
}
