//! Production (docs/MODEL.md, "Production and yield"): sectors produce upstream first; a firm's
//! output is its accepted orders, limited by the material inputs it received plus its stock, so a
//! shortage upstream (a mineral ban, a capacity squeeze) propagates down the bill of materials.
//! Capital inputs do not limit this tick's output; their delivery share feeds investment and the
//! tool base.

use bevy_ecs::prelude::*;

use super::world::{
    Books, Capability, Costs, InputStocks, Markets, Params, Roster, Structure, Tools,
};
use crate::scenario::InputRole;

/// System: produces and delivers, sector by sector in material order.
pub fn produce(
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    mut markets: ResMut<Markets>,
    mut firms: Query<(
        &Capability,
        &Costs,
        &mut Books,
        &mut InputStocks,
        &mut Tools,
    )>,
) {
    let p = &params.0;
    let dt = structure.dt_years;
    for &k in &structure.material_order {
        let sector = &structure.sectors[k];
        for &j in &structure.sector_firms[k] {
            let (_, costs, mut books, mut inputs, mut tools) =
                firms.get_mut(roster.firms[j]).expect("roster entity");
            let home = structure.firm_home[j];
            let mut output = books.orders;
            let mut capital_fill: f64 = 1.0;
            for (n, input) in sector.inputs.iter().enumerate() {
                let fill = markets.fill[input.sector][home];
                match input.role {
                    InputRole::Material => {
                        let available = inputs.stock[n] + inputs.ordered[n] * fill * dt;
                        if p.mechanisms.input_limits && input.per_unit > 0.0 {
                            output = output.min(available / (input.per_unit * dt));
                        }
                        inputs.stock[n] = available;
                    }
                    InputRole::Capital => capital_fill = capital_fill.min(fill),
                }
            }
            for (n, input) in sector.inputs.iter().enumerate() {
                if input.role == InputRole::Material {
                    inputs.stock[n] = (inputs.stock[n] - output * input.per_unit * dt).max(0.0);
                }
            }
            tools.capital_fill = capital_fill;
            let delivered_share = if books.orders > 0.0 {
                output / books.orders
            } else {
                0.0
            };
            for i in 0..structure.n_states {
                markets.delivered[j][i] = markets.orders[j][i] * delivered_share;
            }
            books.output = output;
            books.revenue = output * costs.unit_cost;
        }
        let capabilities: Vec<f64> = structure.sector_firms[k]
            .iter()
            .map(|&j| firms.get(roster.firms[j]).expect("roster entity").0.0)
            .collect();
        for i in 0..structure.n_states {
            let (mut supplied, mut weighted) = (0.0, 0.0);
            for (&j, &q) in structure.sector_firms[k].iter().zip(&capabilities) {
                let delivered = markets.delivered[j][i];
                if delivered == 0.0 {
                    continue;
                }
                supplied += delivered;
                for (share, capability) in markets.delivered_capabilities(j, i, q) {
                    weighted += delivered * share * capability;
                }
            }
            let demand = markets.demand(k, i);
            let fill = if demand > 0.0 {
                (supplied / demand).min(1.0)
            } else {
                1.0
            };
            markets.fill[k][i] = fill;
            // With nothing delivered, buyers keep the tools they had: the level stays put while
            // the frontier moves on.
            if supplied > 0.0 {
                markets.bought_capability[k][i] = weighted / supplied;
            }
            // Stockpiles: goods bought to stock arrive with the market's fill; drawn goods leave.
            let added = markets.stockpile_demand[k][i] * fill * dt;
            let stock = markets.stockpile[k][i];
            if added > 0.0 && supplied > 0.0 {
                markets.stockpile_capability[k][i] = (markets.stockpile_capability[k][i] * stock
                    + weighted / supplied * added)
                    / (stock + added);
            }
            markets.stockpile[k][i] = (stock + added - markets.stock_draw[k][i] * dt).max(0.0);
        }
    }
}
