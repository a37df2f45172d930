//! `chokepoint sweep`: runs a validated [`Plan`] in parallel on a rayon pool (one World per run),
//! appending each finished run to a journal as it finishes; when every run of the shard is in the
//! journal, writes the outputs (unsharded) or the shard file (`--shard I/N`). Re-running the same
//! command resumes an interrupted sweep. `chokepoint merge` ([`merge`]) joins shard files into
//! the outputs an unsharded sweep would have written, byte for byte.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::error::{CommandError, Exit, io_failure};
use super::folder::{
    FolderState, SCRIPT_NAME, SLURM_DIR, prepare_folder, refuse_non_folder, result_dir,
};
use super::journal::{
    Journal, Records, Shard, ShardHeader, journal_header, read_shard_header, scan_shard,
    write_shard,
};
use super::progress::Progress;
use crate::output::files::{FolderLock, check_usable, remove_stale};
use crate::output::sweep::write_outputs;
use crate::provenance::build_info;
use crate::scenario::{Overrides, load_str, to_ron};
use crate::sweep::plan::{Plan, load_plan};
use crate::sweep::spec;

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
    /// Report progress and resumption on stderr (`false` for `-q`).
    pub progress: bool,
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

/// Installs the SIGINT/SIGTERM handlers once per process: the first signal asks the sweep to stop
/// cleanly (it sets [`stop_flag`]); a second one, arriving while the flag is set, ends the
/// process at once with the interrupted exit code.
fn install_stop_handler() -> Result<(), CommandError> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            use signal_hook::consts::{SIGINT, SIGTERM};
            use signal_hook::flag;
            for signal in [SIGINT, SIGTERM] {
                // Registered first, so it sees the flag as the earlier signal left it.
                flag::register_conditional_shutdown(
                    signal,
                    i32::from(Exit::Interrupted.code()),
                    Arc::clone(stop_flag()),
                )
                .map_err(|e| e.to_string())?;
                flag::register(signal, Arc::clone(stop_flag())).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .clone()
        .map_err(|e| CommandError::failure(format!("cannot install the Ctrl-C handler: {e}")))
}

/// Set by SIGINT/SIGTERM (or `--stop-after`): stop starting runs, keep what finished.
fn stop_flag() -> &'static Arc<AtomicBool> {
    static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    STOP.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Runs (or resumes) a sweep.
pub fn execute(request: &SweepRequest) -> Result<SweepSummary, CommandError> {
    let started = Instant::now();
    // From the start, so that a SIGTERM while the plan loads stops as cleanly as one mid-run.
    stop_flag().store(false, Ordering::SeqCst);
    install_stop_handler()?;
    let plan = load_plan(&request.spec)?;
    let shard = request.shard.unwrap_or(Shard::WHOLE);
    let unsharded = request.shard.is_none();
    let range = shard.runs(plan.runs());
    let threads = worker_threads(request.threads, range.len())?;
    let dir = result_dir(request.out.as_deref(), &plan.spec.name);
    refuse_non_folder(&dir)?;
    // Unusable folders are refused (exit 2) before anything runs, a resume included.
    check_usable(&dir)?;
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        fs::create_dir_all(parent).map_err(io_failure("cannot create", parent))?;
    }
    let lock_name = format!(
        ".{}.{}.lock",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("sweep"),
        shard.journal_name().trim_end_matches(".txt")
    );
    let _lock = FolderLock::acquire_file(&dir, parent.unwrap_or(Path::new(".")).join(lock_name))?;
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
    fs::create_dir_all(&dir).map_err(io_failure("cannot create", &dir))?;
    let columns = plan.columns.len();
    let journal_path = dir.join(shard.journal_name());
    let header = journal_header(&plan.id, shard, &range, columns);
    let (mut journal, done) = Journal::open(&journal_path, &header, &range, columns)
        .map_err(io_failure("cannot open the journal", &journal_path))?;
    let todo: Vec<usize> = range
        .clone()
        .filter(|&run| !done[run - range.start])
        .collect();
    if matches!(state, FolderState::Resume) && request.progress {
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
        request.progress,
    )?;
    journal
        .sync()
        .map_err(io_failure("cannot sync the journal", &journal_path))?;
    if ran_now < todo.len() {
        return Err(CommandError::Interrupted(format!(
            "sweep stopped after {} of {} runs; every finished run is saved in `{}`: re-run the same command to resume",
            range.len() - todo.len() + ran_now,
            range.len(),
            journal_path.display()
        )));
    }

    let mut records = match Records::from_journal(&journal_path, &range, columns)
        .map_err(io_failure("cannot read the journal", &journal_path))?
    {
        Ok(records) => records,
        Err(missing) => {
            return Err(CommandError::Failure(format!(
                "runs {} are missing from the journal after running; re-run to complete them",
                array_syntax(&missing)
            )));
        }
    };
    if unsharded {
        write_outputs(&dir, &plan, &mut records)
            .map_err(|e| CommandError::Failure(e.to_string()))?;
    } else {
        let path = dir.join(shard.file_name());
        write_shard(
            &path,
            &shard_header(&plan, &request.spec, shard, &range),
            &mut records,
        )
        .map_err(|e| CommandError::Failure(e.to_string()))?;
    }
    crate::output::files::sync_dir(&dir);
    // Another process finishing the same shard at the same time may have removed it already.
    match fs::remove_file(&journal_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(io_failure("cannot remove", &journal_path)(e));
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
pub fn worker_threads(requested: Option<usize>, runs: usize) -> Result<usize, CommandError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let limit = cores.min(runs).max(1);
    match requested {
        Some(0) => Err(CommandError::BadInput(
            "--threads must be at least 1".into(),
        )),
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

/// Runs `todo` on a pool of `threads`, appending each result to the journal from this thread
/// as it arrives. Returns how many runs finished; fewer than `todo.len()` means stopped.
fn run_all(
    plan: &Plan,
    todo: &[usize],
    threads: usize,
    stop_after: Option<usize>,
    journal: &mut Journal,
    total: usize,
    report_progress: bool,
) -> Result<usize, CommandError> {
    if todo.is_empty() {
        return Ok(0);
    }
    let stop = stop_flag();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| CommandError::Failure(format!("cannot start {threads} threads: {e}")))?;
    let mut progress = report_progress.then(|| {
        Progress::new(
            &format!("sweep {}", plan.spec.name),
            total,
            total - todo.len(),
        )
    });
    let (tx, rx) = mpsc::sync_channel::<(usize, Result<Vec<f64>, String>)>(4 * threads + 16);
    let mut finished = 0;
    let mut error: Option<CommandError> = None;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            pool.install(|| {
                todo.par_iter().for_each_with(tx, |tx, &run| {
                    if stop.load(Ordering::Relaxed) {
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
                    stop.store(true, Ordering::SeqCst);
                    // The run's own inputs (its design point) made it fail: fix them (exit 2).
                    error = Some(CommandError::BadInput(format!("run {run} failed: {e}")));
                    continue;
                }
            };
            if let Err(e) = journal.append(run, &values) {
                stop.store(true, Ordering::SeqCst);
                error = Some(CommandError::Failure(format!(
                    "cannot append to the journal `{}`: {e}",
                    journal.path().display()
                )));
                continue;
            }
            finished += 1;
            if let Some(p) = &mut progress {
                p.advance();
            }
            if last_sync.elapsed() >= Duration::from_secs(1) {
                let _ = journal.sync();
                last_sync = Instant::now();
            }
            if stop_after.is_some_and(|k| finished >= k) {
                stop.store(true, Ordering::SeqCst);
            }
        }
    });
    if let Some(p) = &mut progress {
        p.finish();
    }
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
pub fn merge(request: &MergeRequest) -> Result<MergeSummary, CommandError> {
    let mut files = Vec::new();
    for input in &request.inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = fs::read_dir(input)
                .map_err(io_failure("cannot read", input))?
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
            return Err(CommandError::BadInput(format!(
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
                return Err(CommandError::BadInput(format!(
                    "`{}` is not a chokepoint shard file (or its header is damaged)",
                    path.display()
                )));
            }
        }
    }
    let Some((first_path, first)) = headers.first().cloned() else {
        return Err(CommandError::BadInput(format!(
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
            return Err(CommandError::BadInput(format!(
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
            return Err(CommandError::BadInput(format!(
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
                return Err(CommandError::BadInput(format!(
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
            .map(|dir| dir.join(SLURM_DIR).join(SCRIPT_NAME))
            .find(|p| fs::read_to_string(p).is_ok_and(|t| t.contains(&format!("\nSHARDS={n}\n"))))
            .map(|p| {
                format!(
                    "\n  with the script --emit-slurm wrote: sbatch --array={} {}",
                    array_syntax(&missing),
                    p.display()
                )
            })
            .unwrap_or_default();
        return Err(CommandError::BadInput(format!(
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
            return Err(CommandError::BadInput(format!(
                "shard {i} of {n} covers runs {}..{}, but the sweep puts runs {}..{} in it",
                header.first_run, header.end_run, expected.start, expected.end
            )));
        }
        parts.push((path, offsets));
    }
    let mut records = Records::from_shards(parts, plan.columns.len())
        .map_err(|e| CommandError::Failure(format!("cannot reopen the shard files: {e}")))?;
    let dir = result_dir(request.out.as_deref(), &plan.spec.name);
    prepare_folder(&dir, &plan.id, Shard::WHOLE, true, request.force)?;
    write_outputs(&dir, &plan, &mut records).map_err(|e| CommandError::Failure(e.to_string()))?;
    Ok(MergeSummary {
        dir,
        shards: n,
        runs: plan.runs(),
    })
}

/// Rebuilds the plan a shard ran from the spec and scenario embedded in its header, and checks
/// that it is the same sweep (same model version).
fn plan_from_header(h: &ShardHeader) -> Result<Plan, CommandError> {
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
        return Err(CommandError::BadInput(format!(
            "the shards were run by chokepoint {} (commit {}, sweep id {}), but this build has sweep id {} for the same spec: merge with the build that ran the shards",
            h.chokepoint_version,
            h.git_commit.as_deref().unwrap_or("unknown"),
            h.sweep_id,
            plan.id
        )));
    }
    Ok(plan)
}
