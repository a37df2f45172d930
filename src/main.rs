//! The `chokepoint` command: parses the command line, hands off to the library, and ends with the
//! library's one error type, whose exit codes are the table in `runner::error` (2 = bad input, do
//! not retry; 1 = failure while running or writing; 130 = interrupted, re-run to resume).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use chokepoint::charts::{OutputFormat, PlotRequest, SizePreset, available_charts, plot_directory};
use chokepoint::runner::{CommandError, single, sweep};
use chokepoint::scenario::params::{ParamValue, Parameters};
use chokepoint::scenario::{self, Overrides, load::BUNDLED};

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
    /// List the bundled scenarios with their descriptions.
    #[command(after_help = "Example:\n  chokepoint scenarios")]
    Scenarios,
    /// Redraw charts from a saved run, sweep or effect folder, without re-running.
    #[command(after_help = "Examples:\n  chokepoint plot output/baseline_2022\n  \
                            chokepoint plot output/baseline_2022 --only market_share_states_panels --format svg --preset two-column\n  \
                            chokepoint plot output/baseline_2022 --market US --states CN,US,TW --scale 6\n  \
                            chokepoint plot output/baseline_2022 --list   (what this folder can draw)")]
    Plot(PlotArgs),
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
    /// PNG resolution in hundreds of pixels per inch (3 = 300 dpi); every size scales with it.
    #[arg(long, default_value_t = 3.0)]
    scale: f64,
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
    #[arg(long, value_parser = at_least_one_thread)]
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
}

#[derive(Args)]
struct EffectArgs {
    /// The effect spec (.ron); docs/EFFECTS.md describes the format.
    spec: PathBuf,
    /// Worker threads, at least 1 [default: every core].
    #[arg(long, value_parser = at_least_one_thread)]
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
    /// PNG only (300 dpi at --scale 3).
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
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args),
        Command::Plot(args) => plot(args),
        Command::Sweep(args) => run_sweep(args),
        Command::Merge(args) => merge(args),
        Command::Effect(args) => run_effect(args),
        Command::Compare(args) => run_compare(args),
        Command::Scenarios => {
            list_scenarios();
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

fn load(args: &ScenarioArgs) -> Result<scenario::Loaded, CommandError> {
    let overrides = parse_overrides(args)?;
    let source = scenario::resolve_source(args.scenario.as_deref())?;
    let loaded = scenario::load(&source, &overrides)?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(loaded)
}

fn run(args: RunArgs) -> Result<(), CommandError> {
    let loaded = load(&args.scenario)?;
    let request = single::RunRequest {
        out: args.result.out,
        force: args.result.force,
        command_line: std::env::args().collect(),
        plots: (!args.result.no_plots).then(default_run_plots),
    };
    let summary = single::execute(&loaded, &request)?;
    if let Err(e) = &summary.charts {
        eprintln!(
            "warning: charts not drawn ({e}); the results are complete — try `chokepoint plot`"
        );
    }
    eprintln!(
        "ran `{}` (seed {}, {} ticks) in {:.2} s: {} metric rows in {}",
        loaded.scenario.name,
        loaded.scenario.seed,
        loaded.scenario.ticks,
        summary.seconds,
        summary.rows,
        summary.dir.display()
    );
    Ok(())
}

/// The charts `run` draws by default: vector SVG plus 300 dpi PNG, one column wide.
fn default_run_plots() -> PlotRequest {
    PlotRequest::default()
}

fn plot(args: PlotArgs) -> Result<(), CommandError> {
    if args.list {
        let charts = available_charts(&args.dir)?;
        for c in charts {
            println!("{:<32} {}", c.name, c.description);
        }
        return Ok(());
    }
    if !(args.scale.is_finite() && args.scale > 0.0 && args.scale <= 20.0) {
        return Err(CommandError::bad_input(format!(
            "--scale {} must be between 0 and 20 (3 = 300 dpi)",
            args.scale
        )));
    }
    let request = PlotRequest {
        format: args.format.into(),
        out_dir: args.out,
        only: args.only,
        preset: args.preset.into(),
        png_scale: args.scale,
        titles: args.titles,
        market: args.market,
        states: args.states,
        firms: args.firms,
        metrics: args.metrics,
        point: args.point,
    };
    let files = plot_directory(&args.dir, &request)?;
    eprintln!("wrote {} chart files", files.len());
    Ok(())
}

fn run_sweep(args: SweepArgs) -> Result<(), CommandError> {
    if let Some(shards) = args.emit_slurm {
        return emit_slurm(args.spec, shards, args.out);
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
    };
    let done = sweep::execute(&request)?;
    if done.shard_file.is_none() && !args.no_plots {
        draw_default_charts(&done.dir);
    }
    let place = match &done.shard_file {
        Some(file) => format!("shard file {}", file.display()),
        None => format!("{}", done.dir.display()),
    };
    if done.already_complete {
        eprintln!("already complete: {place} (pass --force to run it again)");
    } else {
        eprintln!(
            "ran {} of {} runs in {:.2} s ({} resumed from the journal): {place}",
            done.ran_now,
            done.runs,
            done.seconds,
            done.runs - done.ran_now
        );
    }
    if done.shard_file.is_none() {
        eprintln!("charts: chokepoint plot {}", done.dir.display());
    }
    Ok(())
}

/// `sweep --emit-slurm N`: checks everything on the login node, writes the array script.
fn emit_slurm(spec: PathBuf, shards: usize, out: Option<PathBuf>) -> Result<(), CommandError> {
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
    eprintln!(
        "sweep `{}` checked: {} runs in {shards} shards of about {} runs; wrote {} and {}",
        done.name,
        done.runs,
        done.runs.div_ceil(shards),
        done.script.display(),
        done.readme.display()
    );
    eprintln!("submit it with (edit its #SBATCH lines first if needed):");
    println!("sbatch {}", done.script.display());
    Ok(())
}

/// Draws a finished folder's default charts into `charts/`; a failure is a warning, since the
/// results themselves are complete.
fn draw_default_charts(dir: &std::path::Path) {
    if let Err(e) = chokepoint::runner::draw_charts_into(dir, &default_run_plots()) {
        eprintln!(
            "warning: charts not drawn ({e}); the results are complete — try `chokepoint plot {}`",
            dir.display()
        );
    }
}

fn run_compare(args: CompareArgs) -> Result<(), CommandError> {
    use chokepoint::runner::compare::{CompareError, CompareRequest, execute};
    let request = CompareRequest {
        out: args.out,
        force: args.force,
        command_line: std::env::args().collect(),
        plots: (!args.no_plots).then(PlotRequest::default),
    };
    let done = execute(&args.baseline, &args.variant, &request).map_err(|e| match e {
        CompareError::Output(e) => CommandError::from(e),
        other => CommandError::bad_input(other),
    })?;
    if let Err(e) = &done.charts {
        eprintln!("warning: charts not drawn ({e}); comparison.csv is complete");
    }
    eprintln!(
        "{} rows compared, {} differ: {}",
        done.rows,
        done.differing,
        done.dir.display()
    );
    Ok(())
}

fn run_effect(args: EffectArgs) -> Result<(), CommandError> {
    use chokepoint::labels::FULL_MODEL;
    use chokepoint::runner::effect::{EffectRequest, execute};
    let request = EffectRequest {
        out: args.result.out,
        force: args.result.force,
        threads: args.threads,
        command_line: std::env::args().collect(),
        plots: (!args.result.no_plots).then(PlotRequest::default),
        progress: true,
        replicates: args.replicates,
    };
    let done = execute(&args.spec, &request)?;
    if let Err(e) = &done.charts {
        eprintln!(
            "warning: charts not drawn ({e}); the results are complete — try `chokepoint plot`"
        );
    }
    for (_, outcome, verdict) in done.verdicts.iter().filter(|(a, _, _)| a == FULL_MODEL) {
        eprintln!(
            "{outcome}: {} (full model; summary.md says why, verdict.json has every ablation)",
            verdict.name()
        );
    }
    eprintln!(
        "ran {} runs in {:.2} s: {}",
        done.runs,
        done.seconds,
        done.dir.display()
    );
    Ok(())
}

fn merge(args: MergeArgs) -> Result<(), CommandError> {
    let done = sweep::merge(&sweep::MergeRequest {
        inputs: args.inputs,
        out: args.result.out,
        force: args.result.force,
    })?;
    eprintln!(
        "merged {} shards ({} runs) into {}",
        done.shards,
        done.runs,
        done.dir.display()
    );
    if !args.result.no_plots {
        draw_default_charts(&done.dir);
    }
    Ok(())
}

fn validate(args: ValidateArgs) -> Result<(), CommandError> {
    let loaded = load(&args.scenario)?;
    let s = &loaded.scenario;
    println!(
        "ok: `{}` is valid — {} sectors, {} states, {} firms, {} alliances, {} events, {} ticks from {}",
        s.name,
        s.sectors.len(),
        s.states.len(),
        s.firms.len(),
        s.alliances.len(),
        s.events.len(),
        s.ticks,
        s.start
    );
    Ok(())
}

fn list_scenarios() {
    for (file, text) in BUNDLED {
        let name = file.trim_end_matches(".ron");
        let description = scenario::load_str(file, text, &Overrides::default())
            .map(|s| s.description)
            .unwrap_or_else(|e| format!("(does not load: {})", e.message));
        println!("{name:<28} {description}");
    }
}

fn list_params(filter: Option<&str>) {
    for (path, value) in Parameters::default().to_flat() {
        if filter.is_none_or(|f| path.contains(f)) {
            println!("{path:<52} {value}");
        }
    }
}
