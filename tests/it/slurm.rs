//! A real Slurm cluster: Debian's `slurmctld`, `slurmd`, `slurm-client` and `munge`, started by
//! `tests/slurm/cluster.sh` as root on 127.0.0.1 without systemd, everything in a temporary
//! folder. A 4-shard sweep written by `chokepoint sweep --emit-slurm 4` runs as an array job; the
//! merged outputs equal the unsharded run's byte for byte; a shard cancelled mid-run makes
//! `merge` refuse and name it; resubmitting only that shard and merging again gives the same
//! bytes. The daemons are stopped by pid, even when the test fails.
//!
//! Skipped by a plain `cargo test` (it needs root and may install packages); `.ci/run` runs it
//! with `CHOKEPOINT_SLURM_TEST=run cargo test --release --test it slurm:: -- --nocapture` and reports whether it ran.
//! Where Slurm is missing and cannot be installed (not root, no apt-get, no network to the
//! package archive) it prints `SKIPPED: <why>` on stderr and returns; with
//! `CHOKEPOINT_SLURM_TEST=require` a skip is a failure instead; unset, the test skips (opt-in).

use crate::support::{SMALL_WORLD, chokepoint, stderr};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// 6 Latin-hypercube points × 2 replicates = 12 runs on the test world, one simulated year.
const SPEC: &str = r#"// Question: does the Slurm path give the same bytes as one machine?
Sweep(
    name: "slurm_test",
    scenario: "small_world.ron",
    ticks: 12,
    design: LatinHypercube(points: 6),
    replicates: 2,
    seed: 11,
    parameters: [
        Vary(path: "market.home_bias", dist: Uniform(low: 0.5, high: 1.5)),
        Vary(path: "learning.catch_up_rate_per_year", dist: Uniform(low: 0.0, high: 0.2)),
    ],
    keep: Keep(metrics: ["ai_compute", "state_market_share"], ticks: [5, 11], states: ["CN", "US"], markets: ["world"]),
)
"#;

const PACKAGES: [&str; 4] = ["slurmctld", "slurmd", "slurm-client", "munge"];
const TOOLS: [&str; 8] = [
    "sbatch",
    "squeue",
    "scancel",
    "sinfo",
    "scontrol",
    "slurmctld",
    "slurmd",
    "munged",
];

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Where `tool` is, on PATH or in the sbin folders a non-login PATH may lack.
fn find_tool(tool: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/usr/local/sbin"])
        .map(|dir| Path::new(dir).join(tool))
        .find(|p| p.is_file())
}

fn missing_tools() -> Vec<&'static str> {
    TOOLS
        .into_iter()
        .filter(|t| find_tool(t).is_none())
        .collect()
}

/// Runs `apt-get ARGS` (at most 240 s); returns its output's last lines on failure.
fn apt_get(args: &[&str]) -> Result<(), String> {
    let out = Command::new("timeout")
        .arg("240")
        .arg("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start apt-get: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let tail: Vec<&str> = text.lines().rev().take(3).collect();
    Err(format!(
        "`apt-get {}` failed ({}): {}",
        args.join(" "),
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
    ))
}

/// Makes sure Slurm and munge are installed, installing them with apt-get when running as root.
/// `Err` holds the reason to skip.
fn ensure_slurm() -> Result<(), String> {
    if !is_root() {
        return Err(match missing_tools().as_slice() {
            [] => "Slurm is installed, but starting the test cluster needs root (munged runs as \
                   the munge user, slurmd launches the jobs)"
                .to_string(),
            missing => format!(
                "not root, so {} cannot be installed ({missing:?} missing)",
                PACKAGES.join(" ")
            ),
        });
    }
    if missing_tools().is_empty() {
        return Ok(());
    }
    if find_tool("apt-get").is_none() {
        return Err(format!(
            "Slurm is not installed ({:?} missing) and there is no apt-get to install {}",
            missing_tools(),
            PACKAGES.join(" ")
        ));
    }
    eprintln!(
        "slurm test: installing {} with apt-get …",
        PACKAGES.join(" ")
    );
    let mut install = vec!["install", "-y", "-q"];
    install.extend(PACKAGES);
    if let Err(first) = apt_get(&install) {
        // Maybe the package lists are stale or absent: refresh them once and retry.
        apt_get(&["update", "-q"])
            .map_err(|e| format!("cannot install {}: {first}; then {e}", PACKAGES.join(" ")))?;
        apt_get(&install).map_err(|e| format!("cannot install {}: {e}", PACKAGES.join(" ")))?;
    }
    match missing_tools().as_slice() {
        [] => Ok(()),
        still => Err(format!(
            "apt-get installed {} but {still:?} are still missing",
            PACKAGES.join(" ")
        )),
    }
}

/// A running test cluster; dropping it stops the daemons by their pid files (and prints the
/// logs' tails when the test is failing).
struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

fn cluster_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slurm/cluster.sh")
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("chokepoint-slurm-")
            .tempdir()
            .unwrap();
        let conf = dir.path().join("slurm.conf");
        // The guard exists before the daemons do, so a failed start still stops what started.
        let cluster = Cluster { dir, conf };
        let out = Command::new("bash")
            .arg(cluster_script())
            .arg("start")
            .arg(cluster.dir.path())
            .output()
            .unwrap();
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success(),
            "the Slurm test cluster did not start (Slurm is installed, so this is a failure, not a skip)"
        );
        cluster
    }

    /// A Slurm client command aimed at this cluster.
    fn command(&self, tool: &str) -> Command {
        let mut c = Command::new(find_tool(tool).unwrap());
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let out = self.command(tool).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Submits `script` (with extra sbatch arguments and environment) and returns the job id.
    fn sbatch(&self, script: &Path, args: &[&str], env: &[(&str, &Path)]) -> String {
        let mut c = self.command("sbatch");
        c.arg("--parsable").args(args).arg(script);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "sbatch failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let id = id.split(';').next().unwrap().to_string();
        assert!(id.chars().all(|c| c.is_ascii_digit()), "job id `{id}`");
        id
    }

    /// `squeue -h -j JOB` lines, empty once every task has left the queue.
    fn queue(&self, job: &str) -> Vec<String> {
        let out = self
            .command("squeue")
            .args(["-h", "-j", job, "-o", "%i %T %M %N"])
            .output()
            .unwrap();
        // An unknown job id (already purged) is an error: nothing left in the queue.
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Polls `squeue` until the job has left the queue (`sbatch --wait` returns late), printing
    /// each new queue state; returns the wall time.
    fn wait(&self, job: &str, limit: Duration) -> Duration {
        let t0 = Instant::now();
        let mut last = Vec::new();
        loop {
            let now = self.queue(job);
            if now.is_empty() {
                return t0.elapsed();
            }
            if now != last {
                for line in &now {
                    eprintln!("  squeue: {line}");
                }
                last = now;
            }
            assert!(
                t0.elapsed() < limit,
                "job {job} still queued after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The completion records (jobcomp/filetxt) of array job `job`: `task state exit`.
    fn completions(&self, job: &str) -> Vec<String> {
        let text = fs::read_to_string(self.dir.path().join("log/jobcomp.txt")).unwrap_or_default();
        let field = |line: &str, key: &str| {
            line.split(' ')
                .find_map(|f| f.strip_prefix(key))
                .unwrap_or("")
                .to_string()
        };
        let mut rows: Vec<String> = text
            .lines()
            .filter(|l| field(l, "ArrayJobId=") == job)
            .map(|l| {
                format!(
                    "{}_{} {} exit {}",
                    job,
                    field(l, "ArrayTaskId="),
                    field(l, "JobState="),
                    field(l, "ExitCode=")
                )
            })
            .collect();
        rows.sort();
        rows
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for log in ["slurmctld.log", "slurmd.log"] {
                let text =
                    fs::read_to_string(self.dir.path().join("log").join(log)).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                eprintln!("--- last lines of {log}:");
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
        let status = Command::new("bash")
            .arg(cluster_script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!(
                "warning: stopping the test cluster in {} failed: {status:?}",
                self.dir.path().display()
            );
        }
    }
}

fn assert_ok(out: &Output) {
    assert!(out.status.success(), "failed: {}", stderr(out));
}

const OUTPUTS: [&str; 6] = [
    "runs.csv",
    "summary.csv",
    "columns.csv",
    "manifest.json",
    "scenario.ron",
    "sweep.ron",
];

fn assert_same_outputs(whole: &Path, merged: &Path) {
    for name in OUTPUTS {
        let (a, b) = (
            fs::read(whole.join(name)).unwrap(),
            fs::read(merged.join(name)).unwrap(),
        );
        assert!(
            a == b,
            "{name} differs between {} and {}",
            whole.display(),
            merged.display()
        );
    }
}

/// Emits the array script for 4 shards into `work/<out>` and returns its path.
fn emit(work: &Path, spec: &Path, out: &str) -> PathBuf {
    let emitted = chokepoint(
        &[
            "sweep",
            spec.to_str().unwrap(),
            "--emit-slurm",
            "4",
            "--out",
            out,
        ],
        work,
    );
    assert_ok(&emitted);
    let script = work.join(out).join("slurm/sweep.sbatch");
    assert_eq!(
        String::from_utf8_lossy(&emitted.stdout).trim(),
        format!("sbatch {}", script.display())
    );
    script
}

#[test]
fn slurm_array_job_merges_to_the_unsharded_outputs_and_a_cancelled_shard_is_named() {
    let started = Instant::now();
    // Opt-in: the test starts daemons and may install packages as root, which a plain
    // `cargo test` on a developer's machine should not do. `.ci/run` sets the variable.
    let mode = std::env::var("CHOKEPOINT_SLURM_TEST").unwrap_or_default();
    if mode.is_empty() {
        eprintln!(
            "SKIPPED: slurm integration test: set CHOKEPOINT_SLURM_TEST=run (as .ci/run does) to bring up a real Slurm"
        );
        return;
    }
    if let Err(why) = ensure_slurm() {
        if std::env::var("CHOKEPOINT_SLURM_TEST").as_deref() == Ok("require") {
            panic!("CHOKEPOINT_SLURM_TEST=require, but the Slurm test cannot run: {why}");
        }
        eprintln!("SKIPPED: slurm integration test: {why}");
        return;
    }
    let work_dir = tempfile::tempdir().unwrap();
    let work = fs::canonicalize(work_dir.path()).unwrap();
    fs::write(work.join("small_world.ron"), SMALL_WORLD).unwrap();
    fs::write(work.join("spec.ron"), SPEC).unwrap();
    // The path the script will name (canonical), so the manifests name the same scenario file.
    let spec = work.join("spec.ron");

    let cluster = Cluster::start();
    let up = started.elapsed();

    // The reference: the same sweep on one machine.
    assert_ok(&chokepoint(
        &[
            "sweep",
            spec.to_str().unwrap(),
            "--out",
            "whole",
            "--no-plots",
        ],
        &work,
    ));

    // 1. A clean 4-task array job, then merge: the unsharded bytes.
    let script = emit(&work, &spec, "clean");
    let job = cluster.sbatch(&script, &[], &[]);
    eprintln!("submitted array job {job} (4 tasks)");
    let took = cluster.wait(&job, Duration::from_secs(60));
    eprintln!(
        "  job {job} left the queue after {:.1} s",
        took.as_secs_f64()
    );
    for line in cluster.completions(&job) {
        eprintln!("  jobcomp: {line}");
    }
    for i in 0..4 {
        let shard = work.join(format!("clean/shard-{i}-of-4.txt"));
        assert!(shard.exists(), "task {i} wrote {}", shard.display());
        let log = work.join(format!("clean/slurm/{job}_{i}.log"));
        assert!(log.exists(), "task {i} logged to {}", log.display());
    }
    let merged = chokepoint(&["merge", "clean", "--out", "clean", "--no-plots"], &work);
    assert_ok(&merged);
    assert_same_outputs(&work.join("whole"), &work.join("clean"));

    // 2. The same array with task 2 cancelled mid-run: it journals a run, then hangs until
    //    scancel ends it, before its shard file exists.
    let script = emit(&work, &spec, "cut");
    let started_marker = work.join("task-2-started");
    let wrapper = work.join("slow-chokepoint");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/bash\n\
             # Task 2 records one run, then stands for a long shard until it is cancelled.\n\
             if [[ $SLURM_ARRAY_TASK_ID == 2 ]]; then\n\
             \x20   '{bin}' \"$@\" --stop-after 1 || true\n\
             \x20   touch '{marker}'\n\
             \x20   exec sleep 300\n\
             fi\n\
             exec '{bin}' \"$@\"\n",
            bin = env!("CARGO_BIN_EXE_chokepoint"),
            marker = started_marker.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let job = cluster.sbatch(&script, &[], &[("CHOKEPOINT", &wrapper)]);
    eprintln!("submitted array job {job} (4 tasks; task 2 will be cancelled mid-run)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started_marker.exists() {
        assert!(Instant::now() < deadline, "task 2 never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    for line in cluster.queue(&job) {
        eprintln!("  squeue: {line}");
    }
    cluster.run("scancel", &[&format!("{job}_2")]);
    eprintln!("  scancel {job}_2");
    cluster.wait(&job, Duration::from_secs(60));
    let records = cluster.completions(&job);
    for line in &records {
        eprintln!("  jobcomp: {line}");
    }
    assert!(
        records
            .iter()
            .any(|l| l.starts_with(&format!("{job}_2 CANCELLED"))),
        "{records:?}"
    );
    assert!(
        work.join("cut/journal-shard-2-of-4.txt").exists(),
        "task 2 left no journal; its log:\n{}",
        fs::read_to_string(work.join(format!("cut/slurm/{job}_2.log"))).unwrap_or_default()
    );
    assert!(!work.join("cut/shard-2-of-4.txt").exists());
    let refused = chokepoint(&["merge", "cut", "--out", "cut", "--no-plots"], &work);
    let err = stderr(&refused);
    for line in err.lines() {
        eprintln!("  merge refused: {line}");
    }
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("1 of 4 shards missing or incomplete: 2"),
        "{err}"
    );
    assert!(err.contains("--array=2 "), "{err}");
    assert!(
        err.contains("sbatch --array=2 cut/slurm/sweep.sbatch"),
        "merge names the emitted script: {err}"
    );
    assert!(!work.join("cut/manifest.json").exists(), "nothing merged");

    // 3. Resubmit only the named shard (with the real binary): it resumes from its journal.
    let job = cluster.sbatch(&script, &["--array=2"], &[]);
    eprintln!("resubmitted shard 2 as job {job}");
    cluster.wait(&job, Duration::from_secs(60));
    for line in cluster.completions(&job) {
        eprintln!("  jobcomp: {line}");
    }
    let log = fs::read_to_string(work.join(format!("cut/slurm/{job}_2.log"))).unwrap();
    assert!(
        log.contains("already done"),
        "resumed from the journal: {log}"
    );
    assert_ok(&chokepoint(
        &["merge", "cut", "--out", "cut", "--no-plots"],
        &work,
    ));
    assert_same_outputs(&work.join("whole"), &work.join("cut"));

    drop(cluster);
    eprintln!(
        "RAN: slurm integration test passed in {:.1} s (cluster up after {:.1} s; daemons stopped)",
        started.elapsed().as_secs_f64(),
        up.as_secs_f64()
    );
}
