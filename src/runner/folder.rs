//! Result folders, in one place: where a command writes ([`result_dir`]: `--out`, or
//! `output/<name>`; for a run with `--seed`, `--ticks` or `--set`, [`run_folder_name`] adds a
//! suffix so that a variant never collides with the plain run), and what a sweep's folder may hold (this sweep's journals, shard files and
//! outputs; the `slurm/` folder `--emit-slurm` writes; other files) with the one decision made
//! from it — start, resume, report completion, or refuse a folder holding another sweep's files
//! unless `--force`. `sweep`, `merge` and `--emit-slurm` all decide through [`prepare_folder`];
//! runs and effect analyses stage their folders through `output::OutputDir`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::{CommandError, io_failure};
use super::journal::{Shard, journal_sweep_id, read_shard_header};
use crate::provenance::sha256_hex;
use crate::scenario::Overrides;

/// The folder inside a sweep's output folder that holds the emitted script, its README and the
/// array tasks' logs; sweeps and merges leave it alone.
pub const SLURM_DIR: &str = "slurm";
/// The emitted script's file name inside [`SLURM_DIR`].
pub const SCRIPT_NAME: &str = "sweep.sbatch";
/// The emitted README's file name inside [`SLURM_DIR`].
pub const README_NAME: &str = "README.md";

/// The folder a command writes its results to: `out` when given, else `output/<name>` (the name
/// of the scenario, sweep or effect analysis).
pub fn result_dir(out: Option<&Path>, name: &str) -> PathBuf {
    out.map_or_else(|| Path::new("output").join(name), Path::to_path_buf)
}

/// The default folder name of a run: the scenario's name, plus `-seed<N>` when `--seed` is given,
/// `-ticks<N>` when `--ticks` is given, and `-set-<8 hex>` when any `--set` is given. The hex is
/// the start of the SHA-256 of the overrides as `path=value` lines, the last value of each path,
/// sorted by path, so the order of `--set` flags does not matter. The rule reads only the command
/// line (not the file's own seed), so a user can predict the folder without opening the file.
pub fn run_folder_name(name: &str, overrides: &Overrides) -> String {
    let mut folder = name.to_string();
    if let Some(seed) = overrides.seed {
        folder.push_str(&format!("-seed{seed}"));
    }
    if let Some(ticks) = overrides.ticks {
        folder.push_str(&format!("-ticks{ticks}"));
    }
    if !overrides.parameters.is_empty() {
        let last: BTreeMap<&str, String> = overrides
            .parameters
            .iter()
            .map(|(path, value)| (path.as_str(), value.to_string()))
            .collect();
        let lines: String = last
            .iter()
            .map(|(path, value)| format!("{path}={value}\n"))
            .collect();
        let digest = sha256_hex(lines.as_bytes());
        folder.push_str(&format!("-set-{}", &digest[..8]));
    }
    folder
}

/// Refuses an output path that exists and is not a folder (bad input: choose another `--out`).
pub fn refuse_non_folder(dir: &Path) -> Result<(), CommandError> {
    if dir.exists() && !dir.is_dir() {
        return Err(CommandError::BadInput(format!(
            "--out `{}` exists and is not a folder",
            dir.display()
        )));
    }
    Ok(())
}

/// What the output folder holds, relative to this sweep and shard.
pub(crate) enum FolderState {
    /// Nothing of this sweep: start.
    Fresh,
    /// This shard's journal: resume it.
    Resume,
    /// This sweep's finished outputs or shard file: nothing to do.
    Complete,
}

/// Looks at the output folder and decides to start, resume or report completion; refuses a
/// folder holding anything else unless `force`, which removes everything but other shards of
/// the same sweep.
pub(crate) fn prepare_folder(
    dir: &Path,
    plan_id: &str,
    shard: Shard,
    unsharded: bool,
    force: bool,
) -> Result<FolderState, CommandError> {
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
        // Another shard checking that it may write here (it removes the probe at once).
        if name.starts_with(crate::output::files::PROBE_PREFIX) {
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
        // Gone since the listing (another shard of the sweep finished and removed its journal
        // while this one looked): nothing there to refuse.
        if fs::symlink_metadata(&path).is_err() {
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
        return Err(CommandError::BadInput(format!(
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
pub(crate) fn check_folder(dir: &Path, plan_id: &str, shard: Shard) -> Result<(), CommandError> {
    prepare_folder(dir, plan_id, shard, false, false).map(|_| ())
}

/// Files a finished unsharded sweep writes.
const OUTPUT_FILES: &[&str] = &[
    "runs.csv",
    "summary.csv",
    "columns.csv",
    "sensitivity.csv",
    "metrics_catalogue.csv",
    "scenario.ron",
    "sweep.ron",
    "manifest.json",
];

fn remove_path(path: &Path) -> Result<(), CommandError> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    result.map_err(io_failure("cannot remove", path))
}
