//! Policy events and the instruments in force (docs/MODEL.md, "Policy instruments"). Each tick
//! first applies the events dated in it; the market then asks the [`PolicyRegime`] what each
//! supplier may sell to each market, how buyers' utilities shift, and how hard leakage is
//! enforced. The regime also holds the states' trust, compliance and commitment, which the
//! alliance and commitment systems update at the end of each tick.

use std::collections::BTreeMap;

use bevy_ecs::prelude::*;

use super::world::{Capacity, Clock, Roster};
use crate::scenario::{Action, Scenario};

/// An export control in force, ids resolved to indices.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportControl {
    /// Controlling state.
    pub controller: usize,
    /// Controlled sector.
    pub sector: usize,
    /// Products above this capability are controlled.
    pub max_capability: f64,
    /// Destination flags per state.
    pub destinations: Vec<bool>,
    /// Covered firm flags; `None` covers the controller's own firms.
    pub covered_firms: Option<Vec<bool>>,
    /// Share of the controlled flow licensed anyway.
    pub licence_approval_rate: f64,
    /// Whether foreign firms dependent on the controller's tools are bound.
    pub extraterritorial: bool,
    /// Tick the control (by id) first took effect: gray networks build from then on.
    pub since_tick: u32,
}

impl ExportControl {
    /// Whether the control binds firm `firm` of home `home` directly (not through allies).
    pub fn binds_directly(&self, firm: usize, home: usize) -> bool {
        match &self.covered_firms {
            Some(flags) => flags[firm],
            None => self.controller == home,
        }
    }
}

/// Tiered access in force.
#[derive(Clone, Debug, PartialEq)]
pub struct TieredAccess {
    /// Controlling state.
    pub controller: usize,
    /// Controlled sector.
    pub sector: usize,
    /// Products above this capability are tiered.
    pub max_capability: f64,
    /// Tier per state: 1 free, 2 quota, 3 blocked.
    pub tier: Vec<u8>,
    /// Quota left per state, $B of start-year output.
    pub quota_left: Vec<f64>,
    /// Tick the window ends.
    pub window_end_tick: f64,
}

/// One instrument in force.
#[derive(Clone, Debug, PartialEq)]
pub enum Instrument {
    /// See [`ExportControl`].
    Control(ExportControl),
    /// Allies asked to match `control`.
    Alignment {
        /// The control's id.
        control: String,
        /// Number of channels through which each state is asked: one for a direct request plus
        /// one for each named alliance it belongs to (0 = not asked). Node countries, members of
        /// several alliances, are asked through several.
        channels: Vec<u32>,
    },
    /// See [`TieredAccess`].
    Tiered(TieredAccess),
    /// Revenue share paid on sales into destinations.
    Condition {
        /// Collecting state.
        controller: usize,
        /// Sector.
        sector: usize,
        /// Destination flags.
        destinations: Vec<bool>,
        /// Share paid.
        revenue_share: f64,
    },
    /// Anti-transshipment agreement.
    AntiTransshipment {
        /// Controller whose goods are policed.
        controller: usize,
        /// Signatory flags.
        hubs: Vec<bool>,
        /// Enforcement through signatories.
        enforcement: f64,
    },
    /// Outbound investment restriction.
    Outbound {
        /// Restricted state.
        target: usize,
        /// Sector flags.
        sectors: Vec<bool>,
        /// Share of expansion lost.
        expansion_cut: f64,
    },
    /// Purchase discouragement.
    Discouragement {
        /// Buying state.
        buyer: usize,
        /// Discouraged home state.
        against: usize,
        /// Sector.
        sector: usize,
        /// Utility penalty.
        penalty: f64,
    },
    /// Antitrust action.
    Antitrust {
        /// Acting state.
        state: usize,
        /// Firm.
        firm: usize,
        /// Utility penalty.
        penalty: f64,
    },
    /// State fund.
    Fund {
        /// Paying state.
        state: usize,
        /// Sector flags.
        sectors: Vec<bool>,
        /// R&D subsidy, $B/yr.
        rd_per_year: f64,
        /// Capacity subsidy, $B of capacity per year.
        capacity_per_year: f64,
    },
    /// Procurement mandate.
    Mandate {
        /// Buying state.
        state: usize,
        /// Sector.
        sector: usize,
        /// Reserved domestic share.
        domestic_share: f64,
    },
    /// Supply disruption.
    Disruption {
        /// State of the disrupted firms.
        state: usize,
        /// Sector.
        sector: usize,
        /// Share of capacity lost.
        share_lost: f64,
    },
    /// Domestic equipment quota.
    EquipmentQuota {
        /// State.
        state: usize,
        /// Minimum domestic tool share.
        domestic_share: f64,
    },
}

/// A timeline entry: an instrument id and what happens to it.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Put in force (or replace).
    Impose(Instrument),
    /// Lift.
    Remove,
    /// Add capacity to a firm (one-off).
    AddCapacity {
        /// Firm index.
        firm: usize,
        /// $B/yr added.
        capacity: f64,
    },
    /// Lower trust (one-off).
    TrustShock {
        /// States whose trust falls.
        states: Vec<usize>,
        /// Toward whom.
        toward: usize,
        /// Fall.
        size: f64,
    },
}

/// A control announced before it takes effect: the window in which buyers front-run it.
#[derive(Clone, Debug, PartialEq)]
pub struct Announcement {
    /// Tick of the announcement.
    pub announced_tick: u32,
    /// Tick the control takes effect.
    pub effective_tick: u32,
    /// The control as it will be.
    pub control: ExportControl,
}

impl Announcement {
    /// Whether the control is announced but not yet in force at `tick`: the window in which
    /// buyers front-run it.
    pub fn pending_at(&self, tick: u32) -> bool {
        self.announced_tick <= tick && tick < self.effective_tick
    }
}

/// What a market may buy from one supplier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Restriction {
    /// Share of the demand for this supplier that may be served, 0–1.
    pub allowed: f64,
    /// The lowest threshold that binds it, if any (where a redesigned product would sit).
    pub threshold: Option<f64>,
}

impl Restriction {
    /// No restriction: everything allowed, no threshold.
    pub const NONE: Restriction = Restriction {
        allowed: 1.0,
        threshold: None,
    };
}

/// The instruments in force, the timeline to come, and states' political variables.
#[derive(Resource, Clone, Debug)]
pub struct PolicyRegime {
    /// Instruments in force by id, in id order.
    pub instruments: BTreeMap<String, Instrument>,
    /// Changes by tick, in file order.
    pub timeline: Vec<Vec<(String, Change)>>,
    /// Announced controls with their windows.
    pub announcements: Vec<Announcement>,
    /// Trust [state][toward], 1 = no shock.
    pub trust: Vec<Vec<f64>>,
    /// Compliance [state][controller] with the controller's controls, 0–1.
    pub compliance: Vec<Vec<f64>>,
    /// Commitment to self-sufficiency per state, 0–1.
    pub commitment: Vec<f64>,
    /// Denial experienced per state this tick: blocked share of desired imports.
    pub denial: Vec<f64>,
    /// Hub flags per state.
    pub hubs: Vec<bool>,
}

impl PolicyRegime {
    /// Resolves a validated scenario's events into a per-tick timeline.
    pub fn new(scenario: &Scenario, start_compliance: f64) -> Self {
        let n = scenario.states.len();
        let state = |id: &str| {
            scenario
                .states
                .iter()
                .position(|s| s.id == id)
                .expect("validated state")
        };
        let sector = |id: &str| {
            scenario
                .sectors
                .iter()
                .position(|s| s.id == id)
                .expect("validated sector")
        };
        let firm = |id: &str| {
            scenario
                .firms
                .iter()
                .position(|f| f.id == id)
                .expect("validated firm")
        };
        let flags = |ids: &[String], len: usize, index: &dyn Fn(&str) -> usize| {
            let mut f = vec![false; len];
            for id in ids {
                f[index(id)] = true;
            }
            f
        };
        let state_flags = |ids: &[String]| flags(ids, n, &state);
        let mut timeline = vec![Vec::new(); scenario.ticks as usize];
        let mut announcements = Vec::new();
        for event in &scenario.events {
            let tick = scenario.tick_of_date(event.date) as u32;
            let change = match &event.action {
                Action::ExportControl {
                    controller,
                    sector: s,
                    max_capability,
                    destinations,
                    covered_firms,
                    licence_approval_rate,
                    extraterritorial,
                    ..
                } => {
                    let control = ExportControl {
                        controller: state(controller),
                        sector: sector(s),
                        max_capability: *max_capability,
                        destinations: state_flags(destinations),
                        covered_firms: (!covered_firms.is_empty())
                            .then(|| flags(covered_firms, scenario.firms.len(), &firm)),
                        licence_approval_rate: *licence_approval_rate,
                        extraterritorial: *extraterritorial,
                        since_tick: tick,
                    };
                    if let Some(announced) = event.announced {
                        let announced_tick = scenario.tick_of_date(announced).max(0) as u32;
                        if announced_tick < tick {
                            announcements.push(Announcement {
                                announced_tick,
                                effective_tick: tick,
                                control: control.clone(),
                            });
                        }
                    }
                    Change::Impose(Instrument::Control(control))
                }
                Action::AllyAlignment {
                    control,
                    allies,
                    alliances,
                    ..
                } => {
                    let controller = scenario
                        .events
                        .iter()
                        .find_map(|e| match &e.action {
                            Action::ExportControl { id, controller, .. } if id == control => {
                                Some(state(controller))
                            }
                            _ => None,
                        })
                        .expect("validated: the control is imposed before");
                    let mut channels = vec![0u32; n];
                    for a in allies {
                        channels[state(a)] += 1;
                    }
                    for id in alliances {
                        let alliance = scenario
                            .alliances
                            .iter()
                            .find(|x| &x.id == id)
                            .expect("validated alliance");
                        for m in &alliance.members {
                            channels[state(m)] += 1;
                        }
                    }
                    channels[controller] = 0;
                    Change::Impose(Instrument::Alignment {
                        control: control.clone(),
                        channels,
                    })
                }
                Action::TieredAccess {
                    controller,
                    sector: s,
                    max_capability,
                    tier2,
                    tier2_quota_usd_b,
                    window_years,
                    tier3,
                    ..
                } => {
                    let mut tier = vec![1u8; n];
                    for t in tier2 {
                        tier[state(t)] = 2;
                    }
                    for t in tier3 {
                        tier[state(t)] = 3;
                    }
                    Change::Impose(Instrument::Tiered(TieredAccess {
                        controller: state(controller),
                        sector: sector(s),
                        max_capability: *max_capability,
                        tier,
                        quota_left: vec![*tier2_quota_usd_b; n],
                        window_end_tick: f64::from(tick)
                            + window_years * f64::from(scenario.ticks_per_year),
                    }))
                }
                Action::SalesCondition {
                    controller,
                    sector: s,
                    destinations,
                    revenue_share,
                    ..
                } => Change::Impose(Instrument::Condition {
                    controller: state(controller),
                    sector: sector(s),
                    destinations: state_flags(destinations),
                    revenue_share: *revenue_share,
                }),
                Action::AntiTransshipment {
                    controller,
                    hubs,
                    enforcement,
                    ..
                } => Change::Impose(Instrument::AntiTransshipment {
                    controller: state(controller),
                    hubs: state_flags(hubs),
                    enforcement: *enforcement,
                }),
                Action::OutboundInvestment {
                    target,
                    sectors,
                    expansion_cut,
                    ..
                } => Change::Impose(Instrument::Outbound {
                    target: state(target),
                    sectors: flags(sectors, scenario.sectors.len(), &sector),
                    expansion_cut: *expansion_cut,
                }),
                Action::PurchaseDiscouragement {
                    buyer,
                    against,
                    sector: s,
                    utility_penalty,
                    ..
                } => Change::Impose(Instrument::Discouragement {
                    buyer: state(buyer),
                    against: state(against),
                    sector: sector(s),
                    penalty: *utility_penalty,
                }),
                Action::AntitrustAction {
                    state: st,
                    firm: f,
                    utility_penalty,
                    ..
                } => Change::Impose(Instrument::Antitrust {
                    state: state(st),
                    firm: firm(f),
                    penalty: *utility_penalty,
                }),
                Action::StateFund {
                    state: st,
                    sectors,
                    rd_usd_b_per_year,
                    capacity_usd_b_per_year,
                    ..
                } => Change::Impose(Instrument::Fund {
                    state: state(st),
                    sectors: flags(sectors, scenario.sectors.len(), &sector),
                    rd_per_year: *rd_usd_b_per_year,
                    capacity_per_year: *capacity_usd_b_per_year,
                }),
                Action::ProcurementMandate {
                    state: st,
                    sector: s,
                    domestic_share,
                    ..
                } => Change::Impose(Instrument::Mandate {
                    state: state(st),
                    sector: sector(s),
                    domestic_share: *domestic_share,
                }),
                Action::DomesticEquipmentQuota {
                    state: st,
                    domestic_share,
                    ..
                } => Change::Impose(Instrument::EquipmentQuota {
                    state: state(st),
                    domestic_share: *domestic_share,
                }),
                Action::ReshoringSubsidy {
                    firm: f,
                    capacity_usd_b,
                    ..
                } => Change::AddCapacity {
                    firm: firm(f),
                    capacity: *capacity_usd_b,
                },
                Action::TrustShock {
                    state: st,
                    alliance,
                    toward,
                    size,
                    ..
                } => {
                    let toward = state(toward);
                    let states = match (st, alliance) {
                        (Some(st), _) => vec![state(st)],
                        (None, Some(id)) => scenario
                            .alliances
                            .iter()
                            .find(|x| &x.id == id)
                            .expect("validated alliance")
                            .members
                            .iter()
                            .map(|m| state(m))
                            .filter(|&m| m != toward)
                            .collect(),
                        (None, None) => unreachable!("validated: a state or an alliance"),
                    };
                    Change::TrustShock {
                        states,
                        toward,
                        size: *size,
                    }
                }
                Action::SupplyDisruption {
                    state: st,
                    sector: s,
                    capacity_share_lost,
                    ..
                } => Change::Impose(Instrument::Disruption {
                    state: state(st),
                    sector: sector(s),
                    share_lost: *capacity_share_lost,
                }),
                Action::Remove { .. } => Change::Remove,
            };
            timeline[tick as usize].push((event.action.instrument_id().to_string(), change));
        }
        PolicyRegime {
            instruments: BTreeMap::new(),
            timeline,
            announcements,
            trust: vec![vec![1.0; n]; n],
            compliance: vec![vec![start_compliance; n]; n],
            commitment: scenario.states.iter().map(|s| s.commitment).collect(),
            denial: vec![0.0; n],
            hubs: scenario
                .states
                .iter()
                .map(|s| s.transshipment_hub)
                .collect(),
        }
    }

    /// Export controls in force, in id order.
    pub fn controls(&self) -> impl Iterator<Item = (&String, &ExportControl)> {
        self.instruments.iter().filter_map(|(id, i)| match i {
            Instrument::Control(c) => Some((id, c)),
            _ => None,
        })
    }

    /// Through how many channels `state` has been asked to align with control `id` (0 = not
    /// asked).
    pub fn channels_for(&self, control_id: &str, state: usize) -> u32 {
        self.instruments
            .values()
            .filter_map(|i| match i {
                Instrument::Alignment { control, channels } if control == control_id => {
                    Some(channels[state])
                }
                _ => None,
            })
            .sum()
    }

    /// What `market` may buy of firm `firm` (home `home`, sector `sector`, capability `q`).
    /// `tool_dependence(controller)` is the firm's share of tools bought from that controller's
    /// firms, for extraterritorial reach; `de_minimis` the share above which reach applies.
    pub fn restriction(
        &self,
        firm: usize,
        home: usize,
        sector: usize,
        market: usize,
        q: f64,
        de_minimis: f64,
        tool_dependence: &dyn Fn(usize) -> f64,
    ) -> Restriction {
        if self.instruments.is_empty() {
            return Restriction {
                allowed: 1.0,
                threshold: None,
            };
        }
        let mut allowed = 1.0;
        let mut threshold: Option<f64> = None;
        let mut bind = |blocked_share: f64, max_capability: f64| {
            allowed *= 1.0 - blocked_share;
            threshold = Some(threshold.map_or(max_capability, |t: f64| t.min(max_capability)));
        };
        for (id, c) in self.controls() {
            if c.sector != sector
                || !c.destinations[market]
                || q <= c.max_capability
                || home == market
            {
                continue;
            }
            let unlicensed = 1.0 - c.licence_approval_rate;
            if c.binds_directly(firm, home) {
                bind(unlicensed, c.max_capability);
            } else if home != c.controller {
                let compliance = self.compliance[home][c.controller];
                let asked = self.channels_for(id, home) > 0;
                let reached = c.extraterritorial && tool_dependence(c.controller) >= de_minimis;
                if asked || reached {
                    bind(unlicensed * compliance, c.max_capability);
                }
            }
        }
        for instrument in self.instruments.values() {
            if let Instrument::Tiered(t) = instrument
                && t.sector == sector
                && t.controller == home
                && q > t.max_capability
                && t.tier[market] == 3
            {
                bind(1.0, t.max_capability);
            }
        }
        Restriction { allowed, threshold }
    }

    /// Whether any export control or tiered access rule covers `sector`: without one, every
    /// buyer may buy everything from every supplier of the sector, and the market skips the
    /// per-supplier restriction checks.
    pub fn restricts_sector(&self, sector: usize) -> bool {
        self.instruments.values().any(|i| match i {
            Instrument::Control(c) => c.sector == sector,
            Instrument::Tiered(t) => t.sector == sector,
            _ => false,
        })
    }

    /// Utility added to each supplier of one sector (`firms`, with their `homes`) in each
    /// market's choice — purchase discouragement and antitrust penalties; the commitment bonus
    /// is added by the market — written into `out` (entry `m * n_markets + i`). One pass over
    /// the instruments per sector and tick, not one per supplier and market. Returns whether
    /// any entry is nonzero.
    pub fn utility_shifts(
        &self,
        sector: usize,
        firms: &[usize],
        homes: &[usize],
        n_markets: usize,
        out: &mut Vec<f64>,
    ) -> bool {
        let shifts = |i: &Instrument| match i {
            Instrument::Discouragement { sector: s, .. } => *s == sector,
            Instrument::Antitrust { .. } => true,
            _ => false,
        };
        if !self.instruments.values().any(shifts) {
            return false;
        }
        out.clear();
        out.resize(firms.len() * n_markets, 0.0);
        let mut any = false;
        for instrument in self.instruments.values() {
            match instrument {
                Instrument::Discouragement {
                    buyer,
                    against,
                    sector: s,
                    penalty,
                } if *s == sector => {
                    for (m, _) in homes.iter().enumerate().filter(|(_, h)| *h == against) {
                        out[m * n_markets + buyer] -= penalty;
                        any = true;
                    }
                }
                Instrument::Antitrust {
                    state,
                    firm,
                    penalty,
                } => {
                    for (m, _) in firms.iter().enumerate().filter(|(_, f)| *f == firm) {
                        out[m * n_markets + state] -= penalty;
                        any = true;
                    }
                }
                _ => {}
            }
        }
        any
    }

    /// Share of `market`'s demand in `sector` reserved for its own firms.
    pub fn mandate_share(&self, sector: usize, market: usize) -> f64 {
        self.instruments
            .values()
            .filter_map(|i| match i {
                Instrument::Mandate {
                    state,
                    sector: s,
                    domestic_share,
                } if *state == market && *s == sector => Some(*domestic_share),
                _ => None,
            })
            .fold(0.0, f64::max)
    }

    /// Enforcement against leakage of `controller`'s goods: the base rate raised by
    /// anti-transshipment agreements in proportion to the share of transit hubs that signed.
    pub fn enforcement(&self, controller: usize, base: f64) -> f64 {
        let hubs = self.hubs.iter().filter(|&&h| h).count();
        let mut through_agreements: f64 = 0.0;
        for instrument in self.instruments.values() {
            if let Instrument::AntiTransshipment {
                controller: c,
                hubs: signed,
                enforcement,
            } = instrument
                && *c == controller
            {
                let coverage = if hubs == 0 {
                    1.0
                } else {
                    signed
                        .iter()
                        .zip(&self.hubs)
                        .filter(|(s, h)| **s && **h)
                        .count() as f64
                        / hubs as f64
                };
                through_agreements = through_agreements.max(enforcement * coverage);
            }
        }
        base + (1.0 - base) * through_agreements
    }

    /// Whether any conditioned-sales instrument (the only source of revenue levies) is in force.
    pub fn has_revenue_levies(&self) -> bool {
        self.instruments
            .values()
            .any(|i| matches!(i, Instrument::Condition { .. }))
    }

    /// Share of revenue from `market` that firm home `home` in `sector` pays to a government.
    pub fn revenue_levy(&self, home: usize, sector: usize, market: usize) -> f64 {
        self.instruments
            .values()
            .filter_map(|i| match i {
                Instrument::Condition {
                    controller,
                    sector: s,
                    destinations,
                    revenue_share,
                } if *controller == home && *s == sector && destinations[market] => {
                    Some(*revenue_share)
                }
                _ => None,
            })
            .fold(0.0, f64::max)
    }

    /// Share of capacity expansion lost by firms of `state` in `sector`.
    pub fn expansion_cut(&self, state: usize, sector: usize) -> f64 {
        self.instruments
            .values()
            .filter_map(|i| match i {
                Instrument::Outbound {
                    target,
                    sectors,
                    expansion_cut,
                } if *target == state && sectors[sector] => Some(*expansion_cut),
                _ => None,
            })
            .fold(0.0, f64::max)
    }

    /// Share of capacity that firms of `state` in `sector` can use (1 without disruptions).
    pub fn usable_capacity(&self, state: usize, sector: usize) -> f64 {
        self.instruments
            .values()
            .filter_map(|i| match i {
                Instrument::Disruption {
                    state: s,
                    sector: k,
                    share_lost,
                } if *s == state && *k == sector => Some(1.0 - share_lost),
                _ => None,
            })
            .fold(1.0, f64::min)
    }

    /// Minimum domestic share of new tools in `state`.
    pub fn domestic_tool_share(&self, state: usize) -> f64 {
        self.instruments
            .values()
            .filter_map(|i| match i {
                Instrument::EquipmentQuota {
                    state: s,
                    domestic_share,
                } if *s == state => Some(*domestic_share),
                _ => None,
            })
            .fold(0.0, f64::max)
    }

    /// Whether any state has a domestic-equipment quota above 0 in force: without one,
    /// [`PolicyRegime::domestic_tool_share`] is 0 for every state.
    pub fn has_equipment_quotas(&self) -> bool {
        self.instruments.values().any(|i| {
            matches!(i, Instrument::EquipmentQuota { domestic_share, .. } if *domestic_share > 0.0)
        })
    }

    /// State funds in force: (state, sector flags, R&D $B/yr, capacity $B/yr).
    pub fn funds(&self) -> impl Iterator<Item = (usize, &Vec<bool>, f64, f64)> {
        self.instruments.values().filter_map(|i| match i {
            Instrument::Fund {
                state,
                sectors,
                rd_per_year,
                capacity_per_year,
            } => Some((*state, sectors, *rd_per_year, *capacity_per_year)),
            _ => None,
        })
    }
}

/// System: applies the events dated in this tick, in file order.
pub fn apply_policy_events(
    clock: Res<Clock>,
    roster: Res<Roster>,
    mut regime: ResMut<PolicyRegime>,
    mut capacities: Query<&mut Capacity>,
) {
    let changes = std::mem::take(&mut regime.timeline[clock.tick as usize]);
    for (id, change) in &changes {
        match change {
            Change::Impose(instrument) => {
                let mut instrument = instrument.clone();
                // A tightened or loosened control keeps the date gray networks started building.
                if let (Instrument::Control(new), Some(Instrument::Control(old))) =
                    (&mut instrument, regime.instruments.get(id))
                {
                    new.since_tick = old.since_tick;
                }
                regime.instruments.insert(id.clone(), instrument);
            }
            Change::Remove => {
                regime.instruments.remove(id);
            }
            Change::AddCapacity { firm, capacity } => {
                if let Ok(mut c) = capacities.get_mut(roster.firms[*firm]) {
                    c.0 += capacity;
                }
            }
            Change::TrustShock {
                states,
                toward,
                size,
            } => {
                for &state in states {
                    let trust = &mut regime.trust[state][*toward];
                    *trust = (*trust - size).max(0.0);
                }
            }
        }
    }
    regime.timeline[clock.tick as usize] = changes;
}
