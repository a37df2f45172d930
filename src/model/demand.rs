//! Demand (docs/MODEL.md, "Demand"): final demand grows at each sector's rate; firms order inputs
//! for their planned output, plus what it takes to bring material stocks back to target, in their
//! home market.

use bevy_ecs::prelude::*;

use super::world::{Books, Clock, InputStocks, Markets, Params, Roster, Structure};
use crate::scenario::InputRole;

/// System: sets this tick's final and derived demand in every market.
pub fn update_demand(
    clock: Res<Clock>,
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    mut markets: ResMut<Markets>,
    mut firms: Query<(&Books, &mut InputStocks)>,
) {
    let years = f64::from(clock.tick) * structure.dt_years;
    for (k, sector) in structure.sectors.iter().enumerate() {
        let growth = (1.0 + sector.growth_per_year).powf(years);
        for (i, start) in sector.start_final_demand.iter().enumerate() {
            markets.final_demand[k][i] = start * growth;
        }
        markets.derived_demand[k].iter_mut().for_each(|d| *d = 0.0);
    }
    let stock_years = params.0.production.input_stock_months / 12.0;
    for (j, &entity) in roster.firms.iter().enumerate() {
        let (books, mut inputs) = firms.get_mut(entity).expect("roster entity");
        let sector = &structure.sectors[structure.firm_sector[j]];
        let home = structure.firm_home[j];
        for (n, input) in sector.inputs.iter().enumerate() {
            let use_rate = input.per_unit * books.planned;
            let order = match input.role {
                InputRole::Material if stock_years > 0.0 => {
                    let target = use_rate * stock_years;
                    (use_rate + (target - inputs.stock[n]) / stock_years).max(0.0)
                }
                _ => use_rate,
            };
            inputs.ordered[n] = order;
            markets.derived_demand[input.sector][home] += order;
        }
    }
}
