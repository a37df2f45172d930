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
