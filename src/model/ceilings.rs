//! Supply-chain ceilings (docs/MODEL.md, "Ceilings"): a product's delivered capability cannot
//! exceed what the chain below it supports. A fab's process is bounded by its installed tools plus
//! `ceilings.tool_margin_years`; a product with a bounding material input (an accelerator and its
//! wafers) by the capability of that input as its home market actually received it — domestic,
//! leaked or drawn from a stockpile — plus `ceilings.design_margin_years`.

use super::world::{Markets, SectorSpec, Structure};
use crate::scenario::InputRole;
use crate::scenario::params::Parameters;

/// The highest capability a firm of `sector` at home in `home` can deliver this tick, given its
/// installed tool level (`None` without capital inputs); `f64::INFINITY` where nothing bounds it.
pub fn ceiling(
    structure: &Structure,
    sector: &SectorSpec,
    home: usize,
    tool_level: Option<f64>,
    markets: &Markets,
    params: &Parameters,
) -> f64 {
    let margins = &params.ceilings;
    let mut bound = tool_level.map_or(f64::INFINITY, |level| level + margins.tool_margin_years);
    for input in sector
        .inputs
        .iter()
        .filter(|i| i.bounds_capability && i.role == InputRole::Material)
    {
        bound = bound.min(
            received_capability(structure, markets, input.sector, home)
                + margins.design_margin_years,
        );
    }
    bound
}

/// Capability of what market `home` received of sector `k` this tick: deliveries (domestic,
/// imported, leaked) and stockpile draws, weighted by volume. With nothing received, the last
/// level bought stands (production keeps it).
pub fn received_capability(structure: &Structure, markets: &Markets, k: usize, home: usize) -> f64 {
    let bought = markets.bought_capability[k][home];
    let drawn = markets.stock_draw[k][home];
    if drawn <= 0.0 {
        return bought;
    }
    let delivered: f64 = structure.sector_firms[k]
        .iter()
        .map(|&j| markets.delivered[j][home])
        .sum();
    let stocked = markets.stockpile_capability[k][home];
    if delivered > 0.0 {
        (bought * delivered + stocked * drawn) / (delivered + drawn)
    } else {
        stocked
    }
}
