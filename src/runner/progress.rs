//! Progress of many runs on stderr: a bar with rate and ETA when stderr is a terminal, a plain
//! line every 5 seconds otherwise (batch logs and cluster jobs).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Progress on stderr: a bar with rate and ETA on a terminal, a plain line every 5 seconds
/// otherwise (batch logs); the caller reports the end.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    name: String,
    total: usize,
    done: usize,
    started_with: usize,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// Starts reporting: `name` names the job ("sweep lhs"), `done` of `total` are done already.
    pub fn new(name: &str, total: usize, done: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} runs · {per_sec} · ETA {eta}",
            ) {
                bar.set_style(style);
            }
            bar.set_message(name.to_string());
            bar.set_position(done as u64);
            bar.reset_eta();
            bar
        });
        Progress {
            bar,
            name: name.to_string(),
            total,
            done,
            started_with: done,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// One more run finished.
    pub fn advance(&mut self) {
        self.done += 1;
        match &self.bar {
            Some(bar) => bar.set_position(self.done as u64),
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(5) {
                    self.line();
                }
            }
        }
    }

    fn line(&mut self) {
        self.last_line = Instant::now();
        let seconds = self.started.elapsed().as_secs_f64();
        let ran = (self.done - self.started_with) as f64;
        let rate = if seconds > 0.0 { ran / seconds } else { 0.0 };
        let eta = if rate > 0.0 {
            format!("{:.0} s", (self.total - self.done) as f64 / rate)
        } else {
            "?".into()
        };
        eprintln!(
            "{}: {}/{} runs ({:.1}%), {rate:.0} runs/s, ETA {eta}",
            self.name,
            self.done,
            self.total,
            100.0 * self.done as f64 / self.total.max(1) as f64
        );
    }

    /// Clears the bar; the caller reports the outcome.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
