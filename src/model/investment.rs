//! Capacity investment (docs/MODEL.md, "Capacity investment"): firms move capacity toward the
//! demand they expect after the lead time; expansion needs the capital inputs (tools) their home
//! market could deliver, outbound investment restrictions cut it and state funds' capacity
//! subsidies add to it. Each firm then plans next tick's output.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::{Books, Capacity, Params, Roster, Structure, Tools};

/// System: adjusts capacity and plans next tick's output.
pub fn invest_capacity(
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    regime: Res<PolicyRegime>,
    mut firms: Query<(&mut Books, &mut Capacity, &Tools)>,
) {
    let p = &params.0;
    let dt = structure.dt_years;
    let lead = p.finance.capacity_lead_time_years;
    let capacity_subsidy = fund_capacity_subsidies(&structure, &roster, &regime, &firms);
    for (j, &entity) in roster.firms.iter().enumerate() {
        let (mut books, mut capacity, tools) = firms.get_mut(entity).expect("roster entity");
        let sector = structure.firm_sector[j];
        let home = structure.firm_home[j];
        let growth = structure.sectors[sector].growth_per_year;
        let mut change = capacity_subsidy[j] * dt * tools.capital_fill;
        if p.mechanisms.capacity_investment {
            let desired =
                books.wanted * (1.0 + growth).powf(lead) / p.production.target_utilization;
            let adjust = (desired - capacity.0) * dt / lead;
            change += if adjust > 0.0 {
                adjust * tools.capital_fill * (1.0 - regime.expansion_cut(home, sector))
            } else {
                adjust.max(-p.finance.max_capacity_cut_per_year * dt * capacity.0)
            };
        }
        capacity.0 = (capacity.0 + change).max(0.0);
        books.planned = books.orders * (1.0 + growth).powf(dt);
    }
}

/// Each firm's capacity subsidy ($B/yr) from state funds: a fund's capacity money is split among
/// its state's firms in the funded sectors by revenue (equally when none has revenue).
fn fund_capacity_subsidies(
    structure: &Structure,
    roster: &Roster,
    regime: &PolicyRegime,
    firms: &Query<(&mut Books, &mut Capacity, &Tools)>,
) -> Vec<f64> {
    let revenue: Vec<f64> = roster
        .firms
        .iter()
        .map(|&e| firms.get(e).expect("roster entity").0.revenue)
        .collect();
    let mut subsidy = vec![0.0; roster.firms.len()];
    for (state, sectors, _, capacity) in regime.funds() {
        let recipients: Vec<usize> = (0..roster.firms.len())
            .filter(|&j| structure.firm_home[j] == state && sectors[structure.firm_sector[j]])
            .collect();
        let total: f64 = recipients.iter().map(|&j| revenue[j]).sum();
        for &j in &recipients {
            let share = if total > 0.0 {
                revenue[j] / total
            } else {
                1.0 / recipients.len() as f64
            };
            subsidy[j] += capacity * share;
        }
    }
    subsidy
}
