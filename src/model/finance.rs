//! Finance and investment (docs/MODEL.md, "Finance and investment"): revenue funds R&D; firms
//! move capacity toward the demand they expect after the lead time, and expansion needs the
//! capital inputs (tools) their home market could deliver.

use bevy_ecs::prelude::*;

use super::world::{Books, Capacity, Params, Roster, Structure, Tools};

/// System: sets R&D budgets, adjusts capacity and plans next tick's output.
pub fn finance_and_invest(
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    mut firms: Query<(&mut Books, &mut Capacity, &Tools)>,
) {
    let p = &params.0;
    let dt = structure.dt_years;
    let lead = p.finance.capacity_lead_time_years;
    for (j, &entity) in roster.firms.iter().enumerate() {
        let (mut books, mut capacity, tools) = firms.get_mut(entity).expect("roster entity");
        let growth = structure.sectors[structure.firm_sector[j]].growth_per_year;
        books.rd_budget = p.finance.rd_share_of_revenue * books.revenue;
        if p.mechanisms.capacity_investment {
            let desired =
                books.wanted * (1.0 + growth).powf(lead) / p.production.target_utilization;
            let change = (desired - capacity.0) * dt / lead;
            capacity.0 += if change > 0.0 {
                change * tools.capital_fill
            } else {
                change.max(-p.finance.max_capacity_cut_per_year * dt * capacity.0)
            };
        }
        books.planned = books.orders * (1.0 + growth).powf(dt);
    }
}
