//! Records the git commit the binary was built from, for the provenance in every manifest.
//!
//! Only what names the commit is watched: `HEAD` and the branch ref it points to (or
//! `packed-refs` when the ref is packed). A commit, checkout or reset refreshes the value; editing
//! files, `git status` or `git add` (which rewrite the index) do not rebuild the crate.
//!
//! Trade-off, decided: there is no `-dirty` flag. Knowing whether the tree is modified means
//! watching every file, so any edit — to README or a scenario — would rebuild the crate (minutes
//! here). The manifest's `git_commit` is therefore the commit checked out at build time; a build
//! from a modified tree carries the same commit (docs/OUTPUTS.md says so), and the outputs'
//! own digests (scenario, spec, files) still pin what ran.
use std::path::Path;
use std::process::Command;

/// Runs `git ARGS` and returns its trimmed output, if git ran and succeeded.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_default();
    println!("cargo:rustc-env=CHOKEPOINT_GIT_COMMIT={commit}");
    // Paths that do not exist would rerun this script, and rebuild the crate, on every cargo
    // command; in a git worktree `.git` is a file and HEAD and refs live elsewhere, so each path
    // is asked of git.
    let mut watched = vec!["HEAD".to_string()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
        watched.push("packed-refs".to_string());
    }
    for file in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &file])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    // Outside a git checkout nothing above is watched: rerun only when this script changes.
    println!("cargo:rerun-if-changed=build.rs");
}
