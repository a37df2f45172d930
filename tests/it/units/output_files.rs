//! Tests of `src/output/files.rs`.

use chokepoint::output::files::*;
use std::fs;
use std::path::Path;

#[test]
fn d1_folder_names_refuse_dots_spaces_hidden_and_long_names() {
    for bad in ["..", ".", "", ".hidden", "a b", "a/b", &"x".repeat(101)] {
        assert!(!is_folder_name(bad), "{bad:?} accepted");
    }
    for good in ["baseline_2022", "lhs-behaviour", &"x".repeat(100)] {
        assert!(is_folder_name(good), "{good:?} refused");
    }
}

#[test]
fn d1_the_working_folder_and_its_parents_are_never_an_output_folder() {
    for target in [".", "..", "./"] {
        let err = check_usable(Path::new(target)).unwrap_err();
        assert!(err.is_bad_input(), "{target}: {err}");
    }
}

#[test]
fn d7_publish_swaps_by_rename_and_keeps_the_old_folder_until_the_new_one_is_in() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("results");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("old.csv"), "old").unwrap();
    let dir = OutputDir::create(&target, true).unwrap();
    write_atomic(&dir.path("new.csv"), b"new").unwrap();
    // Before publishing the old results are intact.
    assert!(target.join("old.csv").exists());
    dir.publish().unwrap();
    assert!(target.join("new.csv").exists());
    assert!(!target.join("old.csv").exists());
    let hidden: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "left behind: {hidden:?}");
}

#[test]
fn d7_a_swap_killed_between_its_renames_is_undone_by_the_next_cleanup() {
    let tmp = tempfile::tempdir().unwrap();
    // A pid far above any pid_max: never alive.
    let aside = tmp.path().join(".results.old-999999999");
    fs::create_dir(&aside).unwrap();
    fs::write(aside.join("manifest.json"), "{}").unwrap();
    remove_stale(tmp.path());
    assert!(tmp.path().join("results/manifest.json").exists());
    assert!(!aside.exists());
}

#[test]
fn d13_stale_leftovers_of_dead_processes_are_removed_and_live_ones_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dead = [
        ".results.partial-999999999",
        ".runs.csv.tmp-999999999",
        ".chart.png.tmp-999999999.png",
    ];
    fs::create_dir(tmp.path().join(dead[0])).unwrap();
    fs::write(tmp.path().join(dead[1]), "x").unwrap();
    fs::write(tmp.path().join(dead[2]), "x").unwrap();
    let live = format!(".runs.csv.tmp-{}", std::process::id());
    fs::write(tmp.path().join(&live), "x").unwrap();
    fs::write(tmp.path().join(".notes.tmp-abc"), "x").unwrap();
    remove_stale(tmp.path());
    for name in dead {
        assert!(!tmp.path().join(name).exists(), "{name} kept");
    }
    assert!(tmp.path().join(&live).exists());
    assert!(tmp.path().join(".notes.tmp-abc").exists());
}

#[test]
fn d8_a_second_writer_is_refused_with_the_holder_named() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("results");
    let first = FolderLock::acquire(&target).unwrap();
    let err = FolderLock::acquire(&target).unwrap_err();
    assert!(err.is_bad_input());
    assert!(
        err.to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    drop(first);
    FolderLock::acquire(&target).unwrap();
}

#[test]
fn atomic_file_dropped_uncommitted_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut file = AtomicFile::create(&tmp.path().join("a.csv")).unwrap();
    file.line("x").unwrap();
    drop(file);
    assert!(fs::read_dir(tmp.path()).unwrap().next().is_none());
}
