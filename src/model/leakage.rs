//! Leakage (docs/MODEL.md, "Leakage"): of the demand a control blocks, a share still reaches the
//! blocked supplier through gray markets and transshipment hubs. The share grows as networks
//! form after the control, rises with the gray-market premium (itself raised by shortage), and
//! falls with enforcement (raised by anti-transshipment agreements).

use crate::scenario::params::LeakageParams;

/// The gray-market premium over the market price, as a share of it: the base premium raised by the
/// target market's shortage (its unmet share of demand), `premium × (1 + shortage)`.
pub fn gray_premium(p: &LeakageParams, shortage: f64) -> f64 {
    p.premium * (1.0 + shortage.clamp(0.0, 1.0))
}

/// Share of blocked demand that leaks:
/// `max_share × (1 − e^(−months/τ)) × premium/(premium + k) × (1 − enforcement)`, with the
/// premium from [`gray_premium`].
pub fn leak_fraction(
    p: &LeakageParams,
    months_since_control: f64,
    shortage: f64,
    enforcement: f64,
) -> f64 {
    let networks = 1.0 - (-months_since_control / p.network_build_months).exp();
    let premium = gray_premium(p, shortage);
    let pull = premium / (premium + p.premium_half_saturation);
    (p.max_share * networks * pull * (1.0 - enforcement.clamp(0.0, 1.0))).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::params::Parameters;

    #[test]
    fn leakage_falls_as_enforcement_rises() {
        let p = Parameters::default().leakage;
        let shares: Vec<f64> = [0.0, 0.3, 0.6, 0.9, 1.0]
            .iter()
            .map(|&e| leak_fraction(&p, 24.0, 0.2, e))
            .collect();
        assert!(
            shares.windows(2).all(|w| w[1] < w[0] || w[1] == 0.0),
            "{shares:?}"
        );
        assert_eq!(shares[4], 0.0);
    }

    #[test]
    fn leakage_builds_up_after_a_control_and_rises_with_shortage() {
        let p = Parameters::default().leakage;
        assert_eq!(leak_fraction(&p, 0.0, 0.5, 0.3), 0.0);
        assert!(leak_fraction(&p, 6.0, 0.5, 0.3) < leak_fraction(&p, 36.0, 0.5, 0.3));
        assert!(leak_fraction(&p, 24.0, 0.0, 0.3) < leak_fraction(&p, 24.0, 0.8, 0.3));
        assert!(leak_fraction(&p, 1e6, 1.0, 0.0) <= p.max_share);
    }
}
