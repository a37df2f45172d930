//! Market allocation (docs/MODEL.md, "Market allocation"): in every sector and buying state,
//! buyers split demand by a multinomial logit of appeal, capability, list price, home bias and
//! policy shifts (procurement mandates reserve a domestic share), moving toward those shares with
//! inertia (qualification and contracts). Restrictions from the policy regime block part of the
//! demand for some suppliers; blocked demand is met, in order, from stockpiles, by leakage through
//! gray channels, and by re-choosing among the alternatives each adaptation mechanism allows
//! (domestic substitution, third-country backfill, compliant redesign) — what is left is unmet.
//! Capacity then caps each supplier's total, spilling the excess to the next-best suppliers.

use bevy_ecs::prelude::*;

use super::leakage::leak_fraction;
use super::policy::{Instrument, PolicyRegime};
use super::world::{
    Appeal, Books, Capability, Capacity, Clock, FirmInfo, Markets, Params, Pricing, Structure,
    Tools, nest_factor, utility,
};
use crate::scenario::InputRole;

/// Relative tolerance above capacity before a supplier counts as full.
const CAPACITY_TOLERANCE: f64 = 1e-9;

/// One supplier's data for this tick.
struct Supplier {
    firm: usize,
    home: usize,
    capability: f64,
    /// Logit weight before home bias and policy shifts: exp((U − max U)/μ) of appeal, capability
    /// and list price, shared by every market (the factored logit: one `exp` per supplier).
    weight: f64,
    capacity: f64,
}

/// What allocation reads of one firm, gathered in one pass over the firm query.
#[derive(Clone, Copy, Default)]
struct FirmView {
    /// Logit utility of appeal, capability and list price.
    utility: f64,
    capability: f64,
    /// Capacity × yield (before policy's cut of usable capacity).
    yielding_capacity: f64,
}

/// What allocation sets on one firm, written back in one pass over the firm query.
#[derive(Clone, Copy, Default)]
struct FirmOutcome {
    orders: f64,
    wanted: f64,
    utilization: f64,
}

/// Allocation's working tables, kept between ticks so a tick allocates nothing: suppliers of the
/// sector at hand, and supplier × market tables flattened market by market (`i * n + m` for
/// supplier `m` of `n` in market `i`), so that one market's suppliers, the inner loop, are
/// contiguous.
#[derive(Default)]
pub struct Scratch {
    /// Per firm, by index: what allocation reads of it this tick.
    views: Vec<FirmView>,
    /// Per firm, by index: what allocation sets on it this tick.
    outcomes: Vec<FirmOutcome>,
    suppliers: Vec<Supplier>,
    capped: Vec<f64>,
    capped_q: Vec<f64>,
    spill_weight: Vec<f64>,
    /// Per supplier and market of a restricted sector: its logit weight before the restriction.
    offer_weight: Vec<f64>,
    remaining: Vec<f64>,
    /// Per market: blocked demand that no alternative the switches allow could take.
    unplaced: Vec<f64>,
    wanted: Vec<f64>,
    full: Vec<bool>,
    /// Per market: suppliers not yet full with a positive spill weight there.
    open_options: Vec<usize>,
    /// Per supplier in the market at hand: its weight within its nest, exp(U/(μλ)).
    within: Vec<f64>,
    /// Per supplier: its orders summed over the markets.
    totals: Vec<f64>,
    /// Per sector: its firms' redesigned-product tables may hold non-zero entries (it was
    /// restricted at its last allocation).
    redesigned: Vec<bool>,
    /// Per supplier in the market at hand: logit weight, desired orders, what policy allows of
    /// it, its allowed and blocked orders; and the options blocked demand can turn to.
    w: Vec<f64>,
    desired: Vec<f64>,
    restrictions: Vec<super::policy::Restriction>,
    allowed: Vec<f64>,
    blocked: Vec<f64>,
    options: Vec<(usize, f64, Option<f64>)>,
    /// Per supplier in a restricted or locked market: the share of its desired orders open to
    /// it (policy and lock-in together), the demand lock-in turns away from it on top of policy,
    /// and what buyers got from it this tick (allowed orders, stock drawn, leaked demand and
    /// re-chosen demand, its redesigned product included).
    open: Vec<f64>,
    locked_out: Vec<f64>,
    bought: Vec<f64>,
    /// Per buying state: blocked and desired foreign purchases this tick (denial), and the logit
    /// factor of its domestic suppliers.
    denial_blocked: Vec<f64>,
    denial_foreign: Vec<f64>,
    home_factors: Vec<f64>,
    /// Per supplier of the sector at hand: firm and home indices, and the policy's logit factors
    /// per supplier and market (policy::PolicyRegime::utility_shifts).
    firm_ids: Vec<usize>,
    home_ids: Vec<usize>,
    shift_factor: Vec<f64>,
}

/// Lock-in runs out once every denied share (Markets::denied_shares) of a sector whose control
/// has lifted is below this; the sector then returns to the unrestricted path.
const LOCK_TOLERANCE: f64 = 1e-9;

/// The two nests' factors of the nested logit in one market (docs/MODEL.md 7.3): a supplier's
/// weight is its within-nest weight `a_j = exp(U_j/(μλ))` times `h_n S_n^(λ−1)`, where `S_n` sums
/// the `a` of its nest and `h_n` is the nest's home factor. Weights so built give the nested-logit
/// shares `P_j = (a_j/S_n) · h_n S_n^λ / Σ_m h_m S_m^λ` by plain normalisation, so the rest of
/// allocation (mandates, spill-over) treats them like logit weights.
struct NestFactors {
    domestic: f64,
    imports: f64,
}

impl NestFactors {
    /// The factors for market `market` from each supplier's within-nest weight.
    fn new(suppliers: &[Supplier], within: &[f64], market: usize, home: f64, lambda: f64) -> Self {
        let (mut domestic, mut imports) = (0.0, 0.0);
        for (s, a) in suppliers.iter().zip(within) {
            if s.home == market {
                domestic += a;
            } else {
                imports += a;
            }
        }
        Self::from_sums(domestic, imports, home, lambda)
    }

    /// The factors from the nests' sums of within-nest weights (an empty nest gets factor 0).
    fn from_sums(domestic: f64, imports: f64, home: f64, lambda: f64) -> Self {
        NestFactors {
            domestic: home * nest_factor(domestic, lambda),
            imports: nest_factor(imports, lambda),
        }
    }

    /// The factor of a supplier in the domestic nest (`true`) or among imports.
    fn factor(&self, domestic: bool) -> f64 {
        if domestic {
            self.domestic
        } else {
            self.imports
        }
    }
}

/// Share of a gap closed in one tick of `dt_years` by a first-order adjustment with a time
/// constant of `months` (buyers' shares toward today's logit shares; list prices toward their
/// target); 0 months closes it at once.
pub fn share_adjustment(months: f64, dt_years: f64) -> f64 {
    if months > 0.0 {
        1.0 - (-dt_years * 12.0 / months).exp()
    } else {
        1.0
    }
}

/// Each of `n` suppliers' orders summed over the markets, in market order, from a supplier ×
/// market table laid out market by market (see [`Scratch`]); written into `out`.
fn supplier_totals(orders: &[f64], n: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(n, 0.0);
    if n == 0 {
        return;
    }
    for row in orders.chunks_exact(n) {
        for (total, &order) in out.iter_mut().zip(row) {
            *total += order;
        }
    }
}

/// The firm data allocation reads and writes.
type FirmQuery<'w, 's> = Query<
    'w,
    's,
    (
        &'static FirmInfo,
        &'static Appeal,
        &'static Capability,
        &'static Capacity,
        &'static Tools,
        &'static mut Pricing,
        &'static mut Books,
    ),
>;

/// System: allocates every market's demand to suppliers.
pub fn allocate_markets(
    clock: Res<Clock>,
    params: Res<Params>,
    structure: Res<Structure>,
    mut regime: ResMut<PolicyRegime>,
    mut markets: ResMut<Markets>,
    mut firms: FirmQuery,
    mut scratch: Local<Scratch>,
) {
    // One change-detection borrow for the whole system, not one per access.
    let regime = &mut *regime;
    let markets = &mut *markets;
    let p = &params.0;
    let mech = &p.mechanisms;
    let n_states = structure.n_states;
    let mu = p.market.logit_scale;
    // Nested logit (domestic suppliers and imports as two nests): within a nest the scale is μλ.
    // λ = 1 is the plain logit, kept on its own path so its results stay exactly as they were.
    let lambda = p.market.nest_dissimilarity;
    let nested = lambda != 1.0;
    let scale = if nested { mu * lambda } else { mu };
    let dt = structure.dt_years;
    let inertia = share_adjustment(p.market.share_adjustment_months, dt);

    let Scratch {
        views,
        outcomes,
        suppliers,
        capped,
        capped_q,
        spill_weight,
        offer_weight,
        remaining,
        unplaced,
        wanted,
        full,
        open_options,
        within,
        totals,
        redesigned,
        w,
        desired,
        restrictions,
        allowed,
        blocked,
        options,
        open,
        locked_out,
        bought,
        denial_blocked,
        denial_foreign,
        home_factors,
        firm_ids,
        home_ids,
        shift_factor,
    } = &mut *scratch;
    // Per buying state: blocked and desired foreign purchases this tick, over all sectors.
    for buffer in [&mut *denial_blocked, &mut *denial_foreign] {
        buffer.clear();
        buffer.resize(n_states, 0.0);
    }
    // Each buying state's logit factor for domestic suppliers: home bias plus the target's
    // commitment bonus, the same in every sector.
    home_factors.clear();
    home_factors.extend((0..n_states).map(|i| {
        let commitment_bonus = if mech.target_commitment {
            p.commitment.home_utility * regime.commitment[i]
        } else {
            0.0
        };
        ((p.market.home_bias + commitment_bonus) / mu).exp()
    }));
    // Whether any supplier has front-running orders this tick (rarely): without, they add 0.
    // Front-running adds to its sector's stockpile demand whatever it addresses to a supplier,
    // and only while a control is announced and not yet in force.
    let announced = regime
        .announcements
        .iter()
        .any(|a| a.pending_at(clock.tick));
    // One pass over the firms; each lands at its index, so storage order is moot.
    let n_firms = structure.firm_home.len();
    views.resize(n_firms, FirmView::default());
    outcomes.resize(n_firms, FirmOutcome::default());
    for (info, appeal, capability, capacity, tools, pricing, _) in &firms {
        views[info.index] = FirmView {
            utility: utility(appeal.0, capability.0, pricing.list_price, false, p),
            capability: capability.0,
            yielding_capacity: capacity.0 * tools.yield_share,
        };
    }
    redesigned.resize(structure.sector_firms.len(), false);
    for (k, members) in structure.sector_firms.iter().enumerate() {
        suppliers.clear();
        let mut max_u = f64::NEG_INFINITY;
        for &j in members {
            let view = &views[j];
            max_u = max_u.max(view.utility);
            suppliers.push(Supplier {
                firm: j,
                home: structure.firm_home[j],
                capability: view.capability,
                weight: view.utility,
                capacity: if mech.capacity_limits {
                    view.yielding_capacity * regime.usable_capacity(structure.firm_home[j], k)
                } else {
                    f64::INFINITY
                },
            });
        }
        for s in suppliers.iter_mut() {
            s.weight = ((s.weight - max_u) / scale).exp();
        }
        let n = suppliers.len();
        // Policy's effect on this sector, looked up once per tick rather than per supplier and
        // market: utility shifts as logit factors, and whether any restriction can bind.
        firm_ids.clear();
        firm_ids.extend(suppliers.iter().map(|s| s.firm));
        home_ids.clear();
        home_ids.extend(suppliers.iter().map(|s| s.home));
        let shifted = regime.utility_shifts(k, firm_ids, home_ids, n_states, shift_factor);
        if shifted {
            shift_factor
                .iter_mut()
                .for_each(|x| *x = if *x == 0.0 { 1.0 } else { (*x / scale).exp() });
        }
        let policy_restricted = regime.restricts_sector(k);
        // A sector whose buyers are still locked in after a control lifted takes the restricted
        // path too, with every policy restriction at 1 and only the lock-in caps binding.
        let lock = mech.purchase_lock_in && markets.locked[k];
        let restricted = policy_restricted || lock;
        let mut still_locked = false;
        let mut denied = std::mem::take(&mut markets.denied_shares[k]);
        let front_running = announced && markets.stockpile_demand[k].iter().any(|&d| d != 0.0);
        // Supplier × market matrices, flattened market by market: entry (m, i) at i * n + m.
        let at = |m: usize, i: usize| i * n + m;
        // The buyers' held shares are updated in place, and this tick's orders are built in the
        // markets' own table (both laid out as the scratch tables); each is put back below.
        let mut held_shares = std::mem::take(&mut markets.held_shares[k]);
        let shares = &mut held_shares;
        let mut sector_orders = std::mem::take(&mut markets.orders[k]);
        let orders = &mut sector_orders;
        // Buffers kept from tick to tick (this runs sectors × ticks times). Every market with
        // demand writes its whole row of orders and spill weights below, and a market without
        // zeroes its row, so they are only sized here; the redesign tables are read only in a
        // restricted sector.
        orders.resize(n * n_states, 0.0);
        spill_weight.resize(n * n_states, 0.0);
        if restricted {
            for buffer in [&mut *capped, &mut *capped_q, &mut *offer_weight] {
                buffer.clear();
                buffer.resize(n * n_states, 0.0);
            }
        }
        remaining.clear();
        remaining.resize(n_states, 0.0);
        unplaced.clear();
        unplaced.resize(n_states, 0.0);

        markets.blocked[k].fill(0.0);
        markets.leaked[k].fill(0.0);
        markets.stock_draw[k].fill(0.0);
        for i in 0..n_states {
            let demand = markets.chosen_demand(k, i);
            if demand <= 0.0 {
                orders[at(0, i)..at(n, i)].fill(0.0);
                spill_weight[at(0, i)..at(n, i)].fill(0.0);
                // Nobody here bought, so nobody is locked in (nothing stale when demand returns).
                if lock {
                    denied[at(0, i)..at(n, i)].fill(0.0);
                }
                continue;
            }
            let home_factor = home_factors[i];
            // Within-nest weights exp(U/(μλ)), policy shifts included (home bias excluded: it
            // acts on the domestic nest as a whole).
            let shifted_weight = |m: usize, s: &Supplier| {
                if shifted {
                    s.weight * shift_factor[m * n_states + i]
                } else {
                    s.weight
                }
            };
            let (mut total_w, mut home_w) = (0.0, 0.0);
            if nested {
                w.clear();
                within.clear();
                within.extend(
                    suppliers
                        .iter()
                        .enumerate()
                        .map(|(m, s)| shifted_weight(m, s)),
                );
                let nests = NestFactors::new(suppliers, within, i, home_factor, lambda);
                w.extend(
                    suppliers
                        .iter()
                        .zip(&*within)
                        .map(|(s, a)| a * nests.factor(s.home == i)),
                );
                for (s, &weight) in suppliers.iter().zip(&*w) {
                    total_w += weight;
                    if s.home == i {
                        home_w += weight;
                    }
                }
            } else {
                // Every entry is overwritten: sized once per sector, not cleared per market.
                w.resize(n, 0.0);
                for (m, (s, weight)) in suppliers.iter().zip(w.iter_mut()).enumerate() {
                    *weight = if s.home == i {
                        let weight = shifted_weight(m, s) * home_factor;
                        home_w += weight;
                        weight
                    } else {
                        shifted_weight(m, s)
                    };
                    total_w += *weight;
                }
            }
            // This market's row of each supplier × market table.
            let row = at(0, i)..at(n, i);
            let mandate = if home_w > 0.0 {
                regime.mandate_share(k, i)
            } else {
                0.0
            };
            // Today's logit shares; buyers close `inertia` of the gap from the shares they held.
            let held_shares = &mut shares[row.clone()];
            // Shares are never negative, so buyers held some iff one is positive.
            let held = held_shares.iter().any(|&share| share > 0.0);
            let adjust = if held { inertia } else { 1.0 };
            let target = |s: &Supplier, weight: f64| {
                (1.0 - mandate) * weight / total_w
                    + if s.home == i {
                        mandate * weight / home_w
                    } else {
                        0.0
                    }
            };

            if !restricted {
                // No restriction can bind in this sector: every order goes to the supplier
                // chosen, nothing is blocked, and the logit weights are the spill weights.
                let mut foreign = 0.0;
                let rows = suppliers
                    .iter()
                    .zip(&*w)
                    .zip(held_shares)
                    .zip(orders[row.clone()].iter_mut().zip(&mut spill_weight[row]));
                for (((s, &weight), share), (order, spill)) in rows {
                    *share += adjust * (target(s, weight) - *share);
                    let d = demand * *share;
                    if s.home != i {
                        foreign += d;
                    }
                    let front_run = if front_running {
                        markets.stockpile_orders[s.firm][i]
                    } else {
                        0.0
                    };
                    *order = d + front_run;
                    *spill = weight;
                }
                denial_foreign[i] += foreign;
                continue;
            }
            desired.clear();
            for ((s, &weight), share) in suppliers.iter().zip(&*w).zip(held_shares) {
                *share += adjust * (target(s, weight) - *share);
                desired.push(demand * *share);
            }
            // What policy allows of each supplier in this market.
            let de_minimis = p.alliances.de_minimis_tool_share;
            restrictions.clear();
            restrictions.extend(suppliers.iter().map(|s| {
                let dependence =
                    |controller: usize| tool_dependence(&structure, markets, s.firm, controller);
                regime.restriction(s.firm, s.home, k, i, s.capability, de_minimis, &dependence)
            }));
            apply_tier_quotas(
                regime,
                suppliers,
                desired,
                restrictions,
                k,
                i,
                clock.tick,
                dt,
            );

            // Lock-in: of the share policy turned away from a supplier, buyers bring back only
            // the adjustment pace's part each tick once the control eases; the rest stays with
            // the suppliers they switched to (re-chosen below, like blocked demand).
            open.clear();
            locked_out.clear();
            for m in 0..n {
                let (held, r) = (shares[at(m, i)], restrictions[m].allowed);
                let blocked_share = held - held * r;
                let carried = if lock {
                    (1.0 - adjust) * denied[at(m, i)]
                } else {
                    0.0
                };
                let extra = (carried - blocked_share).clamp(0.0, held * r);
                open.push(if extra > 0.0 { r - extra / held } else { r });
                locked_out.push(demand * extra);
            }
            allowed.clear();
            allowed.extend(desired.iter().zip(&*open).map(|(d, o)| d * o));
            // Blocked by policy; what lock-in turns away on top is re-chosen directly (it
            // neither draws stockpiles nor leaks back to the supplier).
            blocked.clear();
            blocked.extend(
                desired
                    .iter()
                    .zip(&*restrictions)
                    .map(|(d, r)| d - d * r.allowed),
            );
            let blocked_total: f64 = blocked.iter().sum();
            markets.blocked[k][i] = blocked_total;
            denial_blocked[i] += blocked_total;
            denial_foreign[i] += suppliers
                .iter()
                .zip(&*desired)
                .filter(|(s, _)| s.home != i)
                .map(|(_, d)| d)
                .sum::<f64>();
            for m in 0..n {
                // Front-running orders go straight to the suppliers they are addressed to.
                orders[at(m, i)] = allowed[m]
                    + markets.stockpile_orders[suppliers[m].firm][i] * restrictions[m].allowed;
                // A locked supplier still takes capacity spill-over: buyers whose new suppliers
                // are full go back to it rather than unserved.
                spill_weight[at(m, i)] = w[m] * restrictions[m].allowed;
                offer_weight[at(m, i)] = w[m];
            }
            let locked_total: f64 = locked_out.iter().sum();
            if blocked_total <= 0.0 && locked_total <= 0.0 {
                // Buyers got all they chose: nothing is denied.
                denied[row.clone()].fill(0.0);
                continue;
            }
            bought.clear();
            bought.extend_from_slice(allowed);

            // 1. Stockpiles built before the control are drawn first.
            if mech.stockpiling && markets.stockpile[k][i] > 0.0 && blocked_total > 0.0 {
                let draw = blocked_total.min(markets.stockpile[k][i] / dt);
                markets.stock_draw[k][i] = draw;
                for (b, got) in blocked.iter_mut().zip(bought.iter_mut()) {
                    *got += *b * (draw / blocked_total);
                    *b *= 1.0 - draw / blocked_total;
                }
            }
            // 2. Leakage through gray channels reaches the blocked supplier anyway.
            if mech.leakage {
                let lambda = market_leak_fraction(regime, markets, k, i, clock.tick, p, dt);
                for m in 0..n {
                    let leak = blocked[m] * lambda;
                    orders[at(m, i)] += leak;
                    markets.leaked[k][i] += leak;
                    blocked[m] -= leak;
                    bought[m] += leak;
                }
            }
            // 3. The rest re-chooses among the alternatives the mechanisms allow.
            let rest: f64 = blocked.iter().sum::<f64>() + locked_total;
            // Under the nested logit an option carries its within-nest weight here; the nests'
            // factors are recomputed below over the options actually open.
            let option_weight = |m: usize| if nested { within[m] } else { w[m] };
            options.clear();
            for (m, s) in suppliers.iter().enumerate() {
                let free = open[m] >= 1.0;
                if free && ((s.home == i && mech.substitution) || (s.home != i && mech.backfill)) {
                    options.push((m, option_weight(m), None));
                }
                if mech.compliant_redesign
                    && blocked[m] > 0.0
                    && let Some(threshold) = restrictions[m].threshold
                {
                    let q = threshold - p.redesign.capability_margin_years;
                    // v1 let a mineral ban (threshold −1000) be "redesigned" under: with no other
                    // option, a weight of e^−300 still took all the blocked demand.
                    if s.capability - q <= p.redesign.max_capability_cut_years {
                        let penalty = p.market.capability_weight_per_year * (s.capability - q);
                        options.push((m, option_weight(m) * (-penalty / scale).exp(), Some(q)));
                    }
                }
            }
            if nested {
                let (mut domestic, mut imports) = (0.0, 0.0);
                for &(m, weight, _) in options.iter() {
                    if suppliers[m].home == i {
                        domestic += weight;
                    } else {
                        imports += weight;
                    }
                }
                let nests = NestFactors::from_sums(domestic, imports, home_factor, lambda);
                for (m, weight, _) in options.iter_mut() {
                    *weight *= nests.factor(suppliers[*m].home == i);
                }
            }
            let option_total: f64 = options.iter().map(|o| o.1).sum();
            if option_total > 0.0 {
                for &(m, weight, q) in &*options {
                    let add = rest * weight / option_total;
                    orders[at(m, i)] += add;
                    bought[m] += add;
                    if let Some(q) = q {
                        capped_q[at(m, i)] = (capped_q[at(m, i)] * capped[at(m, i)] + q * add)
                            / (capped[at(m, i)] + add);
                        capped[at(m, i)] += add;
                    }
                }
            } else {
                // Not re-offered when a supplier fills up: that would place blocked demand
                // with suppliers the switches rule out. Buyers held back only by lock-in have
                // nowhere else to go, so they stay with their supplier.
                unplaced[i] += rest - locked_total;
                for (m, &locked) in locked_out.iter().enumerate() {
                    orders[at(m, i)] += locked;
                    bought[m] += locked;
                }
            }
            // Denied: what buyers wanted from a supplier and got from others instead (its
            // redesigned product, leakage and stock drawn count as its own). Unserved demand
            // is not denied: those buyers switched to no one.
            if mech.purchase_lock_in {
                let switched = option_total > 0.0;
                for (m, (&wanted, &got)) in desired.iter().zip(&*bought).enumerate() {
                    let d = if switched {
                        (wanted - got).max(0.0) / demand
                    } else {
                        0.0
                    };
                    denied[at(m, i)] = d;
                    still_locked |= d > LOCK_TOLERANCE;
                }
            }
        }

        // Capacity: the excess of a full supplier is re-offered to suppliers not yet full.
        supplier_totals(orders, n, wanted);
        // Each supplier's total orders, recomputed only after a pass has moved orders.
        totals.clear();
        totals.extend_from_slice(wanted);
        let mut totals_current = true;
        full.clear();
        full.resize(n, false);
        // Per market, how many suppliers not yet full it could turn to (spill weight > 0): kept
        // up to date as suppliers fill, so "can this buyer turn elsewhere" costs O(1), not O(n).
        // Counted when the first supplier turns out full (most sectors have none).
        open_options.clear();
        for _pass in 0..p.market.spillover_passes.max(1) {
            let mut spilled = false;
            // A supplier's cut changes only its own orders, so totals taken now are each
            // supplier's total when its turn comes.
            if !totals_current {
                supplier_totals(orders, n, totals);
            }
            for m in 0..n {
                let total = totals[m];
                if !full[m] && total > suppliers[m].capacity * (1.0 + CAPACITY_TOLERANCE) {
                    if open_options.is_empty() {
                        open_options.resize(n_states, 0);
                        for o in (0..n).filter(|&o| !full[o]) {
                            for i in 0..n_states {
                                open_options[i] += usize::from(spill_weight[at(o, i)] > 0.0);
                            }
                        }
                    }
                    // Trade diversion: buyers who can turn to another supplier not yet full give
                    // way first, so a full supplier's capacity goes to buyers with no alternative
                    // (who would bid the most). Without it, every market is cut pro rata.
                    let own_option = |i: usize| usize::from(spill_weight[at(m, i)] > 0.0);
                    let can_turn =
                        |i: usize| mech.trade_diversion && open_options[i] > own_option(i);
                    let flexible: f64 = (0..n_states)
                        .filter(|&i| can_turn(i))
                        .map(|i| orders[at(m, i)])
                        .sum();
                    let excess = total - suppliers[m].capacity;
                    let from_flexible = excess.min(flexible);
                    let captive = total - flexible;
                    let captive_cut = if captive > 0.0 {
                        (excess - from_flexible) / captive
                    } else {
                        0.0
                    };
                    for i in 0..n_states {
                        let before = orders[at(m, i)];
                        if before <= 0.0 {
                            continue;
                        }
                        let cut = if can_turn(i) {
                            before * from_flexible / flexible
                        } else {
                            before * captive_cut
                        };
                        orders[at(m, i)] = (before - cut).max(0.0);
                        if restricted {
                            capped[at(m, i)] *= orders[at(m, i)] / before;
                        }
                        remaining[i] += cut;
                    }
                    full[m] = true;
                    for i in 0..n_states {
                        open_options[i] -= own_option(i);
                    }
                    spilled = true;
                }
            }
            if !spilled {
                break;
            }
            totals_current = false;
            for (i, rest) in remaining.iter_mut().enumerate() {
                if *rest <= 0.0 {
                    continue;
                }
                let total: f64 = (0..n)
                    .filter(|&m| !full[m])
                    .map(|m| spill_weight[at(m, i)])
                    .sum();
                if total <= 0.0 {
                    continue;
                }
                if !restricted {
                    for m in (0..n).filter(|&m| !full[m]) {
                        let add = *rest * spill_weight[at(m, i)] / total;
                        orders[at(m, i)] += add;
                        wanted[m] += add;
                    }
                    *rest = 0.0;
                    continue;
                }
                // In a restricted sector the excess is offered by logit weight to every
                // supplier not yet full, and each takes only the share policy allows it (w·r
                // of Σw): a supplier barely allowed to sell does not take it all.
                let offered: f64 = (0..n)
                    .filter(|&m| !full[m])
                    .map(|m| offer_weight[at(m, i)])
                    .sum();
                let mut placed = 0.0;
                for m in (0..n).filter(|&m| !full[m]) {
                    let add = *rest * spill_weight[at(m, i)] / offered.max(total);
                    orders[at(m, i)] += add;
                    wanted[m] += add;
                    placed += add;
                }
                *rest = (*rest - placed).max(0.0);
            }
        }
        if restricted {
            for ((unmet, &rest), &blocked) in
                markets.unmet[k].iter_mut().zip(&*remaining).zip(&*unplaced)
            {
                *unmet = rest + blocked;
            }
        } else {
            markets.unmet[k].copy_from_slice(remaining);
        }
        if !totals_current {
            supplier_totals(orders, n, totals);
        }
        for (m, s) in suppliers.iter().enumerate() {
            let outcome = &mut outcomes[s.firm];
            outcome.orders = totals[m];
            outcome.wanted = wanted[m];
            outcome.utilization = if !s.capacity.is_finite() {
                p.production.target_utilization
            } else if s.capacity > 0.0 {
                wanted[m] / s.capacity
            } else if wanted[m] > 0.0 {
                // No usable capacity at all while buyers want some: as tight as it gets.
                f64::INFINITY
            } else {
                p.production.target_utilization
            };
            // Only a restricted sector sells redesigned (capped) products.
            if restricted {
                let rows = markets.capped_share[s.firm]
                    .iter_mut()
                    .zip(&mut markets.capped_capability[s.firm]);
                for (i, (capped_share, capped_capability)) in rows.enumerate() {
                    let (o, c) = (orders[at(m, i)], capped[at(m, i)]);
                    *capped_share = if o > 0.0 { (c / o).min(1.0) } else { 0.0 };
                    *capped_capability = capped_q[at(m, i)];
                }
            } else if redesigned[k] {
                // Zeroed once after the sector's last restricted tick (they stay zero after).
                markets.capped_share[s.firm].fill(0.0);
                markets.capped_capability[s.firm].fill(0.0);
            }
        }
        markets.held_shares[k] = held_shares;
        markets.denied_shares[k] = denied;
        markets.locked[k] = mech.purchase_lock_in && (policy_restricted || still_locked);
        redesigned[k] = restricted;
        markets.orders[k] = sector_orders;
    }
    for (info, _, _, _, _, mut pricing, mut books) in &mut firms {
        let outcome = &outcomes[info.index];
        books.orders = outcome.orders;
        books.wanted = outcome.wanted;
        pricing.utilization = outcome.utilization;
    }
    for i in 0..n_states {
        regime.denial[i] = if denial_foreign[i] > 0.0 {
            (denial_blocked[i] / denial_foreign[i]).min(1.0)
        } else {
            0.0
        };
    }
}

/// Share of firm `firm`'s tools (capital inputs, by coefficient) its home market bought last tick
/// from firms whose home is `controller`.
pub fn tool_dependence(
    structure: &Structure,
    markets: &Markets,
    firm: usize,
    controller: usize,
) -> f64 {
    let home = structure.firm_home[firm];
    let (mut weight, mut share) = (0.0, 0.0);
    for input in structure.sectors[structure.firm_sector[firm]]
        .inputs
        .iter()
        .filter(|i| i.role == InputRole::Capital)
    {
        let (mut total, mut from) = (0.0, 0.0);
        for &f in &structure.sector_firms[input.sector] {
            total += markets.delivered[f][home];
            if structure.firm_home[f] == controller {
                from += markets.delivered[f][home];
            }
        }
        if total > 0.0 {
            weight += input.per_unit;
            share += input.per_unit * from / total;
        }
    }
    if weight > 0.0 { share / weight } else { 0.0 }
}

/// Tier-2 quotas: the controller's above-threshold sales into a tier-2 market are capped at the
/// quota left, spread over the rest of the window; what is sold uses the quota up.
fn apply_tier_quotas(
    regime: &mut PolicyRegime,
    suppliers: &[Supplier],
    desired: &[f64],
    restrictions: &mut [super::policy::Restriction],
    sector: usize,
    market: usize,
    tick: u32,
    dt: f64,
) {
    for instrument in regime.instruments.values_mut() {
        let Instrument::Tiered(t) = instrument else {
            continue;
        };
        if t.sector != sector || t.tier[market] != 2 {
            continue;
        }
        let covered: Vec<usize> = (0..suppliers.len())
            .filter(|&m| {
                suppliers[m].home == t.controller && suppliers[m].capability > t.max_capability
            })
            .collect();
        let wanted: f64 = covered
            .iter()
            .map(|&m| desired[m] * restrictions[m].allowed)
            .sum();
        if wanted <= 0.0 {
            continue;
        }
        let years_left = ((t.window_end_tick - f64::from(tick)) * dt).max(dt);
        let rate = if f64::from(tick) < t.window_end_tick {
            t.quota_left[market].max(0.0) / years_left
        } else {
            f64::INFINITY
        };
        let scale = (rate / wanted).min(1.0);
        for &m in &covered {
            restrictions[m].allowed *= scale;
            restrictions[m].threshold = Some(
                restrictions[m]
                    .threshold
                    .map_or(t.max_capability, |x| x.min(t.max_capability)),
            );
        }
        if rate.is_finite() {
            t.quota_left[market] -= wanted * scale * dt;
        }
    }
}

/// The leak fraction of blocked demand in sector `k`, market `i`: set by the oldest control in
/// force there (how long gray networks have had to form) and its controller's enforcement.
fn market_leak_fraction(
    regime: &PolicyRegime,
    markets: &Markets,
    k: usize,
    i: usize,
    tick: u32,
    p: &crate::scenario::params::Parameters,
    dt: f64,
) -> f64 {
    let oldest = regime
        .controls()
        .filter(|(_, c)| c.sector == k && c.destinations[i])
        .min_by_key(|(_, c)| c.since_tick)
        .map(|(_, c)| (c.since_tick, c.controller))
        .or_else(|| {
            regime.instruments.values().find_map(|inst| match inst {
                Instrument::Tiered(t) if t.sector == k && t.tier[i] > 1 => {
                    Some((tick, t.controller))
                }
                _ => None,
            })
        });
    let Some((since, controller)) = oldest else {
        return 0.0;
    };
    let months = f64::from(tick.saturating_sub(since)) * dt * 12.0;
    let demand = markets.demand(k, i);
    let shortage = if demand > 0.0 {
        markets.unmet[k][i] / demand
    } else {
        0.0
    };
    leak_fraction(
        &p.leakage,
        months,
        shortage,
        regime.enforcement(controller, p.leakage.base_enforcement),
    )
}
