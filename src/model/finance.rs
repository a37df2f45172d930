//! Finance (docs/MODEL.md, "Finance and investment"): revenue, less levies on conditioned sales,
//! funds R&D, raised by state funds and by the home state's commitment. Capacity investment is in
//! `investment.rs`.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::{Books, Costs, Markets, Params, Roster, Structure};

/// System: sets R&D budgets.
pub fn finance_and_invest(
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    regime: Res<PolicyRegime>,
    markets: Res<Markets>,
    mut firms: Query<(&mut Books, &Costs)>,
) {
    let p = &params.0;
    // State funds are split among the state's firms in the funded sectors by revenue.
    let revenue: Vec<f64> = roster
        .firms
        .iter()
        .map(|&e| firms.get(e).expect("roster entity").0.revenue)
        .collect();
    let mut rd_subsidy = vec![0.0; roster.firms.len()];
    for (state, sectors, rd, _) in regime.funds() {
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
            rd_subsidy[j] += rd * share;
        }
    }
    for (j, &entity) in roster.firms.iter().enumerate() {
        let (mut books, costs) = firms.get_mut(entity).expect("roster entity");
        let sector = structure.firm_sector[j];
        let home = structure.firm_home[j];
        let levied: f64 = (0..structure.n_states)
            .map(|i| {
                regime.revenue_levy(home, sector, i) * markets.delivered[j][i] * costs.unit_cost
            })
            .sum();
        let boost = if p.mechanisms.target_commitment {
            1.0 + p.commitment.rd_boost * regime.commitment[home]
        } else {
            1.0
        };
        books.rd_budget = p.finance.rd_share_of_revenue * (books.revenue - levied).max(0.0) * boost
            + rd_subsidy[j];
    }
}
