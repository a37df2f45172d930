//! Allied compliance (docs/MODEL.md, "Allied compliance"): each state's compliance with a
//! controller's controls responds to its security dependence on the controller, its exposure to
//! the controls' destination markets (revenue at stake), the size of the coalition (collective
//! action; Olson and Zeckhauser 1966) and trust, which shocks lower and time restores.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::{Costs, Markets, Params, Roster, Structure};

/// The states' security dependence [state][on whom], 0–1.
#[derive(Resource, Clone, Debug)]
pub struct SecurityTies(pub Vec<Vec<f64>>);

/// System: updates trust and every state's compliance with each controller in force.
pub fn update_compliance(
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    ties: Res<SecurityTies>,
    markets: Res<Markets>,
    mut regime: ResMut<PolicyRegime>,
    costs: Query<&Costs>,
) {
    let p = &params.0.alliances;
    let n = structure.n_states;
    let dt = structure.dt_years;
    for row in regime.trust.iter_mut() {
        for t in row.iter_mut() {
            *t += (1.0 - *t) * (p.trust_recovery_per_year * dt).min(1.0);
        }
    }
    let mut controllers: Vec<(usize, Vec<bool>)> = Vec::new();
    for (_, c) in regime.controls() {
        match controllers.iter_mut().find(|(id, _)| *id == c.controller) {
            Some((_, dest)) => dest
                .iter_mut()
                .zip(&c.destinations)
                .for_each(|(d, x)| *d |= *x),
            None => controllers.push((c.controller, c.destinations.clone())),
        }
    }
    if controllers.is_empty() {
        return;
    }
    if !params.0.mechanisms.allied_compliance {
        for (c, _) in &controllers {
            for a in 0..n {
                regime.compliance[a][*c] = p.fixed_compliance;
            }
        }
        return;
    }
    // Revenue of each state's firms, in total and from each controller's destination markets.
    let mut revenue = vec![0.0; n];
    let mut exposed = vec![vec![0.0; n]; controllers.len()];
    for (j, &entity) in roster.firms.iter().enumerate() {
        let price = costs.get(entity).expect("roster entity").unit_cost;
        let home = structure.firm_home[j];
        for i in 0..n {
            let value = markets.delivered[j][i] * price;
            revenue[home] += value;
            for (x, (_, destinations)) in controllers.iter().enumerate() {
                if destinations[i] {
                    exposed[x][home] += value;
                }
            }
        }
    }
    for (x, (c, _)) in controllers.iter().enumerate() {
        let size = regime.coalition_size(*c) as f64;
        for a in (0..n).filter(|&a| a != *c) {
            let exposure = if revenue[a] > 0.0 {
                exposed[x][a] / revenue[a]
            } else {
                0.0
            };
            let z = p.intercept + p.security_weight * ties.0[a][*c]
                - p.exposure_weight * exposure
                - p.coalition_size_weight * size.ln()
                + p.trust_weight * (regime.trust[a][*c] - 1.0);
            regime.compliance[a][*c] = 1.0 / (1.0 + (-z).exp());
        }
    }
}
