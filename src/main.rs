//! The `chokepoint` command: parses the command line, hands off to the library, and maps errors
//! to messages and exit codes (2 = bad input, do not retry; 1 = failure while running).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use chokepoint::charts::{OutputFormat, PlotRequest, SizePreset, available_charts, plot_directory};
use chokepoint::runner::{EXIT_BAD_INPUT, EXIT_FAILURE, single, sweep};
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
    /// Output folder [default: output/<scenario name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it already holds results.
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
    /// svg, png or both.
    #[arg(long, default_value = "both", value_parser = ["svg", "png", "both"])]
    format: String,
    /// Where to write the charts [default: DIR/charts].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Draw only these charts (comma-separated or repeated); `--list` shows the names.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Figure width: one-column (3.5 in) or two-column (7 in).
    #[arg(long, default_value = "one-column", value_parser = ["one-column", "two-column"])]
    preset: String,
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
    /// Worker threads [default: every core].
    #[arg(long)]
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
    /// Worker threads [default: every core].
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder [default: output/<effect name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the output folder if it already holds results.
    #[arg(long)]
    force: bool,
    /// Replace the spec's number of replicates.
    #[arg(long)]
    replicates: Option<usize>,
    /// Skip the default charts.
    #[arg(long)]
    no_plots: bool,
}

#[derive(Args)]
struct MergeArgs {
    /// Folders holding shard files (shard-I-of-N.txt), or the files themselves.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output folder [default: output/<sweep name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace what the output folder holds.
    #[arg(long)]
    force: bool,
    /// Skip the default charts.
    #[arg(long)]
    no_plots: bool,
}

#[derive(Args)]
struct ValidateArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
}

/// An error on its way to the user, with the exit code it maps to.
struct Failure {
    message: String,
    code: i32,
}

impl Failure {
    fn bad_input(message: impl std::fmt::Display) -> Self {
        Failure {
            message: message.to_string(),
            code: EXIT_BAD_INPUT,
        }
    }
}

impl From<scenario::ScenarioError> for Failure {
    fn from(e: scenario::ScenarioError) -> Self {
        Failure::bad_input(e)
    }
}

impl From<sweep::SweepError> for Failure {
    fn from(e: sweep::SweepError) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<single::RunError> for Failure {
    fn from(e: single::RunError) -> Self {
        match e {
            single::RunError::Output(e) => Failure::from(e),
            e @ single::RunError::NonFinite(_) => Failure::bad_input(e),
        }
    }
}

impl From<chokepoint::output::OutputError> for Failure {
    fn from(e: chokepoint::output::OutputError) -> Self {
        let code = if e.is_bad_input() {
            EXIT_BAD_INPUT
        } else {
            EXIT_FAILURE
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code as u8)
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args),
        Command::Plot(args) => plot(args),
        Command::Sweep(args) => run_sweep(args),
        Command::Merge(args) => merge(args),
        Command::Effect(args) => run_effect(args),
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

fn parse_overrides(args: &ScenarioArgs) -> Result<Overrides, Failure> {
    let mut parameters = Vec::new();
    for item in &args.set {
        let Some((path, value)) = item.split_once('=') else {
            return Err(Failure::bad_input(format!(
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

fn load(args: &ScenarioArgs) -> Result<scenario::Loaded, Failure> {
    let overrides = parse_overrides(args)?;
    let source = scenario::resolve_source(args.scenario.as_deref())?;
    let loaded = scenario::load(&source, &overrides)?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(loaded)
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let loaded = load(&args.scenario)?;
    let request = single::RunRequest {
        out: args.out,
        force: args.force,
        command_line: std::env::args().collect(),
        plots: (!args.no_plots).then(default_run_plots),
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

fn plot(args: PlotArgs) -> Result<(), Failure> {
    if args.list {
        let charts = available_charts(&args.dir).map_err(Failure::bad_input)?;
        for c in charts {
            println!("{:<32} {}", c.name, c.description);
        }
        return Ok(());
    }
    if !(args.scale.is_finite() && args.scale > 0.0 && args.scale <= 20.0) {
        return Err(Failure::bad_input(format!(
            "--scale {} must be between 0 and 20 (3 = 300 dpi)",
            args.scale
        )));
    }
    let request = PlotRequest {
        format: match args.format.as_str() {
            "svg" => OutputFormat::Svg,
            "png" => OutputFormat::Png,
            _ => OutputFormat::Both,
        },
        out_dir: args.out,
        only: args.only,
        preset: if args.preset == "two-column" {
            SizePreset::TwoColumn
        } else {
            SizePreset::OneColumn
        },
        png_scale: args.scale,
        titles: args.titles,
        market: args.market,
        states: args.states,
        firms: args.firms,
        metrics: args.metrics,
        point: args.point,
    };
    let files = plot_directory(&args.dir, &request).map_err(Failure::bad_input)?;
    eprintln!("wrote {} chart files", files.len());
    Ok(())
}

fn run_sweep(args: SweepArgs) -> Result<(), Failure> {
    if let Some(shards) = args.emit_slurm {
        return emit_slurm(args.spec, shards, args.out);
    }
    let shard = args
        .shard
        .as_deref()
        .map(|text| sweep::parse_shard(text, |var| std::env::var(var).ok()))
        .transpose()
        .map_err(Failure::bad_input)?;
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
fn emit_slurm(spec: PathBuf, shards: usize, out: Option<PathBuf>) -> Result<(), Failure> {
    let binary = std::env::current_exe().map_err(|e| Failure {
        message: format!("cannot find the path of this chokepoint binary: {e}"),
        code: EXIT_FAILURE,
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
    if let Err(e) = plot_directory(dir, &PlotRequest::default()) {
        eprintln!(
            "warning: charts not drawn ({e}); the results are complete — try `chokepoint plot {}`",
            dir.display()
        );
    }
}

fn run_effect(args: EffectArgs) -> Result<(), Failure> {
    use chokepoint::runner::effect::{EffectError, EffectRequest, execute};
    let request = EffectRequest {
        out: args.out,
        force: args.force,
        threads: args.threads,
        command_line: std::env::args().collect(),
        plots: (!args.no_plots).then(PlotRequest::default),
        progress: true,
        replicates: args.replicates,
    };
    let done = execute(&args.spec, &request).map_err(|e| match e {
        EffectError::Input(e) => Failure::bad_input(e),
        EffectError::Output(e) => Failure::from(e),
    })?;
    if let Err(e) = &done.charts {
        eprintln!(
            "warning: charts not drawn ({e}); the results are complete — try `chokepoint plot`"
        );
    }
    for (_, outcome, verdict) in done.verdicts.iter().filter(|(a, _, _)| a == "none") {
        eprintln!("{outcome}: {verdict:?} (full model; verdict.json has every ablation)");
    }
    eprintln!(
        "ran {} runs in {:.2} s: {}",
        done.runs,
        done.seconds,
        done.dir.display()
    );
    Ok(())
}

fn merge(args: MergeArgs) -> Result<(), Failure> {
    let done = sweep::merge(&sweep::MergeRequest {
        inputs: args.inputs,
        out: args.out,
        force: args.force,
    })?;
    eprintln!(
        "merged {} shards ({} runs) into {}",
        done.shards,
        done.runs,
        done.dir.display()
    );
    if !args.no_plots {
        draw_default_charts(&done.dir);
    }
    Ok(())
}

fn validate(args: ValidateArgs) -> Result<(), Failure> {
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
