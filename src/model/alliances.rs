//! Allied compliance as a collective-action game (docs/MODEL.md, "Allied compliance"): each
//! state chooses how far to follow a controller's export controls by weighing what its own
//! compliance adds to the coalition's effect — its share of the controlled supply that would
//! otherwise reach the target, given what the others already withhold — valued by its security
//! ties to the controller and its trust, plus the pressure of every channel (direct request, named
//! alliance) that asks it, against its own firms' revenue at stake in the target's market.
//! Free-riding emerges where others already cover the supply and the coalition's effect has
//! diminishing returns; it fails where an ally is pivotal. Nothing depends on the coalition's size
//! as such (Olson and Zeckhauser 1966; Hirshleifer 1983 on aggregation technologies; Farrell and
//! Newman 2019 on pivotal nodes). Trust falls with shocks and recovers; where the coalition
//! withholds too little, the controller may extend a control extraterritorially at a cost in
//! trust (switch `extraterritorial_escalation`).

use bevy_ecs::prelude::*;

use super::market::tool_dependence;
use super::policy::{ExportControl, Instrument, PolicyRegime};
use super::world::{
    Books, Capability, Capacity, Clock, Costs, FirmInfo, Markets, Params, Structure,
};
use crate::scenario::params::AllianceParams;

/// The states' security dependence [state][on whom], 0–1.
#[derive(Resource, Clone, Debug)]
pub struct SecurityTies(pub Vec<Vec<f64>>);

/// One firm's part in the compliance game, gathered from its components.
#[derive(Clone, Copy, Debug, Default)]
struct FirmStake {
    home: usize,
    sector: usize,
    capacity: f64,
    capability: f64,
    price: f64,
    revenue: f64,
}

/// The controlled supply of one control, split by who can withhold it.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlledSupply {
    /// Share of the supply the controller binds directly (its own or listed firms), 0–1.
    pub direct: f64,
    /// Share held by each state's other firms [state], 0–1.
    pub by_state: Vec<f64>,
    /// Yearly revenue each state's firms would earn from the control's destinations, $B/yr.
    pub at_stake_usd_b: Vec<f64>,
}

/// The coalition's effect of withholding share `w` of the controlled supply: `w^γ`.
pub fn coalition_effect(w: f64, exponent: f64) -> f64 {
    w.clamp(0.0, 1.0).powf(exponent)
}

/// Share of a control's supply withheld, given each state's compliance [state] (the controller
/// withholds its own fully, within the licence rate).
pub fn withheld_share(supply: &ControlledSupply, compliance: &[f64], licence_rate: f64) -> f64 {
    let allies: f64 = supply
        .by_state
        .iter()
        .zip(compliance)
        .map(|(s, x)| s * x)
        .sum();
    (supply.direct + allies) * (1.0 - licence_rate)
}

/// What complying adds to the coalition's effect for state `a`: the effect with its share
/// withheld minus the effect without, the others' compliance given.
pub fn marginal_effect(
    supply: &ControlledSupply,
    compliance: &[f64],
    licence_rate: f64,
    a: usize,
    exponent: f64,
) -> f64 {
    let unlicensed = 1.0 - licence_rate;
    let with_others = withheld_share(supply, compliance, licence_rate)
        - supply.by_state[a] * compliance[a] * unlicensed;
    coalition_effect(with_others + supply.by_state[a] * unlicensed, exponent)
        - coalition_effect(with_others, exponent)
}

/// The logit (quantal) best response to a net benefit `net`, in revenue-share units.
pub fn best_response(net: f64, p: &AllianceParams) -> f64 {
    1.0 / (1.0 + (-net / p.response_scale).exp())
}

/// System: trust recovers; every state's compliance with each controller in force moves toward
/// its best response to the others' compliance; where the mechanism's switch is on, a controller
/// whose coalition withholds too little extends the control extraterritorially.
pub fn update_compliance(
    params: Res<Params>,
    structure: Res<Structure>,
    clock: Res<Clock>,
    ties: Res<SecurityTies>,
    markets: Res<Markets>,
    mut regime: ResMut<PolicyRegime>,
    firms: Query<(&FirmInfo, &Capacity, &Capability, &Costs, &Books)>,
) {
    // One change-detection borrow for the whole system, not one per access.
    let regime = &mut *regime;
    let p = &params.0.alliances;
    let n = structure.n_states;
    let dt = structure.dt_years;
    for row in regime.trust.iter_mut() {
        for t in row.iter_mut() {
            *t += (1.0 - *t) * (p.trust_recovery_per_year * dt).min(1.0);
        }
    }
    let mut controllers: Vec<usize> = regime.controls().map(|(_, c)| c.controller).collect();
    controllers.sort_unstable();
    controllers.dedup();
    if controllers.is_empty() {
        return;
    }
    if !params.0.mechanisms.allied_compliance {
        for &c in &controllers {
            for a in 0..n {
                regime.compliance[a][c] = p.fixed_compliance;
            }
        }
        return;
    }
    // Each firm's stake, addressed by its index so that sums do not depend on storage order.
    let mut stakes = vec![FirmStake::default(); structure.firm_home.len()];
    for (info, capacity, capability, costs, books) in &firms {
        stakes[info.index] = FirmStake {
            home: info.home,
            sector: info.sector,
            capacity: capacity.0,
            capability: capability.0,
            price: costs.unit_cost,
            revenue: books.revenue,
        };
    }
    let mut revenue = vec![0.0; n];
    for f in &stakes {
        revenue[f.home] += f.revenue;
    }
    let step = 1.0 - (-p.adjustment_per_year * dt).exp();
    let mut escalations: Vec<String> = Vec::new();
    for &c in &controllers {
        let controls: Vec<(String, ExportControl)> = regime
            .controls()
            .filter(|(_, x)| x.controller == c)
            .map(|(id, x)| (id.clone(), x.clone()))
            .collect();
        let compliance: Vec<f64> = (0..n).map(|a| regime.compliance[a][c]).collect();
        let mut benefit = vec![0.0; n];
        let mut at_stake = vec![0.0; n];
        let mut channels = vec![0u32; n];
        for (id, control) in &controls {
            let asked_through: Vec<u32> = (0..n).map(|a| regime.channels_for(id, a)).collect();
            let asked: Vec<bool> = asked_through.iter().map(|&c| c > 0).collect();
            let reached = |j: usize| {
                control.extraterritorial
                    && tool_dependence(&structure, &markets, j, c) >= p.de_minimis_tool_share
            };
            let supply = controlled_supply(control, &stakes, &markets, &asked, &reached);
            for a in 0..n {
                channels[a] = channels[a].max(asked_through[a]);
                if a == c {
                    continue;
                }
                benefit[a] += marginal_effect(
                    &supply,
                    &compliance,
                    control.licence_approval_rate,
                    a,
                    p.effect_exponent,
                );
                at_stake[a] += supply.at_stake_usd_b[a] * (1.0 - control.licence_approval_rate);
            }
            let withheld = withheld_share(&supply, &compliance, control.licence_approval_rate);
            let possible = 1.0 - control.licence_approval_rate;
            // The allies get time to respond before the controller judges them.
            let patient = f64::from(clock.tick.saturating_sub(control.since_tick)) * dt
                >= p.escalation_patience_years;
            if params.0.mechanisms.extraterritorial_escalation
                && !control.extraterritorial
                && asked.iter().any(|&a| a)
                && patient
                && possible > 0.0
                && withheld / possible < p.escalation_threshold_share
            {
                escalations.push(id.clone());
            }
        }
        for a in (0..n).filter(|&a| a != c) {
            let security = ties.0[a][c] * regime.trust[a][c];
            let exposure = if revenue[a] > 0.0 {
                (at_stake[a] / revenue[a]).min(1.0)
            } else {
                0.0
            };
            let net = p.security_value * security * benefit[a]
                + p.channel_pressure * f64::from(channels[a])
                - exposure
                - p.implementation_cost;
            let target = best_response(net, p);
            regime.compliance[a][c] += step * (target - regime.compliance[a][c]);
        }
    }
    for id in escalations {
        let controller = match regime.instruments.get_mut(&id) {
            Some(Instrument::Control(control)) => {
                control.extraterritorial = true;
                control.controller
            }
            _ => continue,
        };
        for a in 0..n {
            if regime.channels_for(&id, a) > 0 {
                let trust = &mut regime.trust[a][controller];
                *trust = (*trust - p.escalation_trust_cost).max(0.0);
            }
        }
    }
}

/// The supply a control could deny the target: capacity above the threshold in the controlled
/// sector, of firms outside the destinations. Split into what the controller binds directly, what
/// each other state's firms hold where the control can bind them (their state was asked, or the
/// control reaches them extraterritorially) — the rest backfills whatever the coalition does —
/// and the revenue each state's firms would earn from the destinations at the destinations'
/// share of the sector's demand.
fn controlled_supply(
    control: &ExportControl,
    stakes: &[FirmStake],
    markets: &Markets,
    asked: &[bool],
    reached: &dyn Fn(usize) -> bool,
) -> ControlledSupply {
    let n = asked.len();
    let k = control.sector;
    let (dest, all) = (0..n).fold((0.0, 0.0), |(d, t), i| {
        let x = markets.demand(k, i);
        (if control.destinations[i] { d + x } else { d }, t + x)
    });
    let destination_share = if all > 0.0 { dest / all } else { 0.0 };
    let mut direct = 0.0;
    let mut by_state = vec![0.0; n];
    let mut at_stake_usd_b = vec![0.0; n];
    let mut total = 0.0;
    for (j, f) in stakes.iter().enumerate() {
        if f.sector != k || control.destinations[f.home] || f.capability <= control.max_capability {
            continue;
        }
        total += f.capacity;
        if control.binds_directly(j, f.home) {
            direct += f.capacity;
        } else if asked[f.home] || reached(j) {
            by_state[f.home] += f.capacity;
            at_stake_usd_b[f.home] += f.capacity * f.price * destination_share;
        }
    }
    if total > 0.0 {
        direct /= total;
        by_state.iter_mut().for_each(|s| *s /= total);
    }
    ControlledSupply {
        direct,
        by_state,
        at_stake_usd_b,
    }
}
