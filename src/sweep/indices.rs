//! The sensitivity indices of a finished sweep: the replicate mean of every design point and
//! outcome column, then Sobol' first-order and total indices (Saltelli designs, with bootstrap
//! intervals) or Morris elementary-effect statistics (Morris designs) per outcome column. Pure
//! computation over the runs' kept outcomes; `output::sweep` only writes the rows. The
//! estimators themselves are in [`super::sensitivity`].

use super::design::DesignError;
use super::plan::{Layout, Plan, purpose_rng};
use super::sensitivity::{morris_indices, output_note, sobol_indices};
use super::stats;

/// One index of one varied parameter for one outcome column (a row of `sensitivity.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct IndexEstimate {
    /// The varied parameter, as an index into [`Plan::factors`].
    pub factor: usize,
    /// `S1`, `ST` (Sobol') or `mu_star`, `sigma`, `mu` (Morris).
    pub index: &'static str,
    /// The estimate; NaN when it could not be computed.
    pub estimate: f64,
    /// Lower end of the bootstrap interval (Sobol'); NaN otherwise.
    pub low: f64,
    /// Upper end of the bootstrap interval (Sobol'); NaN otherwise.
    pub high: f64,
    /// Why the estimate is missing, or empty.
    pub note: String,
}

/// The replicate mean of each design point and outcome column, points × columns in point-major
/// order: the estimators see one output per point. A value missing (NaN) in any replicate leaves
/// the mean missing. `values_of(run)` yields a run's kept outcomes; runs are read in run order.
pub fn point_means<E>(
    plan: &Plan,
    mut values_of: impl FnMut(usize) -> Result<Vec<f64>, E>,
) -> Result<Vec<f64>, E> {
    let reps = plan.spec.replicates as usize;
    let columns = plan.columns.len();
    let mut means = vec![0.0; plan.points.len() * columns];
    let mut replicates: Vec<Vec<f64>> = Vec::with_capacity(reps);
    let mut column_values = Vec::with_capacity(reps);
    for point in 0..plan.points.len() {
        replicates.clear();
        for run in point * reps..(point + 1) * reps {
            replicates.push(values_of(run)?);
        }
        for c in 0..columns {
            column_values.clear();
            column_values.extend(replicates.iter().map(|r| r[c]));
            means[point * columns + c] = if column_values.iter().any(|v| v.is_nan()) {
                f64::NAN
            } else {
                stats::mean(&column_values)
            };
        }
    }
    Ok(means)
}

/// The indices of outcome column `column`, factor by factor (Sobol': `S1`, `ST`; Morris:
/// `mu_star`, `sigma`, `mu`), from the point means of [`point_means`]. Empty for designs
/// without sensitivity structure. An estimator's refusal becomes NaN estimates with a note.
pub fn column_indices(plan: &Plan, column: usize, means: &[f64]) -> Vec<IndexEstimate> {
    let columns = plan.columns.len();
    let y: Vec<f64> = (0..plan.points.len())
        .map(|point| means[point * columns + column])
        .collect();
    let nan = f64::NAN;
    let missing = |factor: usize, index: &'static str, note: &str| IndexEstimate {
        factor,
        index,
        estimate: nan,
        low: nan,
        high: nan,
        note: note.to_string(),
    };
    let mut rows = Vec::new();
    // Diagnostics go in the note: a near-constant output first, then each index's own.
    let output = output_note(&y);
    let note = |own: Vec<String>| -> String {
        output
            .iter()
            .cloned()
            .chain(own)
            .collect::<Vec<_>>()
            .join("; ")
    };
    match &plan.layout {
        Layout::Plain => {}
        Layout::Saltelli(design) => {
            let mut rng = purpose_rng("bootstrap", plan.spec.seed, column as u64);
            let result = sobol_indices(
                design,
                &y,
                plan.sensitivity.bootstrap,
                plan.sensitivity.confidence,
                &mut rng,
            );
            for factor in 0..plan.factors.len() {
                match &result {
                    Ok(idx) => {
                        let (n1, nt) = idx[factor].notes();
                        for (index, e, own) in [
                            ("S1", idx[factor].first_order, n1),
                            ("ST", idx[factor].total, nt),
                        ] {
                            rows.push(IndexEstimate {
                                factor,
                                index,
                                estimate: e.estimate,
                                low: e.low,
                                high: e.high,
                                note: note(own),
                            });
                        }
                    }
                    Err(e) => {
                        let note = note_of(e);
                        rows.push(missing(factor, "S1", &note));
                        rows.push(missing(factor, "ST", &note));
                    }
                }
            }
        }
        Layout::Morris(design) => {
            let result = morris_indices(design, &y);
            for factor in 0..plan.factors.len() {
                match &result {
                    Ok(idx) => {
                        let m = idx[factor];
                        for (index, estimate) in
                            [("mu_star", m.mu_star), ("sigma", m.sigma), ("mu", m.mu)]
                        {
                            rows.push(IndexEstimate {
                                estimate,
                                ..missing(factor, index, &note(Vec::new()))
                            });
                        }
                    }
                    Err(e) => {
                        let note = note_of(e);
                        for index in ["mu_star", "sigma", "mu"] {
                            rows.push(missing(factor, index, &note));
                        }
                    }
                }
            }
        }
    }
    rows
}

/// Why an estimator refused, in the words `sensitivity.csv` uses.
fn note_of(e: &DesignError) -> String {
    match e {
        DesignError::NonFiniteOutput { .. } => {
            "not recorded in every run (the metric is undefined for some runs)".into()
        }
        DesignError::ZeroVariance => "the outcome did not vary: indices are undefined".into(),
        other => other.to_string(),
    }
}
