//! Reading scenario files: RON parsing with positions, `extends` chains, command-line overrides,
//! then validation. The result is a [`Scenario`] that a run can execute without further checks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ron::extensions::Extensions;
use serde::Deserialize;

use super::controls;
use super::error::{ScenarioError, line_col};
use super::source::{Origins, Source, SourceTexts};
use super::types::{Alliance, Date, Event, Firm, Scenario, Sector, State};
use super::validate;
use crate::scenario::params::{ParamError, ParamValue, Parameters};

/// Scenarios shipped inside the binary: `(file name, text)`.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "baseline_2022.ron",
        include_str!("../../scenarios/baseline_2022.ron"),
    ),
    (
        "export_control_2022.ron",
        include_str!("../../scenarios/export_control_2022.ron"),
    ),
    (
        "historical_2022_2025.ron",
        include_str!("../../scenarios/historical_2022_2025.ron"),
    ),
    (
        "controls_rounds.ron",
        include_str!("../../scenarios/controls_rounds.ron"),
    ),
    ("full_ban.ron", include_str!("../../scenarios/full_ban.ron")),
    (
        "full_ban_with_supports.ron",
        include_str!("../../scenarios/full_ban_with_supports.ron"),
    ),
    (
        "loosen_h200_sovereignty.ron",
        include_str!("../../scenarios/loosen_h200_sovereignty.ron"),
    ),
    (
        "loosen_h200_addiction.ron",
        include_str!("../../scenarios/loosen_h200_addiction.ron"),
    ),
    (
        "rare_earth_retaliation.ron",
        include_str!("../../scenarios/rare_earth_retaliation.ron"),
    ),
    (
        "domestic_substitution.ron",
        include_str!("../../scenarios/domestic_substitution.ron"),
    ),
    (
        "alliance_erosion.ron",
        include_str!("../../scenarios/alliance_erosion.ron"),
    ),
    (
        "alliance_erosion_without_jp.ron",
        include_str!("../../scenarios/alliance_erosion_without_jp.ron"),
    ),
    (
        "alliance_erosion_without_kr.ron",
        include_str!("../../scenarios/alliance_erosion_without_kr.ron"),
    ),
    (
        "alliance_erosion_without_gb.ron",
        include_str!("../../scenarios/alliance_erosion_without_gb.ron"),
    ),
    (
        "alliance_erosion_without_de.ron",
        include_str!("../../scenarios/alliance_erosion_without_de.ron"),
    ),
    (
        "alliance_erosion_without_au.ron",
        include_str!("../../scenarios/alliance_erosion_without_au.ron"),
    ),
    (
        "supply_shock.ron",
        include_str!("../../scenarios/supply_shock.ron"),
    ),
];

/// The scenario `chokepoint run` uses when none is named.
pub const DEFAULT_SCENARIO: &str = "baseline_2022.ron";

/// A scenario file as written: every field optional, so a file that `extends` another states only
/// what it changes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename = "Scenario", deny_unknown_fields)]
struct ScenarioFile {
    extends: Option<String>,
    name: Option<String>,
    description: Option<String>,
    start: Option<Date>,
    ticks: Option<u32>,
    ticks_per_year: Option<u32>,
    seed: Option<u64>,
    sectors: Option<Vec<Sector>>,
    states: Option<Vec<State>>,
    firms: Option<Vec<Firm>>,
    alliances: Option<Vec<Alliance>>,
    parameters: Option<BTreeMap<String, ParamValue>>,
    events: Option<Vec<Event>>,
    replace_events: Option<bool>,
}

/// Changes requested on top of the files, usually from the command line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// Replaces the scenario's tick count.
    pub ticks: Option<u32>,
    /// Parameter overrides `(path, value)`, applied after the files' own.
    pub parameters: Vec<(String, ParamValue)>,
}

/// Everything known about a loaded scenario: itself, where it came from, and its texts.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The validated scenario.
    pub scenario: Scenario,
    /// The file that was named (the end of the `extends` chain).
    pub source: Source,
    /// The files it extends, nearest first: what each `extends` resolved to.
    pub extends: Vec<Source>,
    /// Parameters outside their plausible range (allowed, but worth a look).
    pub warnings: Vec<String>,
}

/// Resolves a user's scenario argument: a path that exists is a file; otherwise the name of a
/// bundled scenario (`baseline_2022` or `baseline_2022.ron`). [`collision_note`] says when the
/// other meaning was possible too.
pub fn resolve_source(arg: Option<&str>) -> Result<Source, ScenarioError> {
    let Some(arg) = arg else {
        return Ok(Source::Bundled(DEFAULT_SCENARIO.to_string()));
    };
    let path = Path::new(arg);
    if path.exists() {
        return Ok(Source::File(path.to_path_buf()));
    }
    if let Some(file_name) = bundled_file_name(arg) {
        return Ok(Source::Bundled(file_name));
    }
    Err(ScenarioError::new(format!(
        "no scenario file `{arg}`: no such file, and no bundled scenario of that name"
    ))
    .with_help(format!(
        "give a path to a .ron file, or one of the bundled scenarios: {}",
        bundled_names().join(", ")
    )))
}

/// The bundled scenarios' names, without `.ron`, as `chokepoint scenarios` lists them.
pub fn bundled_names() -> Vec<&'static str> {
    BUNDLED
        .iter()
        .map(|(n, _)| n.trim_end_matches(".ron"))
        .collect()
}

/// The text of the bundled scenario `name` (with or without `.ron`), for `scenarios --show`.
pub fn bundled_text(name: &str) -> Option<&'static str> {
    let file_name = bundled_file_name(name)?;
    BUNDLED
        .iter()
        .find(|(n, _)| *n == file_name)
        .map(|(_, text)| *text)
}

/// The bundled file name `name` means (`baseline_2022` → `baseline_2022.ron`), if it is a bare
/// name (no folder) of a bundled scenario.
fn bundled_file_name(name: &str) -> Option<String> {
    if name.contains(['/', '\\']) {
        return None;
    }
    let file_name = if name.ends_with(".ron") {
        name.to_string()
    } else {
        format!("{name}.ron")
    };
    BUNDLED
        .iter()
        .any(|(n, _)| *n == file_name)
        .then_some(file_name)
}

/// What [`collision_note`] found: the text, and whether it is a warning (a file the user may have
/// meant to run, which differs from what ran) rather than a note.
#[derive(Clone, Debug, PartialEq)]
pub struct Collision {
    /// The sentence to show.
    pub text: String,
    /// Shown even under `-q`: the bundled copy ran while a different file of that name exists.
    pub warning: bool,
}

/// When the scenario argument `arg` could mean both a file and a bundled scenario, says which was
/// used and how to ask for the other; `None` when only one meaning exists, or when the file and
/// the bundled copy are identical (nothing to tell apart). A bare name resolves to a file only
/// when that exact path exists, so `run baseline_2022` beside an edited `baseline_2022.ron` runs
/// the bundled copy: this warning is what keeps that from passing silently.
pub fn collision_note(arg: &str, source: &Source) -> Option<Collision> {
    match source {
        Source::File(path) => {
            // A path with a folder in it names a file unambiguously.
            let file_name = bundled_file_name(arg)?;
            let text = format!(
                "`{arg}` is the file {}, not the bundled scenario `{}` of the same name \
                 (`chokepoint scenarios --show {}` prints that one)",
                path.display(),
                file_name.trim_end_matches(".ron"),
                file_name.trim_end_matches(".ron"),
            );
            Some(Collision {
                text,
                warning: false,
            })
        }
        Source::Bundled(file_name) => {
            let text = bundled_text(file_name)?;
            let candidates = [
                PathBuf::from(file_name),
                Path::new("scenarios").join(file_name),
            ];
            let file = candidates.into_iter().find(|p| p.is_file())?;
            // An unedited copy (a clone's own scenarios/) runs the same scenario: no note.
            let differs = read_input_file(&file).map_or(true, |t| t != text);
            differs.then(|| Collision {
                text: format!(
                    "`{arg}` is the bundled scenario compiled into chokepoint, not the file {} \
                     (which differs from the bundled copy); give the file's path to run it",
                    file.display(),
                ),
                warning: true,
            })
        }
    }
}

/// Loads, merges, overrides and validates a scenario.
pub fn load(source: &Source, overrides: &Overrides) -> Result<Loaded, ScenarioError> {
    let mut texts = SourceTexts::default();
    let mut chain = Vec::new();
    let mut read = Vec::new();
    read_chain(source, &mut texts, &mut chain, &mut Vec::new(), &mut read)?;
    let (file, origins) = merge(chain);
    let scenario = finish(file, overrides, &texts, &origins)?;
    validate::validate(&scenario, &texts, &origins)?;
    let warnings = super::ranges::check_parameters(&scenario.parameters).unwrap_or_default();
    Ok(Loaded {
        scenario,
        source: source.clone(),
        extends: read.into_iter().skip(1).collect(),
        warnings,
    })
}

/// Loads a scenario from text (for tests and embedding); `name` is used in messages and for
/// resolving `extends` against bundled scenarios.
pub fn load_str(name: &str, text: &str, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    let mut texts = SourceTexts::default();
    let file = parse(name, text)?;
    let index = texts.add_text(name.to_string(), text.to_string());
    let mut chain = Vec::new();
    if let Some(parent) = &file.extends {
        let parent_source =
            resolve_extends(&Source::Bundled(name.to_string()), parent, &texts, index)?;
        read_chain(
            &parent_source,
            &mut texts,
            &mut chain,
            &mut vec![name.to_string()],
            &mut Vec::new(),
        )?;
    }
    chain.push((index, file));
    let (file, origins) = merge(chain);
    let scenario = finish(file, overrides, &texts, &origins)?;
    validate::validate(&scenario, &texts, &origins)?;
    Ok(scenario)
}

fn read_source(source: &Source) -> Result<String, ScenarioError> {
    match source {
        Source::File(path) => read_input_file(path).map_err(|e| {
            ScenarioError::new(format!("cannot read scenario file: {e}"))
                .in_file(path.display().to_string())
        }),
        Source::Bundled(name) => BUNDLED
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| text.to_string())
            .ok_or_else(|| ScenarioError::new(format!("no bundled scenario `{name}`"))),
    }
}

/// The largest input file (scenario, sweep or effect spec) read: the bundled scenarios are under
/// 40 KB, so 16 MiB leaves room for generated worlds while refusing a runaway file.
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// Reads a user's input file as text: regular files only (a device such as `/dev/zero` or a FIFO
/// is refused before it is opened, never read without end), at most [`MAX_INPUT_BYTES`]; a UTF-8
/// byte-order mark is dropped and old Mac line endings (CR alone) become LF, so that positions in
/// messages count lines as an editor does.
pub fn read_input_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::other(
            "not a regular file (a folder, device or pipe); give the path of a .ron file",
        ));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(Error::other(format!(
            "the file is {} bytes; input files are limited to {MAX_INPUT_BYTES} bytes (16 MiB)",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::other(format!(
            "the file grew beyond {MAX_INPUT_BYTES} bytes (16 MiB) while being read"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        Error::other(format!(
            "not UTF-8 text: byte 0x{:02X} at line {line}, column {column} is not valid UTF-8; \
             save the file as UTF-8",
            bytes[valid]
        ))
    })?;
    Ok(normalize_text(text))
}

/// Drops a UTF-8 byte-order mark and turns lone CRs (old Mac line endings) into LFs; CRLF is
/// kept as written.
pub fn normalize_text(text: String) -> String {
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

fn read_chain(
    source: &Source,
    texts: &mut SourceTexts,
    chain: &mut Vec<(usize, ScenarioFile)>,
    visiting: &mut Vec<String>,
    read: &mut Vec<Source>,
) -> Result<(), ScenarioError> {
    let key = match source {
        Source::File(p) => p
            .canonicalize()
            .unwrap_or_else(|_| p.clone())
            .display()
            .to_string(),
        Source::Bundled(n) => format!("<bundled>/{n}"),
    };
    if visiting.contains(&key) {
        let mut cycle = visiting.clone();
        cycle.push(key);
        return Err(ScenarioError::new(format!("`extends` cycle: {}", cycle.join(" → ")))
            .in_file(source.display())
            .with_help("a scenario may not extend itself, directly or through other files; remove one `extends`"));
    }
    let text = read_source(source)?;
    read.push(source.clone());
    let file = parse(&source.display(), &text)?;
    let index = texts.add_text(source.display(), text);
    if let Some(parent) = &file.extends {
        let parent_source = resolve_extends(source, parent, texts, index)?;
        visiting.push(key);
        read_chain(&parent_source, texts, chain, visiting, read)?;
        visiting.pop();
    }
    chain.push((index, file));
    Ok(())
}

/// Resolves `extends: "X"`, in this order: a file at X, or at X.ron when X has no extension,
/// relative to the extending file's folder (only for a file on disk), then the bundled scenario
/// named X (with or without `.ron`). So a file beside the scenario wins over a bundled scenario
/// of the same name however the name is written. A bundled scenario extends bundled scenarios by
/// file name.
fn resolve_extends(
    child: &Source,
    parent: &str,
    texts: &SourceTexts,
    index: usize,
) -> Result<Source, ScenarioError> {
    let beside = match child {
        Source::File(path) => {
            let candidate = path.parent().unwrap_or(Path::new(".")).join(parent);
            // `exists`, not `is_file`: a folder, device or pipe of that name is then refused
            // with its own reason rather than passed over for a bundled scenario.
            if candidate.exists() {
                return Ok(Source::File(candidate));
            }
            if candidate.extension().is_none() {
                let with_ron = candidate.with_extension("ron");
                if with_ron.exists() {
                    return Ok(Source::File(with_ron));
                }
            }
            Some(candidate)
        }
        Source::Bundled(_) => None,
    };
    let bare = match child {
        Source::File(_) => parent,
        Source::Bundled(_) => Path::new(parent)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(parent),
    };
    if let Some(name) = bundled_file_name(bare) {
        return Ok(Source::Bundled(name));
    }
    let what = match &beside {
        Some(candidate) => format!(
            "`extends` names \"{parent}\": no file `{}` beside the extending file, and no \
             bundled scenario of that name",
            candidate.display()
        ),
        None => format!("`extends` names no bundled scenario: `{parent}`"),
    };
    let names: Vec<String> = bundled_names().into_iter().map(String::from).collect();
    let hint = crate::scenario::params::closest(bare, &names)
        .map_or(String::new(), |close| format!("did you mean \"{close}\"? "));
    Err(texts
        .error_at(index, None, &format!("\"{parent}\""), what)
        .with_help(format!(
            "{hint}`extends` looks for a file relative to the extending file's folder first, then \
             for a bundled scenario by name: {}",
            names.join(", ")
        )))
}

fn parse(name: &str, text: &str) -> Result<ScenarioFile, ScenarioError> {
    let file = parse_ron(name, text)?;
    check_unique_ids(name, text, &file)?;
    Ok(file)
}

/// Parses any RON input file (scenario, sweep or effect spec) with the project's extensions,
/// turning ron's errors into located [`ScenarioError`]s with the valid options where ron gives them.
pub fn parse_ron<T: serde::de::DeserializeOwned>(
    name: &str,
    text: &str,
) -> Result<T, ScenarioError> {
    let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
    let parsed = options.from_str::<T>(text).map_err(|e| {
        let (line, col) = (e.span.start.line, e.span.start.col);
        let width = if e.span.end.line == line && e.span.end.col > col {
            e.span.end.col - col
        } else {
            1
        };
        let (message, help) = explain_ron_error(&e.code);
        let mut err = ScenarioError::new(message)
            .in_file(name)
            .at_position(text, line, col, width);
        if let Some(help) = help {
            err = err.with_help(help);
        }
        err
    })?;
    // serde keeps the last of two equal map keys without a word: refuse them here, with both
    // positions (a parameter set twice, a state's share given twice).
    if let Some((key, first, second)) = duplicate_map_key(text) {
        let (line, col) = line_col(text, first);
        let (line2, col2) = line_col(text, second);
        return Err(ScenarioError::new(format!(
            "key {key} is given twice in one map, at {line}:{col} and {line2}:{col2}"
        ))
        .in_file(name)
        .at_position(text, line2, col2, key.chars().count())
        .with_help("remove one of them: a map's keys must be unique (only the last would count)"));
    }
    Ok(parsed)
}

/// The first key written twice in one `{ … }` map of a RON text, with the byte offsets of both
/// occurrences. Comments and string contents are skipped; only string keys are compared.
pub fn duplicate_map_key(text: &str) -> Option<(String, usize, usize)> {
    let bytes = text.as_bytes();
    // One entry per open bracket: for `{`, the keys seen so far at its own depth.
    let mut stack: Vec<Option<Vec<(String, usize)>>> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
                continue;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                let literal = &text[start..i.min(bytes.len())];
                let rest = text[i.min(bytes.len())..].trim_start();
                if rest.starts_with(':')
                    && let Some(Some(keys)) = stack.last_mut()
                {
                    if let Some((_, first)) = keys.iter().find(|(k, _)| k == literal) {
                        return Some((literal.to_string(), *first, start));
                    }
                    keys.push((literal.to_string(), start));
                }
                continue;
            }
            b'{' => stack.push(Some(Vec::new())),
            b'(' | b'[' => stack.push(None),
            b'}' | b')' | b']' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Refuses an entity id written twice in one file (across files, a later file replacing an
/// entity is how `extends` works): the error points at the second and names the first.
fn check_unique_ids(name: &str, text: &str, file: &ScenarioFile) -> Result<(), ScenarioError> {
    fn ids<T>(list: &Option<Vec<T>>, id: impl Fn(&T) -> &String) -> Vec<&String> {
        list.iter().flatten().map(id).collect()
    }
    let lists = [
        ("sector", ids(&file.sectors, |x| &x.id)),
        ("state", ids(&file.states, |x| &x.id)),
        ("firm", ids(&file.firms, |x| &x.id)),
        ("alliance", ids(&file.alliances, |x| &x.id)),
    ];
    for (kind, list) in lists {
        for (i, id) in list.iter().enumerate() {
            if !list[..i].contains(id) {
                continue;
            }
            let needle = format!("\"{id}\"");
            // The id field of each entity: `id: "x"`, however it is spaced.
            let mut places = Vec::new();
            let mut from = 0;
            while let Some(at) = text[from..].find(&needle).map(|n| from + n) {
                if text[..at].trim_end().ends_with(':')
                    && text[..at]
                        .trim_end()
                        .trim_end_matches(':')
                        .trim_end()
                        .ends_with("id")
                {
                    places.push(at);
                }
                from = at + needle.len();
            }
            let err = ScenarioError::new(format!("{kind} id `{id}` is defined twice in this file"))
                .in_file(name)
                .with_help("ids must be unique within a file; rename or remove one (a file that `extends` another may redefine its entities)");
            return Err(match places.as_slice() {
                [first, second, ..] => {
                    let (l1, c1) = line_col(text, *first);
                    let (l2, c2) = line_col(text, *second);
                    ScenarioError {
                        message: format!(
                            "{kind} id `{id}` is defined twice in this file, at {l1}:{c1} and {l2}:{c2}"
                        ),
                        ..err
                    }
                    .at_position(text, l2, c2, needle.chars().count())
                }
                _ => err,
            });
        }
    }
    Ok(())
}

/// Turns ron's error codes into a sentence and, where there is one, the list of valid options.
pub fn explain_ron_error(code: &ron::Error) -> (String, Option<String>) {
    use ron::Error as E;
    match code {
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => (
            format!(
                "unknown field `{found}` in {}",
                outer.as_deref().unwrap_or("this structure")
            ),
            Some(format!("valid fields: {}", expected.join(", "))),
        ),
        E::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => (
            format!(
                "unknown variant `{found}` in {}",
                outer.as_deref().unwrap_or("this field")
            ),
            Some(format!("valid variants: {}", expected.join(", "))),
        ),
        E::MissingStructField { field, outer } => (
            format!(
                "missing field `{field}` in {}",
                outer.as_deref().unwrap_or("this structure")
            ),
            Some(format!(
                "add `{field}: …`; docs/SCENARIOS.md describes every field"
            )),
        ),
        E::DuplicateStructField { field, .. } => (format!("field `{field}` is given twice"), None),
        // ron points at the token after the gap, often the start of the next line.
        E::ExpectedComma => (
            "Expected comma".to_string(),
            Some(
                "a comma is missing just before this point (often at the end of the previous \
                 line): separate fields and list items with `,`"
                    .to_string(),
            ),
        ),
        other => (other.to_string(), None),
    }
}

/// Merges a chain (base first) into one file and records where each part came from.
fn merge(chain: Vec<(usize, ScenarioFile)>) -> (ScenarioFile, Origins) {
    let mut out = ScenarioFile::default();
    let mut origins = Origins::default();
    for (index, file) in chain {
        macro_rules! scalar {
            ($field:ident) => {
                if file.$field.is_some() {
                    out.$field = file.$field;
                    origins.top.insert(stringify!($field), index);
                }
            };
        }
        scalar!(name);
        scalar!(description);
        scalar!(start);
        scalar!(ticks);
        scalar!(ticks_per_year);
        scalar!(seed);
        merge_by_id(
            &mut out.sectors,
            file.sectors,
            |s| &s.id,
            "sector",
            index,
            &mut origins,
        );
        merge_by_id(
            &mut out.states,
            file.states,
            |s| &s.id,
            "state",
            index,
            &mut origins,
        );
        merge_by_id(
            &mut out.firms,
            file.firms,
            |f| &f.id,
            "firm",
            index,
            &mut origins,
        );
        merge_by_id(
            &mut out.alliances,
            file.alliances,
            |a| &a.id,
            "alliance",
            index,
            &mut origins,
        );
        if let Some(params) = file.parameters {
            let merged = out.parameters.get_or_insert_with(BTreeMap::new);
            for (path, value) in params {
                origins.parameters.insert(path.clone(), index);
                merged.insert(path, value);
            }
        }
        if file.replace_events == Some(true) {
            out.events = Some(Vec::new());
            origins.events.clear();
        }
        if let Some(events) = file.events {
            let merged = out.events.get_or_insert_with(Vec::new);
            for (i, event) in events.into_iter().enumerate() {
                merged.push(event);
                origins.events.push((index, i));
            }
        }
    }
    // Events run in date order; a stable sort keeps file order on the same date.
    if let Some(events) = out.events.take() {
        let mut order: Vec<usize> = (0..events.len()).collect();
        order.sort_by_key(|&i| events[i].date);
        origins.events = order.iter().map(|&i| origins.events[i]).collect();
        out.events = Some(order.iter().map(|&i| events[i].clone()).collect());
    }
    (out, origins)
}

/// Entities with an id already present replace it in place; new ids are appended.
fn merge_by_id<T>(
    into: &mut Option<Vec<T>>,
    from: Option<Vec<T>>,
    id: impl Fn(&T) -> &String,
    kind: &'static str,
    index: usize,
    origins: &mut Origins,
) {
    let Some(items) = from else { return };
    let list = into.get_or_insert_with(Vec::new);
    for item in items {
        origins.entities.insert((kind, id(&item).clone()), index);
        match list.iter().position(|existing| id(existing) == id(&item)) {
            Some(at) => list[at] = item,
            None => list.push(item),
        }
    }
}

fn finish(
    file: ScenarioFile,
    overrides: &Overrides,
    texts: &SourceTexts,
    origins: &Origins,
) -> Result<Scenario, ScenarioError> {
    let last = texts.len().saturating_sub(1);
    // Pointed at the opening `Scenario(` of the file that was named (read first), where the
    // field would go.
    let required = |field: &str| {
        texts
            .error_at(
                0,
                None,
                "Scenario(",
                format!("missing field `{field}`: no file in the `extends` chain gives it"),
            )
            .with_help(format!(
                "add `{field}: …` to the scenario; docs/SCENARIOS.md describes every field"
            ))
    };
    let mut parameters = Parameters::default();
    if let Some(params) = &file.parameters {
        for (path, value) in params {
            parameters = parameters
                .with_overrides([(path.as_str(), value)])
                .map_err(|e| {
                    let at = origins.parameters.get(path).copied().unwrap_or(last);
                    texts
                        .error_at(
                            at,
                            Some("parameters"),
                            &format!("\"{path}\""),
                            e.to_string(),
                        )
                        .with_help(param_help(&e))
                })?;
        }
    }
    for (path, value) in overrides
        .parameters
        .iter()
        .filter(|(p, _)| !controls::is_control_path(p))
    {
        parameters = parameters
            .with_overrides([(path.as_str(), value)])
            .map_err(|e| {
                ScenarioError::new(format!("--set {path}={value}: {e}")).with_help(param_help(&e))
            })?;
    }
    if let Some(ticks) = overrides.ticks {
        validate::check_ticks(ticks).map_err(|message| {
            ScenarioError::new(format!("ticks override {ticks}: {message}"))
                .with_help("102 monthly ticks run from 2022-07 to 2030-12")
        })?;
    }
    let events = file.events.unwrap_or_default();
    let mut scenario = Scenario {
        name: file.name.ok_or_else(|| required("name"))?,
        description: file.description.ok_or_else(|| required("description"))?,
        start: file.start.ok_or_else(|| required("start"))?,
        ticks: overrides
            .ticks
            .or(file.ticks)
            .ok_or_else(|| required("ticks"))?,
        ticks_per_year: file
            .ticks_per_year
            .ok_or_else(|| required("ticks_per_year"))?,
        seed: overrides
            .seed
            .or(file.seed)
            .ok_or_else(|| required("seed"))?,
        sectors: file.sectors.ok_or_else(|| required("sectors"))?,
        states: file.states.ok_or_else(|| required("states"))?,
        firms: file.firms.ok_or_else(|| required("firms"))?,
        alliances: file.alliances.unwrap_or_default(),
        parameters,
        events,
    };
    for (path, value) in overrides
        .parameters
        .iter()
        .filter(|(p, _)| controls::is_control_path(p))
    {
        controls::apply_control_override(&mut scenario, path, value).map_err(|e| {
            ScenarioError {
                message: format!("--set {path}={value}: {}", e.message),
                ..e
            }
        })?;
    }
    Ok(scenario)
}

fn param_help(err: &ParamError) -> String {
    match err {
        ParamError::UnknownPath { .. } => {
            let paths = Parameters::paths();
            let sections: BTreeSet<&str> =
                paths.iter().filter_map(|p| p.split('.').next()).collect();
            format!(
                "parameters are `section.name`, sections: {}; `chokepoint params` lists all with defaults",
                sections.into_iter().collect::<Vec<_>>().join(", ")
            )
        }
        ParamError::BadValue { .. } => {
            "docs/MODEL.md gives each parameter's unit and plausible range".into()
        }
    }
}
