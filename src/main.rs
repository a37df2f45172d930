//! The `chokepoint` command: parses the command line, hands off to the library, and maps errors
//! to messages and exit codes (2 = bad input, do not retry; 1 = failure while running).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use chokepoint::model::params::{ParamValue, Parameters};
use chokepoint::runner::{EXIT_BAD_INPUT, EXIT_FAILURE, single};
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
                  chokepoint validate my_scenario.ron         check a file without running it\n\n\
                  Exit codes: 0 success; 2 bad input (fix it; schedulers should not retry); 1 failure while running."
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
    /// List the bundled scenarios with their descriptions.
    #[command(after_help = "Example:\n  chokepoint scenarios")]
    Scenarios,
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

impl From<chokepoint::output::OutputError> for Failure {
    fn from(e: chokepoint::output::OutputError) -> Self {
        let code = match e {
            chokepoint::output::OutputError::NotEmpty(_) => EXIT_BAD_INPUT,
            _ => EXIT_FAILURE,
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
    Ok(scenario::load(&source, &overrides)?)
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let loaded = load(&args.scenario)?;
    let request = single::RunRequest {
        out: args.out,
        force: args.force,
        command_line: std::env::args().collect(),
    };
    let summary = single::execute(&loaded, &request)?;
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
