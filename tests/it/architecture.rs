//! The layering ARCHITECTURE.md states, checked by reading `src/`: no module imports a layer it
//! must not know, and no two files of one module import each other, directly or in a ring. The
//! check reads `crate::…` and `super::…` paths in code (comments are skipped). `src/` holds no
//! tests: they are in `tests/it` (see `cargo_test_builds_no_benchmark_harness`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level modules, and what each must never import. The absences are the architecture.
const FORBIDDEN: &[(&str, &[&str])] = &[
    // Leaves: digests and the build, read by every layer.
    (
        "provenance",
        &[
            "scenario", "model", "labels", "sweep", "effect", "output", "charts", "runner",
        ],
    ),
    // Scenario owns the file format and the parameters; it knows no simulation.
    (
        "scenario",
        &[
            "model", "labels", "sweep", "effect", "output", "charts", "runner",
        ],
    ),
    // The model never does I/O or orchestration.
    (
        "model",
        &["labels", "sweep", "effect", "output", "charts", "runner"],
    ),
    ("labels", &["sweep", "effect", "output", "charts", "runner"]),
    // Designs and statistics, apart from the files they end up in.
    ("sweep", &["effect", "output", "charts", "runner"]),
    ("effect", &["sweep", "output", "charts", "runner"]),
    // Writers write what the layers below computed; they never run or draw anything.
    ("output", &["charts", "runner"]),
    // Charts only read files: of the crate they know the tables' labels, the scenario file format
    // (to read a result's `scenario.ron` for its events), digests (to verify what they read) and
    // output's atomic file type (to write a chart complete or not at all).
    ("charts", &["model", "sweep", "effect", "runner"]),
];

/// Code of a source file without comments.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b…` path in `code`, as its segments (`use crate::{a, b::c}` included).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                paths.push(segments(item));
            }
        } else {
            paths.push(segments(rest));
        }
    }
    paths
}

/// The leading `a::b::c` segments of `text`.
fn segments(text: &str) -> Vec<String> {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text[..end]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Every file of `src/` as (top module, file stem within it, code); `lib.rs` and `main.rs` are
/// the crate root and the binary, above every layer.
fn sources() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for entry in fs::read_dir(&src).expect("src/ is readable").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            for inner in fs::read_dir(&path).expect("a module folder").flatten() {
                let file = inner.file_name().to_string_lossy().into_owned();
                if let Some(stem) = file.strip_suffix(".rs") {
                    let text = fs::read_to_string(inner.path()).expect("a source file");
                    files.push((name.clone(), stem.to_string(), code_of(&text)));
                }
            }
        } else if let Some(stem) = name.strip_suffix(".rs")
            && !matches!(stem, "lib" | "main")
        {
            let text = fs::read_to_string(&path).expect("a source file");
            files.push((stem.to_string(), "mod".to_string(), code_of(&text)));
        }
    }
    files.sort();
    files
}

#[test]
fn no_module_imports_a_layer_it_must_not_know() {
    let files = sources();
    let modules: BTreeSet<&str> = files.iter().map(|(m, _, _)| m.as_str()).collect();
    for (module, _) in FORBIDDEN {
        assert!(modules.contains(module), "no module `{module}` in src/");
    }
    let mut violations = Vec::new();
    for (module, file, code) in &files {
        let Some((_, forbidden)) = FORBIDDEN.iter().find(|(m, _)| m == module) else {
            continue;
        };
        for path in crate_paths(code) {
            if let Some(target) = path.first()
                && forbidden.contains(&target.as_str())
            {
                violations.push(format!(
                    "src/{module}/{file}.rs uses crate::{}",
                    path.join("::")
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports that break the layering in ARCHITECTURE.md:\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn no_two_files_of_a_module_import_each_other() {
    let files = sources();
    let mut by_module: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (module, file, _) in &files {
        by_module.entry(module).or_default().insert(file);
    }
    // Edges between files of the same module (`super::x` or `crate::module::x`).
    let mut edges: BTreeMap<(&str, &str), BTreeSet<String>> = BTreeMap::new();
    for (module, file, code) in &files {
        if file == "mod" {
            continue;
        }
        let siblings = &by_module[module.as_str()];
        let mut targets = BTreeSet::new();
        for path in crate_paths(code) {
            if path.first() == Some(module) && path.len() > 1 {
                targets.insert(path[1].clone());
            }
        }
        let mut rest = code.as_str();
        while let Some(at) = rest.find("super::") {
            rest = &rest[at + "super::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    targets.extend(segments(item).into_iter().next());
                }
            } else {
                targets.extend(segments(rest).into_iter().next());
            }
        }
        targets.retain(|t| t != file && t != "mod" && siblings.contains(t.as_str()));
        edges.insert((module, file), targets);
    }
    // A ring of imports shows as a file reaching itself.
    for (module, file) in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> =
            vec![(file.to_string(), vec![file.to_string()])];
        while let Some((at, trail)) = stack.pop() {
            for next in edges.get(&(*module, at.as_str())).into_iter().flatten() {
                let mut trail = trail.clone();
                trail.push(next.clone());
                assert!(
                    next != file,
                    "files of src/{module}/ import each other: {}",
                    trail.join(" → ")
                );
                if seen.insert(next.clone()) {
                    stack.push((next.clone(), trail));
                }
            }
        }
    }
}

/// The `[section]` of a manifest's text: its lines up to the next section header.
fn manifest_section<'a>(manifest: &'a str, header: &str) -> Vec<&'a str> {
    manifest
        .lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .collect()
}

/// The build layout ARCHITECTURE.md ("Build") states: `cargo test` at the root builds the library
/// and `tests/it` only. criterion belongs to the benchmarks' own package, and neither the library
/// nor the binary gets a unit-test harness, so no source file may hold a `#[cfg(test)]` module:
/// `cargo test` would never build or run it.
#[test]
fn cargo_test_builds_no_benchmark_harness() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml reads");
    let dev = manifest_section(&manifest, "[dev-dependencies]");
    assert!(
        dev.iter().all(|line| !line.starts_with("criterion")),
        "criterion is a dev-dependency of chokepoint again: it belongs in benches/Cargo.toml"
    );
    let members = manifest_section(&manifest, "[workspace]").join("\n");
    assert!(
        members.contains("\"benches\""),
        "the workspace lists no benches member:\n{members}"
    );
    let bin = manifest_section(&manifest, "[[bin]]");
    assert!(
        bin.iter().any(|line| line.replace(' ', "") == "test=false"),
        "the binary has no `test = false`: cargo test builds an empty harness of main.rs"
    );
    let lib = manifest_section(&manifest, "[lib]");
    assert!(
        lib.iter().any(|line| line.replace(' ', "") == "test=false"),
        "the library has no `test = false`: cargo test compiles it a second time as a harness"
    );
    for (module, file, code) in sources() {
        assert!(
            !code.contains("#[cfg(test)]"),
            "module `{module}`, file {file}.rs, holds a #[cfg(test)] module, which \
             `[lib] test = false` never runs: put its tests in tests/it/units/"
        );
    }
    let benches = fs::read_to_string(root.join("benches/Cargo.toml")).expect("benches manifest");
    assert!(
        manifest_section(&benches, "[dev-dependencies]")
            .iter()
            .any(|line| line.starts_with("criterion")),
        "benches/Cargo.toml does not depend on criterion"
    );
    for bench in ["run", "sweep"] {
        assert!(
            benches.contains(&format!("name = \"{bench}\"")),
            "benches/Cargo.toml lacks the {bench} benchmark"
        );
    }
}
