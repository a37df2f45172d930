//! `chokepoint sweep SPEC --emit-slurm N`: checks everything a cluster job could trip on — the
//! spec and its base scenario (loaded exactly as `sweep` loads them), the shard count, the output
//! folder (created, probed with a write, checked for other sweeps' files) — on the login node, then
//! writes a ready `sbatch` array script and a short README into `<out>/slurm/`. Nothing runs.
//!
//! The script is a pure function of the spec path, the shard count, the output folder and the
//! binary ([`sbatch_script`]), so it is tested byte for byte.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::CommandError;
use super::folder::{
    README_NAME, SCRIPT_NAME, SLURM_DIR, check_folder, refuse_non_folder, result_dir,
};
use super::journal::Shard;
use crate::output::files::AtomicFile;
use crate::output::files::sync_dir;
use crate::sweep::plan::load_plan;

/// What `--emit-slurm` was asked to do.
#[derive(Clone, Debug)]
pub struct EmitRequest {
    /// The spec file, as given.
    pub spec: PathBuf,
    /// Number of shards = array tasks.
    pub shards: usize,
    /// Output folder; `None` means `output/<sweep name>`.
    pub out: Option<PathBuf>,
    /// The `chokepoint` binary the script calls (normally `std::env::current_exe()`).
    pub binary: PathBuf,
}

/// What `--emit-slurm` wrote.
#[derive(Clone, Debug)]
pub struct EmitSummary {
    /// The sweep's name.
    pub name: String,
    /// Runs in the sweep.
    pub runs: usize,
    /// The absolute output folder the shards will write to.
    pub out: PathBuf,
    /// The script written.
    pub script: PathBuf,
    /// The README written.
    pub readme: PathBuf,
}

/// The paths an emitted script names, all absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptPaths<'a> {
    /// The spec file.
    pub spec: &'a str,
    /// The output folder (shards, merged outputs, `slurm/`).
    pub out: &'a str,
    /// The `chokepoint` binary.
    pub binary: &'a str,
}

/// Quotes `text` for a POSIX shell: single quotes, with `'` written as `'\''`.
///
/// Public so that `tests/it/units/runner_slurm.rs` can pin the quoting the script relies on.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The `sbatch` array script for `shards` shards: one array task per shard, resource lines to
/// edit, the merge and resubmit commands in comments at the end.
pub fn sbatch_script(paths: &ScriptPaths, shards: usize) -> String {
    let ScriptPaths { spec, out, binary } = paths;
    let last = shards.saturating_sub(1);
    let job = Path::new(out)
        .file_name()
        .map_or_else(|| "sweep".into(), |n| n.to_string_lossy().into_owned());
    let (q_spec, q_out, q_bin) = (sh_quote(spec), sh_quote(out), sh_quote(binary));
    let script = format!("{out}/{SLURM_DIR}/{SCRIPT_NAME}");
    format!(
        r#"#!/bin/bash
# Slurm array job for a chokepoint sweep, written by
#   chokepoint sweep {spec} --emit-slurm {shards} --out {out}
# Array task I runs shard I of {shards} and writes {out}/shard-I-of-{shards}.txt.
# Submit with:  sbatch {script}
#
# Edit the resource lines to suit your cluster (add --partition, --account, --qos as needed).
# --time: a task stopped by its time limit keeps its finished runs; resubmit it to resume.
#SBATCH --job-name=chokepoint-{job}
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task=1
#SBATCH --time=02:00:00
#SBATCH --mem=2G
#SBATCH --output={out}/{SLURM_DIR}/%A_%a.log

set -euo pipefail

# The binary that wrote this script; set CHOKEPOINT=/path/to/chokepoint (exported to sbatch) to
# use another copy of the same build — merge refuses shards from different builds.
CHOKEPOINT=${{CHOKEPOINT:-{q_bin}}}
SPEC={q_spec}
OUT={q_out}
# The shard count is explicit: SLURM_ARRAY_TASK_COUNT counts only the current submission.
SHARDS={shards}

if [[ -z ${{SLURM_ARRAY_TASK_ID:-}} ]]; then
    echo "error: SLURM_ARRAY_TASK_ID is not set: submit this script with sbatch" >&2
    exit 2
fi
if [[ ! -x $CHOKEPOINT ]]; then
    echo "error: no chokepoint binary at $CHOKEPOINT on $(hostname): set CHOKEPOINT=..." >&2
    exit 2
fi

# Exit codes: 0 done; 2 bad input (spec, arguments, folder) — a configuration error, do not
# retry; 1 failure while running or writing — retrying may help; 130 stopped by SIGTERM (time
# limit, scancel) — every finished run is kept, resubmit the task to resume.
exec "$CHOKEPOINT" sweep "$SPEC" --out "$OUT" --shard "$SLURM_ARRAY_TASK_ID/$SHARDS" \
    --threads "${{SLURM_CPUS_PER_TASK:-1}}"

# When every task has finished, merge (it proves completeness from the shard files, whatever
# Slurm reported, and writes runs.csv, summary.csv, manifest.json … into the same folder):
#   {q_bin} merge {q_out} --out {q_out}
# If shards are missing or incomplete, merge exits 2 and names them in --array= syntax;
# resubmit only those, then merge again:
#   sbatch --array=3,5 {script}
"#
    )
}

/// The README written beside the script.
pub fn readme(paths: &ScriptPaths, shards: usize) -> String {
    let ScriptPaths { spec, out, binary } = paths;
    let last = shards.saturating_sub(1);
    format!(
        r#"# Slurm array job for a chokepoint sweep

Written by `chokepoint sweep {spec} --emit-slurm {shards} --out {out}`, which checked the spec,
its base scenario and this folder before writing anything.

1. Edit the `#SBATCH` lines of `{SCRIPT_NAME}` (time, memory, CPUs, partition, account).
2. Submit: `sbatch {out}/{SLURM_DIR}/{SCRIPT_NAME}` — array tasks 0-{last}, one shard each, each
   writing `{out}/shard-I-of-{shards}.txt`; logs go to `{out}/{SLURM_DIR}/<job>_<task>.log`.
3. When the job has left `squeue`, merge:
   `{binary} merge {out} --out {out}`
4. If merge refuses (exit code 2), it lists the missing or incomplete shards in `--array=` syntax:
   resubmit only those, e.g. `sbatch --array=3,5 {out}/{SLURM_DIR}/{SCRIPT_NAME}`, and merge again.
   Do not trust a task's COMPLETED state: only the merge proves that every shard is complete.

The merged files are byte-identical to `chokepoint sweep {spec} --out DIR` run on one machine with
the same build. The shard count is written into the script: `SLURM_ARRAY_TASK_COUNT` counts only
the current submission, so a resubmission of two tasks still runs shards of {shards}.

Exit codes of a task: `0` done · `2` configuration error (spec, arguments, folder) — do not
retry · `1` failure while running or writing — retrying may help · `130` stopped by SIGTERM (time
limit or `scancel`): the finished runs are kept in the shard's journal; resubmit the task to resume.

To use another copy of the same `chokepoint` build on the compute nodes, submit with
`CHOKEPOINT=/path/to/chokepoint sbatch …` (sbatch exports the environment).
"#
    )
}

fn bad(message: String) -> CommandError {
    CommandError::BadInput(message)
}

/// A path as UTF-8 text without characters an `#SBATCH` line cannot carry.
///
/// Public so that `tests/it/units/runner_slurm.rs` can check each refused character without
/// emitting a whole sweep.
pub fn script_text(what: &str, path: &Path) -> Result<String, CommandError> {
    let text = path.to_str().ok_or_else(|| {
        bad(format!(
            "{what} `{}` is not valid UTF-8; choose another path for the Slurm script",
            path.display()
        ))
    })?;
    if let Some(c) = text
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '%' | '"' | '\'' | '\\'))
    {
        return Err(bad(format!(
            "{what} `{text}` contains {c:?}, which an #SBATCH line cannot carry; choose a path \
             without spaces, quotes, `%` or backslashes"
        )));
    }
    Ok(text.to_string())
}

/// Creates `dir` if needed and proves it writable with a probe file (written, synced, removed).
fn probe_folder(dir: &Path) -> Result<(), CommandError> {
    refuse_non_folder(dir)?;
    fs::create_dir_all(dir).map_err(|e| {
        bad(format!(
            "cannot create the output folder `{}`: {e}; the array tasks would fail the same way",
            dir.display()
        ))
    })?;
    let probe = dir.join(format!(
        "{}{}",
        crate::output::files::PROBE_PREFIX,
        std::process::id()
    ));
    let written = fs::File::create(&probe).and_then(|mut f| {
        f.write_all(b"probe\n")?;
        f.sync_all()
    });
    let removed = fs::remove_file(&probe);
    written.and(removed).map_err(|e| {
        bad(format!(
            "cannot write in the output folder `{}`: {e}; the array tasks would fail the same way",
            dir.display()
        ))
    })
}

/// Refuses a folder that holds shard files or journals of this sweep cut into another number of
/// shards: a merge could never join them.
fn check_shard_count(dir: &Path, shards: usize) -> Result<(), CommandError> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    let mut other: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            (n.starts_with("shard-") || n.starts_with("journal-shard-"))
                && n.ends_with(".txt")
                && n.rsplit_once("-of-")
                    .and_then(|(_, c)| c.trim_end_matches(".txt").parse::<usize>().ok())
                    .is_some_and(|c| c != shards)
        })
        .collect();
    if other.is_empty() {
        return Ok(());
    }
    other.sort();
    Err(bad(format!(
        "output folder `{}` holds shards of this sweep cut into another number of shards ({}): \
         emit with that number, or choose another --out",
        dir.display(),
        other.join(", ")
    )))
}

/// Writes `text` to `path` through a temporary file and a rename.
fn write_file(path: &Path, text: &str, executable: bool) -> Result<(), CommandError> {
    let mut file = AtomicFile::create(path)?;
    file.write(text.as_bytes())?;
    if executable {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(file.temp_path(), fs::Permissions::from_mode(0o755))
            .map_err(crate::output::files::io_error(path))?;
    }
    file.commit(0)?;
    Ok(())
}

/// Validates the sweep and the folder, then writes `<out>/slurm/sweep.sbatch` and
/// `<out>/slurm/README.md`. Every refusal is [`CommandError::BadInput`] (exit 2): on the login
/// node, before any array task starts.
pub fn emit(request: &EmitRequest) -> Result<EmitSummary, CommandError> {
    if request.shards == 0 {
        return Err(bad(
            "--emit-slurm 0: N must be at least 1 (one array task per shard)".into(),
        ));
    }
    let plan = load_plan(&request.spec)?;
    let runs = plan.runs();
    if request.shards > runs {
        return Err(bad(format!(
            "--emit-slurm {}: the sweep has only {runs} runs, so some shards would be empty; use at \
             most {runs} shards",
            request.shards
        )));
    }
    let spec = fs::canonicalize(&request.spec)
        .map_err(|e| bad(format!("cannot resolve `{}`: {e}", request.spec.display())))?;
    let binary = fs::canonicalize(&request.binary).map_err(|e| {
        bad(format!(
            "cannot resolve the chokepoint binary `{}`: {e}",
            request.binary.display()
        ))
    })?;
    let spec_text = script_text("the spec path", &spec)?;
    let binary_text = script_text("the chokepoint binary", &binary)?;
    let out = result_dir(request.out.as_deref(), &plan.spec.name);
    // Refuse a path the script cannot carry before creating anything.
    let absolute = std::path::absolute(&out)
        .map_err(|e| bad(format!("cannot resolve `{}`: {e}", out.display())))?;
    script_text("the output folder", &absolute)?;
    probe_folder(&out)?;
    let out = fs::canonicalize(&out)
        .map_err(|e| bad(format!("cannot resolve `{}`: {e}", out.display())))?;
    let out_text = script_text("the output folder", &out)?;
    // The folder may already hold this sweep's shards (re-emitting is harmless), never another
    // sweep's files or this sweep cut differently.
    check_folder(
        &out,
        &plan.id,
        Shard {
            index: 0,
            count: request.shards,
        },
    )?;
    check_shard_count(&out, request.shards)?;
    let paths = ScriptPaths {
        spec: &spec_text,
        out: &out_text,
        binary: &binary_text,
    };
    let slurm = out.join(SLURM_DIR);
    fs::create_dir_all(&slurm)
        .map_err(|e| bad(format!("cannot create `{}`: {e}", slurm.display())))?;
    let script = slurm.join(SCRIPT_NAME);
    let readme_path = slurm.join(README_NAME);
    write_file(&script, &sbatch_script(&paths, request.shards), true)?;
    write_file(&readme_path, &readme(&paths, request.shards), false)?;
    sync_dir(&slurm);
    Ok(EmitSummary {
        name: plan.spec.name.clone(),
        runs,
        out,
        script,
        readme: readme_path,
    })
}
