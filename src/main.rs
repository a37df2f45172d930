//! The `chokepoint` command: parses the command line, hands off to the library, and ends with the
//! library's one error type, whose exit codes are the table in `runner::error` (2 = bad input, do
//! not retry; 1 = failure while running or writing; 130 = interrupted, re-run to resume).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use chokepoint::charts::{OutputFormat, PlotRequest, SizePreset, available_charts, plot_directory};
use chokepoint::model::catalogue;
use chokepoint::model::metrics::{Metric, Selection};
use chokepoint::output::{ticks, tidy};
use chokepoint::runner::{CommandError, folder, single, sweep};
use chokepoint::scenario::params::{ParamValue, Parameters};
use chokepoint::scenario::{self, Overrides, Scenario, load::BUNDLED};

/// `println!` for the command's results on stdout, except that a closed pipe
/// (`chokepoint params | head`) ends the command quietly with success, as ripgrep and cargo do,
/// rather than panicking; any other write error exits with the failure code.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            stdout_failed(e);
        }
    }};
}

/// `print!` with the same handling of a closed pipe as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            stdout_failed(e);
        }
    }};
}

/// Ends the process after a failed write to stdout: success when the reader went away.
fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to standard output: {e}");
    std::process::exit(i32::from(chokepoint::runner::Exit::Failure.code()))
}

#[derive(Parser)]
#[command(
    name = "chokepoint",
    version,
    about = "Agent-based simulation of technology statecraft in the semiconductor supply chain",
    long_about = "Agent-based simulation of technology statecraft in the semiconductor supply chain: \
                  export controls, retaliation, substitution and alliances. Seeded runs give the same \
                  numbers on any machine and thread count.",
    after_help = "Examples:\n  chokepoint run                              run the bundled 2022 baseline\n  \
                  chokepoint run export_control_2022 --seed 3  a bundled variant with another seed\n  \
                  chokepoint validate my_scenario.ron         check a file without running it\n  \
                  chokepoint sweep scenarios/sweeps/lhs_behaviour.ron   a Monte Carlo sweep\n\n\
                  Exit codes: 0 success; 2 bad input (fix it; schedulers should not retry); 1 failure while running;\n\
                  130 a sweep interrupted by Ctrl-C or SIGTERM (run the same command to resume)."
)]
struct Cli {
    /// Print only errors and warnings: no progress, no notes, no summary line.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write metrics.csv, manifest.json and scenario.ron.
    #[command(
        after_help = "Examples:\n  chokepoint run\n  chokepoint run scenarios/export_control_2022.ron --out output/ec --force\n  \
                            chokepoint run baseline_2022 --seed 42 --ticks 24 --set market.home_bias=0.5\n  \
                            chokepoint run output/baseline_2022/scenario.ron --out output/repeat   (repeats a run exactly)"
    )]
    Run(RunArgs),
    /// Check a scenario file (and overrides) without running it.
    #[command(
        after_help = "Examples:\n  chokepoint validate scenarios/baseline_2022.ron\n  chokepoint validate my.ron --set learning.catch_up_rate_per_year=0.1"
    )]
    Validate(ValidateArgs),
    /// Run a Monte Carlo sweep or sensitivity design in parallel; re-run to resume.
    #[command(
        after_help = "Examples:\n  chokepoint sweep scenarios/sweeps/lhs_behaviour.ron\n  \
                            chokepoint sweep scenarios/sweeps/sobol_behaviour.ron --threads 2 --out output/sobol\n  \
                            chokepoint sweep spec.ron --shard 3/10               run one tenth of the design\n  \
                            chokepoint sweep spec.ron --shard env/10             index from SLURM_ARRAY_TASK_ID\n  \
                            chokepoint sweep spec.ron --emit-slurm 10 --out /scratch/lhs   write a Slurm array script\n\n\
                            Outputs (docs/SWEEPS.md): runs.csv, summary.csv, columns.csv, sensitivity.csv (Sobol, Morris),\n\
                            manifest.json, scenario.ron, sweep.ron. An interrupted sweep (Ctrl-C, kill, power loss) resumes\n\
                            when the same command is run again. Exit codes: 0 done; 2 bad input; 1 failure; 130 interrupted."
    )]
    Sweep(SweepArgs),
    /// Merge the shard files of a sharded sweep into its outputs.
    #[command(after_help = "Examples:\n  chokepoint merge output/lhs_behaviour\n  \
                            chokepoint merge shards/a shards/b --out output/lhs\n\n\
                            Refuses (exit 2) when a shard is missing, incomplete or from another sweep, and lists the\n\
                            missing shards in --array= syntax. The outputs equal an unsharded run's byte for byte.")]
    Merge(MergeArgs),
    /// Test a "diminishing marginal effect": paired runs over a dose, marginal effects, a verdict.
    #[command(
        after_help = "Examples:\n  chokepoint effect scenarios/effects/rounds_2022_2025.ron\n  \
                      chokepoint effect scenarios/effects/ai_threshold.ron --threads 2 --out output/threshold\n  \
                      chokepoint effect spec.ron --replicates 10        a quick look before the full run\n\n\
                      Outputs (docs/EFFECTS.md): effects.csv, verdict.json, summary.md, replicates.csv, manifest.json,\n\
                      charts/. Every replicate runs every dose with the same seed (common random numbers)."
    )]
    Effect(EffectArgs),
    /// Compare two run folders: a scenario (baseline) and its counterfactual (variant).
    #[command(
        after_help = "Examples:\n  chokepoint run baseline_2022 && chokepoint run export_control_2022\n  \
                      chokepoint compare output/baseline_2022 output/export_control_2022\n  \
                      chokepoint compare A B --out output/cmp --no-plots\n\n\
                      Outputs (docs/OUTPUTS.md): comparison.csv (metrics.csv's columns with baseline, variant and\n\
                      difference = variant − baseline, an outer join), manifest.json, charts/difference_*. Runs of\n\
                      different worlds (states, firms, sectors) or calendars are refused (exit 2)."
    )]
    Compare(CompareArgs),
    /// List the bundled scenarios with their descriptions, or print one to copy.
    #[command(after_help = "Examples:\n  chokepoint scenarios\n  \
                            chokepoint scenarios --show baseline_2022 > my_world.ron   (a copy to edit)\n\n\
                            The bundled scenarios are compiled into chokepoint. A file of yours may extend one by\n\
                            name: extends: \"baseline_2022\" (docs/SCENARIOS.md, docs/TUTORIAL.md).")]
    Scenarios(ScenariosArgs),
    /// Print a shell completion script to stdout.
    #[command(after_help = "Examples:\n  \
                            chokepoint completions bash > ~/.local/share/bash-completion/completions/chokepoint\n  \
                            chokepoint completions zsh > ~/.zfunc/_chokepoint\n  \
                            chokepoint completions fish > ~/.config/fish/completions/chokepoint.fish")]
    Completions {
        /// The shell to write completions for.
        shell: clap_complete::Shell,
    },
    /// Redraw charts from a saved run, sweep or effect folder, without re-running.
    #[command(after_help = "Examples:\n  chokepoint plot output/baseline_2022\n  \
                            chokepoint plot output/baseline_2022 --only market_share_states_panels --format svg --preset two-column\n  \
                            chokepoint plot output/baseline_2022 --market US --states CN,US,TW --scale 6\n  \
                            chokepoint plot output/baseline_2022 --list   (what this folder can draw)")]
    Plot(PlotArgs),
    /// List every metric: its unit, the metrics.csv columns it fills and what it measures.
    #[command(
        after_help = "Examples:\n  chokepoint metrics\n  chokepoint metrics --format csv > catalogue.csv\n\n\
                            Every run writes the same table as metrics_catalogue.csv beside metrics.csv."
    )]
    Metrics {
        /// Aligned text or CSV.
        #[arg(long, value_enum, default_value_t = CatalogueFormat::Table)]
        format: CatalogueFormat,
    },
    /// List every model parameter with its default value.
    #[command(after_help = "Examples:\n  chokepoint params\n  chokepoint params learning")]
    Params {
        /// Show only parameters whose path contains this text.
        filter: Option<String>,
    },
}

#[derive(Args)]
struct ScenarioArgs {
    /// Scenario file, or the name of a bundled scenario; default: the bundled baseline_2022.
    scenario: Option<String>,
    /// Override a parameter, e.g. --set learning.wright_learning_rate=0.25 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Replace the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Replace the scenario's number of ticks.
    #[arg(long)]
    ticks: Option<u32>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    #[command(flatten)]
    result: ResultArgs,
    #[command(flatten)]
    selection: SelectionArgs,
    /// Table format: `parquet` writes metrics.parquet beside metrics.csv (a build with the
    /// `parquet` feature: cargo build --release --features parquet).
    #[arg(long, value_enum, default_value_t = TableFormat::Csv)]
    format: TableFormat,
}

/// Where a command writes its result folder, shared by `run`, `effect` and `merge`.
#[derive(Args)]
struct ResultArgs {
    /// Output folder [default: output/<name of the scenario, effect or sweep>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace what the output folder holds.
    #[arg(long)]
    force: bool,
    /// Skip the default charts (redraw them later with `chokepoint plot`).
    #[arg(long)]
    no_plots: bool,
    /// Resolution of the PNG charts, in pixels per inch.
    #[arg(long, default_value_t = 300, value_parser = dpi_in_range)]
    dpi: u32,
}

#[derive(Args)]
struct ScenariosArgs {
    /// Print the bundled scenario NAME (a copy to start from) instead of the list.
    #[arg(long, value_name = "NAME")]
    show: Option<String>,
}

#[derive(Args)]
struct PlotArgs {
    /// A folder written by `chokepoint run`, `sweep` or `effect`.
    dir: PathBuf,
    /// Which files to write.
    #[arg(long, value_enum, default_value_t = FormatArg::Both)]
    format: FormatArg,
    /// Where to write the charts [default: DIR/charts].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Draw only these charts (comma-separated or repeated); `--list` shows the names.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Figure width.
    #[arg(long, value_enum, default_value_t = PresetArg::OneColumn)]
    preset: PresetArg,
    /// Resolution of the PNG charts, in pixels per inch; every size scales with it.
    #[arg(long, default_value_t = 300, value_parser = dpi_in_range)]
    dpi: u32,
    /// Deprecated: hundreds of pixels per inch (3 = 300 dpi); use --dpi.
    #[arg(long, hide = true, conflicts_with = "dpi")]
    scale: Option<f64>,
    /// Draw titles inside the figures (papers usually caption outside).
    #[arg(long)]
    titles: bool,
    /// Buying market for per-market share charts [default: CN when present].
    #[arg(long)]
    market: Option<String>,
    /// States for self-sufficiency, capability and AI-compute charts.
    #[arg(long, value_delimiter = ',')]
    states: Vec<String>,
    /// Firms to name in by-firm share charts.
    #[arg(long, value_delimiter = ',')]
    firms: Vec<String>,
    /// Sweep: metrics for fan charts; effect: outcomes to draw.
    #[arg(long, value_delimiter = ',')]
    metrics: Vec<String>,
    /// Sweep: design point for fan charts.
    #[arg(long)]
    point: Option<u32>,
    /// List the charts this folder can make, and stop.
    #[arg(long)]
    list: bool,
}

#[derive(Args)]
struct SweepArgs {
    /// The sweep spec (.ron); docs/SWEEPS.md describes the format.
    spec: PathBuf,
    /// Worker threads, at least 1 [default: every core].
    #[arg(short = 'j', long, value_parser = at_least_one_thread)]
    threads: Option<usize>,
    /// Output folder [default: output/<sweep name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Discard what the output folder holds and start again.
    #[arg(long)]
    force: bool,
    /// Run shard I of N (0-based) and write a shard file; I may be `env` to read
    /// SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Write a Slurm array script for N shards (and a README) into OUT/slurm/ after checking the
    /// spec and the output folder; runs nothing. Submit it with sbatch, then `chokepoint merge`.
    #[arg(long, value_name = "N", conflicts_with_all = ["shard", "stop_after", "force", "threads"])]
    emit_slurm: Option<usize>,
    /// Stop as if interrupted after this many runs (for testing resumption).
    #[arg(long, hide = true)]
    stop_after: Option<usize>,
    /// Skip the default charts (drawn when a whole sweep completes).
    #[arg(long)]
    no_plots: bool,
    /// Resolution of the PNG charts, in pixels per inch.
    #[arg(long, default_value_t = 300, value_parser = dpi_in_range)]
    dpi: u32,
}

#[derive(Args)]
struct EffectArgs {
    /// The effect spec (.ron); docs/EFFECTS.md describes the format.
    spec: PathBuf,
    /// Worker threads, at least 1 [default: every core].
    #[arg(short = 'j', long, value_parser = at_least_one_thread)]
    threads: Option<usize>,
    /// Replace the spec's number of replicates (at least 2: the intervals need two).
    #[arg(long, value_parser = at_least_two_replicates)]
    replicates: Option<usize>,
    #[command(flatten)]
    result: ResultArgs,
}

#[derive(Args)]
struct CompareArgs {
    /// The baseline run folder (written by `chokepoint run`).
    baseline: PathBuf,
    /// The variant run folder: the counterfactual.
    variant: PathBuf,
    /// Output folder [default: output/compare_<baseline>_vs_<variant>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it already holds results.
    #[arg(long)]
    force: bool,
    /// Skip the difference charts.
    #[arg(long)]
    no_plots: bool,
    /// Resolution of the PNG charts, in pixels per inch.
    #[arg(long, default_value_t = 300, value_parser = dpi_in_range)]
    dpi: u32,
}

#[derive(Args)]
struct MergeArgs {
    /// Folders holding shard files (shard-I-of-N.txt), or the files themselves.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    result: ResultArgs,
}

#[derive(Args)]
struct ValidateArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
}

/// `plot --format`: which files to write.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    /// Vector SVG only.
    Svg,
    /// PNG only (at --dpi, 300 by default).
    Png,
    /// SVG and PNG.
    Both,
    /// Vector PDF, font embedded (needs a build with `--features pdf`).
    Pdf,
}

impl From<FormatArg> for OutputFormat {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Svg => OutputFormat::Svg,
            FormatArg::Png => OutputFormat::Png,
            FormatArg::Both => OutputFormat::Both,
            FormatArg::Pdf => OutputFormat::Pdf,
        }
    }
}

/// `plot --preset`: the figure's printed width.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum PresetArg {
    /// A journal's single column, 3.5 in.
    OneColumn,
    /// A full page width, 7 in.
    TwoColumn,
}

impl From<PresetArg> for SizePreset {
    fn from(preset: PresetArg) -> Self {
        match preset {
            PresetArg::OneColumn => SizePreset::OneColumn,
            PresetArg::TwoColumn => SizePreset::TwoColumn,
        }
    }
}

/// `--threads N` of `sweep` and `effect`: a whole number of at least 1.
fn at_least_one_thread(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("--threads must be at least 1 (leave it out to use every core)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number of threads")),
    }
}

/// `--dpi N`: PNG pixels per inch, from a screen's 50 to a print shop's 2000.
fn dpi_in_range(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(dpi) if (50..=2000).contains(&dpi) => Ok(dpi),
        Ok(dpi) => Err(format!(
            "{dpi} dpi is out of range: give 50 to 2000 (300 is print quality)"
        )),
        Err(_) => Err(format!("`{text}` is not a whole number of pixels per inch")),
    }
}

/// The default charts at `dpi` pixels per inch: vector SVG plus PNG, one column wide.
fn charts_at(dpi: u32) -> PlotRequest {
    PlotRequest {
        png_scale: f64::from(dpi) / 100.0,
        ..PlotRequest::default()
    }
}

/// What a command prints besides errors and warnings (which are always printed): `-q` silences
/// progress, notes and the one-line summary, as `cargo -q` does.
#[derive(Clone, Copy)]
struct Ui {
    quiet: bool,
}

impl Ui {
    /// A note or progress line on stderr.
    fn info(self, line: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// The command's one-line result on stdout (`DIR  N rows  N charts  T s`), for scripts and
    /// for a glance.
    fn summary(self, parts: &[String]) {
        if !self.quiet {
            outln!("{}", parts.join("  "));
        }
    }
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// The summary's chart field: how many files were drawn (0 when skipped or when drawing failed, which a
/// warning explains).
fn charts_part(charts: &Result<usize, String>) -> String {
    count(*charts.as_ref().unwrap_or(&0), "chart file")
}

/// The summary's time field: the command's wall time so far, charts included.
fn seconds_part(started: std::time::Instant) -> String {
    format!("{:.1} s", started.elapsed().as_secs_f64())
}

/// `effect --replicates N`: a whole number of at least 2, since the bootstrap intervals need two.
fn at_least_two_replicates(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n < 2 => Err(format!(
            "{n} is too few: the bootstrap intervals need at least 2 replicates"
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number of replicates")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), CommandError> {
    let ui = Ui { quiet: cli.quiet };
    match cli.command {
        Command::Run(args) => run(args, ui),
        Command::Validate(args) => validate(args, ui),
        Command::Plot(args) => plot(args, ui),
        Command::Sweep(args) => run_sweep(args, ui),
        Command::Merge(args) => merge(args, ui),
        Command::Effect(args) => run_effect(args, ui),
        Command::Compare(args) => run_compare(args, ui),
        Command::Scenarios(args) => match args.show {
            Some(name) => show_scenario(&name),
            None => {
                list_scenarios();
                Ok(())
            }
        },
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "chokepoint",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Metrics { format } => {
            print_catalogue(format);
            Ok(())
        }
        Command::Params { filter } => {
            list_params(filter.as_deref());
            Ok(())
        }
    }
}

fn parse_overrides(args: &ScenarioArgs) -> Result<Overrides, CommandError> {
    let mut parameters = Vec::new();
    for item in &args.set {
        let Some((path, value)) = item.split_once('=') else {
            return Err(CommandError::bad_input(format!(
                "--set {item}: expected PATH=VALUE, e.g. --set learning.wright_learning_rate=0.25"
            )));
        };
        parameters.push((path.trim().to_string(), ParamValue::parse_cli(value)));
    }
    Ok(Overrides {
        seed: args.seed,
        ticks: args.ticks,
        parameters,
    })
}

fn load(args: &ScenarioArgs, ui: Ui) -> Result<(scenario::Loaded, Overrides), CommandError> {
    let overrides = parse_overrides(args)?;
    let source = scenario::resolve_source(args.scenario.as_deref())?;
    if let Some(note) = args
        .scenario
        .as_deref()
        .and_then(|arg| scenario::load::collision_note(arg, &source))
    {
        if note.warning {
            eprintln!("warning: {}", note.text);
        } else {
            ui.info(format!("note: {}", note.text));
        }
    }
    let loaded = scenario::load(&source, &overrides)?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    Ok((loaded, overrides))
}

/// `scenario.ron` (or `a.ron`, extending `<bundled>/b.ron`): what was read, for notes.
fn describe_source(loaded: &scenario::Loaded) -> String {
    let mut text = loaded.source.display();
    if !loaded.extends.is_empty() {
        let chain: Vec<String> = loaded.extends.iter().map(|s| s.display()).collect();
        text.push_str(&format!(", extending {}", chain.join(" → ")));
    }
    text
}

fn run(args: RunArgs, ui: Ui) -> Result<(), CommandError> {
    let started = std::time::Instant::now();
    if args.format == TableFormat::Parquet {
        chokepoint::output::parquet_available().map_err(CommandError::bad_input)?;
    }
    let (loaded, overrides) = load(&args.scenario, ui)?;
    // Bad --metrics or --dates are the user's first problem to hear about, before the folder.
    let selection = args.selection.selection(&loaded.scenario)?;
    // The default folder: output/<name>, with a suffix for --seed, --ticks and --set
    // (runner::folder::run_folder_name), so a variant never collides with the plain run.
    let out = args.result.out.unwrap_or_else(|| {
        folder::result_dir(
            None,
            &folder::run_folder_name(&loaded.scenario.name, &overrides),
        )
    });
    refuse_existing(&out, args.result.force)?;
    let request = single::RunRequest {
        out: Some(out),
        force: args.result.force,
        command_line: std::env::args().collect(),
        plots: (!args.result.no_plots).then(|| charts_at(args.result.dpi)),
        selection,
        parquet: args.format == TableFormat::Parquet,
    };
    let summary = single::execute(&loaded, &request)?;
    if summary.rows == 0 {
        // Nothing to draw, and the chart error would only name the staging folder.
        eprintln!(
            "warning: no rows were recorded: the metrics kept have no rows in this scenario \
             (`chokepoint metrics` says which entities each one needs; `compliance`, for one, \
             exists only where some state controls exports); {} holds the empty tables",
            summary.dir.display()
        );
    } else if let Err(e) = &summary.charts {
        eprintln!(
            "warning: charts not drawn ({e}); the results are complete — try `chokepoint plot {}`",
            summary.dir.display()
        );
    }
    ui.info(format!(
        "ran `{}` (seed {}, {}) from {}",
        loaded.scenario.name,
        loaded.scenario.seed,
        count(loaded.scenario.ticks as usize, "tick"),
        describe_source(&loaded)
    ));
    ui.summary(&[
        summary.dir.display().to_string(),
        count(summary.rows, "row"),
        charts_part(&summary.charts),
        seconds_part(started),
    ]);
    Ok(())
}

/// Refuses, before anything runs, an output folder that already holds results, naming the two
/// ways on: `--force` to replace them, or an `--out` that is free.
fn refuse_existing(out: &std::path::Path, force: bool) -> Result<(), CommandError> {
    if force || !chokepoint::output::files::is_nonempty_dir(out) {
        return Ok(());
    }
    let free = (2..)
        .map(|n| {
            let mut name = out.file_name().unwrap_or_default().to_os_string();
            name.push(format!("-{n}"));
            out.with_file_name(name)
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| out.join("new"));
    Err(CommandError::bad_input(format!(
        "output folder `{}` already holds results; pass --force to replace them, or \
         --out {} to keep both",
        out.display(),
        free.display()
    )))
}

fn plot(args: PlotArgs, ui: Ui) -> Result<(), CommandError> {
    if args.list {
        let charts = available_charts(&args.dir)?;
        for c in charts {
            outln!("{:<32} {}", c.name, c.description);
        }
        return Ok(());
    }
    let png_scale = match args.scale {
        Some(scale) => {
            if !(scale.is_finite() && scale > 0.0 && scale <= 20.0) {
                return Err(CommandError::bad_input(format!(
                    "--scale {scale} must be between 0 and 20 (3 = 300 dpi); better, use --dpi"
                )));
            }
            eprintln!(
                "warning: --scale is deprecated and will be removed; use --dpi {:.0}",
                scale * 100.0
            );
            scale
        }
        None => f64::from(args.dpi) / 100.0,
    };
    let request = PlotRequest {
        format: args.format.into(),
        out_dir: args.out,
        only: args.only,
        preset: args.preset.into(),
        png_scale,
        titles: args.titles,
        market: args.market,
        states: args.states,
        firms: args.firms,
        metrics: args.metrics,
        point: args.point,
    };
    let files = plot_directory(&args.dir, &request)?;
    ui.info(format!(
        "wrote {} into {}",
        count(files.len(), "chart file"),
        request
            .out_dir
            .clone()
            .unwrap_or_else(|| args.dir.join("charts"))
            .display()
    ));
    Ok(())
}

fn run_sweep(args: SweepArgs, ui: Ui) -> Result<(), CommandError> {
    let started = std::time::Instant::now();
    if let Some(shards) = args.emit_slurm {
        return emit_slurm(args.spec, shards, args.out, ui);
    }
    let shard = args
        .shard
        .as_deref()
        .map(|text| sweep::parse_shard(text, |var| std::env::var(var).ok()))
        .transpose()
        .map_err(CommandError::bad_input)?;
    let request = sweep::SweepRequest {
        spec: args.spec,
        out: args.out,
        force: args.force,
        threads: args.threads,
        shard,
        stop_after: args.stop_after,
        progress: !ui.quiet,
    };
    let done = sweep::execute(&request)?;
    let charts = if done.shard_file.is_none() && !args.no_plots {
        draw_default_charts(&done.dir, args.dpi)
    } else {
        Ok(0)
    };
    let place = match &done.shard_file {
        Some(file) => file.display().to_string(),
        None => done.dir.display().to_string(),
    };
    if done.already_complete {
        ui.info(format!(
            "already complete: {place} (pass --force to run it again)"
        ));
    } else {
        ui.info(format!(
            "ran {} of {} in {:.2} s ({} resumed from the journal)",
            done.ran_now,
            count(done.runs, "run"),
            done.seconds,
            done.runs - done.ran_now
        ));
    }
    if done.shard_file.is_none() && args.no_plots {
        ui.info(format!(
            "charts not drawn (--no-plots): `chokepoint plot {}` draws them",
            done.dir.display()
        ));
    }
    let mut parts = vec![place, count(done.runs, "run")];
    if done.shard_file.is_none() {
        parts.push(charts_part(&charts));
    }
    parts.push(seconds_part(started));
    ui.summary(&parts);
    Ok(())
}

/// `sweep --emit-slurm N`: checks everything on the login node, writes the array script.
fn emit_slurm(
    spec: PathBuf,
    shards: usize,
    out: Option<PathBuf>,
    ui: Ui,
) -> Result<(), CommandError> {
    let binary = std::env::current_exe().map_err(|e| {
        CommandError::failure(format!(
            "cannot find the path of this chokepoint binary: {e}"
        ))
    })?;
    let done = chokepoint::runner::slurm::emit(&chokepoint::runner::slurm::EmitRequest {
        spec,
        shards,
        out,
        binary,
    })?;
    ui.info(format!(
        "sweep `{}` checked: {} in {} of about {}; wrote {} and {}",
        done.name,
        count(done.runs, "run"),
        count(shards, "shard"),
        count(done.runs.div_ceil(shards), "run"),
        done.script.display(),
        done.readme.display()
    ));
    ui.info("submit it with (edit its #SBATCH lines first if needed):");
    outln!("sbatch {}", done.script.display());
    Ok(())
}

/// Draws a finished folder's default charts into `charts/`; a failure is a warning, since the
/// results themselves are complete.
fn draw_default_charts(dir: &std::path::Path, dpi: u32) -> Result<usize, String> {
    chokepoint::runner::draw_charts_into(dir, &charts_at(dpi)).inspect_err(|e| {
        eprintln!(
            "warning: charts not drawn ({e}); the results are complete — try `chokepoint plot {}`",
            dir.display()
        );
    })
}

fn run_compare(args: CompareArgs, ui: Ui) -> Result<(), CommandError> {
    use chokepoint::runner::compare::{CompareError, CompareRequest, execute};
    let started = std::time::Instant::now();
    let request = CompareRequest {
        out: args.out,
        force: args.force,
        command_line: std::env::args().collect(),
        plots: (!args.no_plots).then(|| charts_at(args.dpi)),
    };
    let done = execute(&args.baseline, &args.variant, &request).map_err(|e| match e {
        CompareError::Output(e) => CommandError::from(e),
        other => CommandError::bad_input(other),
    })?;
    if let Err(e) = &done.charts {
        eprintln!("warning: charts not drawn ({e}); comparison.csv is complete");
    }
    ui.summary(&[
        done.dir.display().to_string(),
        format!("{} ({} differ)", count(done.rows, "row"), done.differing),
        charts_part(&done.charts),
        seconds_part(started),
    ]);
    Ok(())
}

fn run_effect(args: EffectArgs, ui: Ui) -> Result<(), CommandError> {
    let started = std::time::Instant::now();
    use chokepoint::labels::FULL_MODEL;
    use chokepoint::runner::effect::{EffectRequest, execute};
    let request = EffectRequest {
        out: args.result.out,
        force: args.result.force,
        threads: args.threads,
        command_line: std::env::args().collect(),
        plots: (!args.result.no_plots).then(|| charts_at(args.result.dpi)),
        progress: !ui.quiet,
        replicates: args.replicates,
    };
    let done = execute(&args.spec, &request)?;
    if let Err(e) = &done.charts {
        eprintln!(
            "warning: charts not drawn ({e}); the results are complete — try `chokepoint plot`"
        );
    }
    for (_, outcome, verdict) in done.verdicts.iter().filter(|(a, _, _)| a == FULL_MODEL) {
        ui.info(format!(
            "{outcome}: {} (full model; summary.md says why, verdict.json has every ablation)",
            verdict.name()
        ));
    }
    ui.summary(&[
        done.dir.display().to_string(),
        count(done.runs, "run"),
        charts_part(&done.charts),
        seconds_part(started),
    ]);
    Ok(())
}

fn merge(args: MergeArgs, ui: Ui) -> Result<(), CommandError> {
    let done = sweep::merge(&sweep::MergeRequest {
        inputs: args.inputs,
        out: args.result.out,
        force: args.result.force,
    })?;
    ui.info(format!(
        "merged {} ({}) into {}",
        count(done.shards, "shard"),
        count(done.runs, "run"),
        done.dir.display()
    ));
    if !args.result.no_plots {
        // A failure is already reported as a warning; the merged results are complete.
        let _ = draw_default_charts(&done.dir, args.result.dpi);
    }
    Ok(())
}

fn validate(args: ValidateArgs, ui: Ui) -> Result<(), CommandError> {
    let (loaded, _) = load(&args.scenario, ui)?;
    let s = &loaded.scenario;
    outln!(
        "ok: `{}` is valid — {}, {}, {}, {}, {}, {} from {} (read {})",
        s.name,
        count(s.sectors.len(), "sector"),
        count(s.states.len(), "state"),
        count(s.firms.len(), "firm"),
        count(s.alliances.len(), "alliance"),
        count(s.events.len(), "event"),
        count(s.ticks as usize, "tick"),
        s.start,
        describe_source(&loaded)
    );
    Ok(())
}

/// `scenarios --show NAME`: the bundled file as shipped, to copy and edit.
fn show_scenario(name: &str) -> Result<(), CommandError> {
    match scenario::load::bundled_text(name) {
        Some(text) => {
            out!("{text}");
            Ok(())
        }
        None => Err(CommandError::bad_input(format!(
            "no bundled scenario `{name}`; the bundled scenarios are: {}",
            scenario::load::bundled_names().join(", ")
        ))),
    }
}

fn list_scenarios() {
    for (file, text) in BUNDLED {
        let name = file.trim_end_matches(".ron");
        let description = scenario::load_str(file, text, &Overrides::default())
            .map(|s| s.description)
            .unwrap_or_else(|e| format!("(does not load: {})", e.message));
        outln!("{name:<28} {description}");
    }
}

fn list_params(filter: Option<&str>) {
    for (path, value) in Parameters::default().to_flat() {
        if filter.is_none_or(|f| path.contains(f)) {
            outln!("{path:<52} {value}");
        }
    }
}

// ---- What a run keeps (`run --metrics/--every`) and the metric catalogue (`chokepoint metrics`).

/// `run --metrics LIST --every N | --dates LIST`: which rows `metrics.csv` keeps.
#[derive(Args)]
struct SelectionArgs {
    /// Keep only these metrics (comma-separated); `chokepoint metrics` lists them.
    #[arg(long, value_name = "LIST")]
    metrics: Option<String>,
    /// Keep every Nth tick (0, N, 2N, …) and the last one.
    #[arg(long, value_name = "N", value_parser = at_least_one_tick)]
    every: Option<u32>,
    /// Keep the ticks of these dates (comma-separated YYYY-MM or YYYY-MM-DD; YYYY = that year's
    /// first tick; `yearly` = each year's first tick and the last tick).
    #[arg(long, value_name = "LIST", conflicts_with = "every")]
    dates: Option<String>,
}

impl SelectionArgs {
    /// The model's selection for a run of `scenario`.
    fn selection(&self, scenario: &Scenario) -> Result<Selection, CommandError> {
        let metrics = self
            .metrics
            .as_deref()
            .map(|list| {
                Metric::parse_list(list)
                    .map_err(|e| CommandError::bad_input(format!("--metrics: {e}")))
            })
            .transpose()?;
        let ticks = match (&self.dates, self.every) {
            (Some(list), _) => Some(
                ticks::ticks_of_dates(scenario, list)
                    .map_err(|e| CommandError::bad_input(format!("--dates: {e}")))?,
            ),
            (None, every) => every.map(|n| ticks::every_nth_tick(scenario.ticks, n)),
        };
        Ok(Selection { metrics, ticks })
    }
}

/// `--every N`: a whole number of at least 1.
fn at_least_one_tick(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err("--every must be at least 1 (1 keeps every tick)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number of ticks")),
    }
}

/// `run --format`: the table formats of the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum TableFormat {
    /// metrics.csv only.
    Csv,
    /// metrics.parquet beside metrics.csv (needs the `parquet` cargo feature).
    Parquet,
}

/// `chokepoint metrics --format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum CatalogueFormat {
    /// Aligned columns for reading.
    Table,
    /// CSV, the same as a run's metrics_catalogue.csv.
    Csv,
    /// The Markdown table docs/OUTPUTS.md carries.
    Markdown,
}

fn print_catalogue(format: CatalogueFormat) {
    match format {
        CatalogueFormat::Table => out!("{}", catalogue::catalogue_table()),
        CatalogueFormat::Csv => out!("{}", tidy::metrics_catalogue_csv(&Metric::ALL)),
        CatalogueFormat::Markdown => out!("{}", catalogue::catalogue_markdown()),
    }
}
