//! The target's substitution commitment (docs/MODEL.md, "Target commitment"): a state's
//! commitment S to self-sufficiency rises with the denial it experiences and, in the "addiction"
//! regime, relaxes when access returns; in the "sovereignty" regime it never falls. S raises the
//! appeal of domestic suppliers (procurement lists) and domestic firms' R&D.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::{Params, Structure};

/// System: updates every state's commitment from this tick's denial.
pub fn update_commitment(
    params: Res<Params>,
    structure: Res<Structure>,
    mut regime: ResMut<PolicyRegime>,
) {
    // One change-detection borrow for the whole system, not one per access.
    let regime = &mut *regime;
    let p = &params.0;
    if !p.mechanisms.target_commitment {
        return;
    }
    let c = &p.commitment;
    let dt = structure.dt_years;
    for i in 0..structure.n_states {
        let denial = regime.denial[i];
        let s = regime.commitment[i];
        let rise = c.rise_per_year * denial * (1.0 - s);
        let relax = c.relax_per_year * (1.0 - c.regime_mix) * (1.0 - denial) * s;
        regime.commitment[i] = (s + (rise - relax) * dt).clamp(0.0, 1.0);
    }
}
