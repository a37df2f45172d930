//! Writes the fixture directories under tests/fixtures/ (run with
//! `cargo test --test it -- --ignored charts::regenerate_fixtures`). Deterministic: a fixed
//! xorshift generator, no external randomness.

use std::fmt::Write as _;
use std::path::Path;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Roughly N(0, 1).
    fn normal(&mut self) -> f64 {
        (0..6).map(|_| self.next()).sum::<f64>() - 3.0
    }
}

const TICKS: u32 = 24;

fn date(tick: u32) -> String {
    // Monthly from July 2022.
    let m = 6 + tick; // months since Jan 2022
    format!("{}-{:02}-01", 2022 + m / 12, m % 12 + 1)
}

const STATES: [(&str, &str); 7] = [
    ("US", "United States"),
    ("CN", "China"),
    ("TW", "Taiwan"),
    ("KR", "South Korea"),
    ("JP", "Japan"),
    ("NL", "Netherlands"),
    ("ROW", "Rest of world"),
];

/// (id, name, home, sector, base share weight, capability lag in years)
const FIRMS: [(&str, &str, &str, &str, f64, f64); 21] = [
    ("tsmc", "TSMC", "TW", "foundry_advanced", 6.0, 0.0),
    (
        "samsung_foundry",
        "Samsung Foundry",
        "KR",
        "foundry_advanced",
        1.6,
        0.5,
    ),
    ("intel", "Intel", "US", "foundry_advanced", 1.0, 1.5),
    ("smic", "SMIC", "CN", "foundry_advanced", 0.6, 4.0),
    ("samsung_memory", "Samsung Memory", "KR", "memory", 4.0, 0.0),
    ("sk_hynix", "SK hynix", "KR", "memory", 3.0, 0.2),
    ("micron", "Micron", "US", "memory", 2.3, 0.4),
    ("cxmt", "CXMT", "CN", "memory", 0.5, 3.0),
    ("ymtc", "YMTC", "CN", "memory", 0.4, 2.0),
    ("asml", "ASML", "NL", "equipment", 2.2, 0.0),
    ("amat", "Applied Materials", "US", "equipment", 2.0, 0.3),
    ("lam", "Lam Research", "US", "equipment", 1.6, 0.4),
    ("tel", "Tokyo Electron", "JP", "equipment", 1.5, 0.5),
    ("kla", "KLA", "US", "equipment", 0.8, 0.5),
    ("screen", "SCREEN", "JP", "equipment", 0.3, 1.0),
    ("naura", "Naura", "CN", "equipment", 0.3, 5.0),
    ("amec", "AMEC", "CN", "equipment", 0.2, 5.0),
    ("smee", "SMEE", "CN", "equipment", 0.1, 8.0),
    ("nvidia", "Nvidia", "US", "ai_accelerator", 8.0, 0.0),
    ("amd", "AMD", "US", "ai_accelerator", 1.0, 0.7),
    ("huawei", "Huawei Ascend", "CN", "ai_accelerator", 0.7, 2.5),
];

const SECTORS: [&str; 4] = ["foundry_advanced", "memory", "equipment", "ai_accelerator"];
const MARKETS: [&str; 2] = ["world", "CN"];

fn num(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" { "0".into() } else { s }
}

pub fn write_run(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("manifest.json"),
        "{\n  \"kind\": \"run\",\n  \"scenario\": \"oct2022_controls\",\n  \"seed\": 7,\n  \"ticks\": 24\n}\n",
    )
    .unwrap();
    let mut s = String::from("state,name\n");
    for (c, n) in STATES {
        writeln!(s, "{c},{n}").unwrap();
    }
    std::fs::write(dir.join("states.csv"), s).unwrap();
    let mut f = String::from("firm,name,home,sector\n");
    for (id, name, home, sector, ..) in FIRMS {
        writeln!(f, "{id},{name},{home},{sector}").unwrap();
    }
    std::fs::write(dir.join("firms.csv"), f).unwrap();

    let mut rng = Rng(0x9E3779B97F4A7C15);
    let mut out = String::from("tick,date,metric,state,firm,sector,market,value\n");
    for t in 0..TICKS {
        let d = date(t);
        let tf = t as f64 / TICKS as f64;
        // Market shares: CN firms gain in the CN market, US firms lose there.
        for sector in SECTORS {
            for market in MARKETS {
                let firms: Vec<_> = FIRMS.iter().filter(|f| f.3 == sector).collect();
                let w: Vec<f64> = firms
                    .iter()
                    .map(|f| {
                        let trend = match (market, f.2) {
                            ("CN", "CN") => 1.6,
                            ("CN", "US") => -1.2,
                            (_, "CN") => 0.3,
                            _ => 0.0,
                        };
                        f.4 * (trend * tf + 0.03 * rng.normal()).exp()
                    })
                    .collect();
                let total: f64 = w.iter().sum();
                let mut by_state: Vec<(&str, f64)> = Vec::new();
                for (f, wi) in firms.iter().zip(&w) {
                    let share = wi / total;
                    writeln!(
                        out,
                        "{t},{d},market_share,,{},{sector},{market},{}",
                        f.0,
                        num(share)
                    )
                    .unwrap();
                    match by_state.iter_mut().find(|(s, _)| *s == f.2) {
                        Some(e) => e.1 += share,
                        None => by_state.push((f.2, share)),
                    }
                }
                // state_market_share only for the world market: the CN market exercises the
                // fallback that sums firm shares by home state.
                if market == "world" {
                    for (st, v) in by_state {
                        writeln!(
                            out,
                            "{t},{d},state_market_share,{st},,{sector},{market},{}",
                            num(v)
                        )
                        .unwrap();
                    }
                }
            }
        }
        // Self-sufficiency of the states that have firms.
        for (i, (st, _)) in STATES.iter().take(6).enumerate() {
            for (j, sector) in SECTORS.iter().enumerate() {
                let base = 0.15 + 0.12 * ((i * 3 + j * 5) % 7) as f64;
                let trend = if *st == "CN" { 0.25 } else { 0.03 };
                let v = (base + trend * tf + 0.01 * rng.normal()).clamp(0.0, 1.0);
                writeln!(out, "{t},{d},self_sufficiency,{st},,{sector},,{}", num(v)).unwrap();
            }
        }
        // Capability: the frontier advances one year per year; laggards catch up slowly.
        let years = t as f64 / 12.0;
        for sector in SECTORS {
            let mut best: Vec<(&str, f64)> = Vec::new();
            for f in FIRMS.iter().filter(|f| f.3 == sector) {
                let catch = if f.2 == "CN" { 0.35 * years } else { 0.0 };
                let v = years - f.5 + catch + 0.02 * rng.normal();
                writeln!(out, "{t},{d},capability,,{},{sector},,{}", f.0, num(v)).unwrap();
                match best.iter_mut().find(|(s, _)| *s == f.2) {
                    Some(e) => e.1 = e.1.max(v),
                    None => best.push((f.2, v)),
                }
            }
            let frontier = best.iter().map(|b| b.1).fold(f64::NEG_INFINITY, f64::max);
            writeln!(out, "{t},{d},best_capability,,,{sector},,{}", num(frontier)).unwrap();
            for (st, v) in &best {
                writeln!(out, "{t},{d},best_capability,{st},,{sector},,{}", num(*v)).unwrap();
                writeln!(
                    out,
                    "{t},{d},capability_gap,{st},,{sector},,{}",
                    num((frontier - v).max(0.0))
                )
                .unwrap();
            }
        }
        for (st, base, g) in [
            ("US", 1.0, 0.5),
            ("CN", 0.35, 0.15),
            ("TW", 0.05, 0.3),
            ("KR", 0.06, 0.35),
            ("JP", 0.05, 0.3),
            ("NL", 0.02, 0.3),
        ] {
            let v = base * (1.0 + g * years) * (1.0 + 0.01 * rng.normal());
            writeln!(out, "{t},{d},ai_compute,{st},,,,{}", num(v)).unwrap();
        }
    }
    std::fs::write(dir.join("metrics.csv"), out).unwrap();
}

pub fn write_sweep(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("manifest.json"),
        "{\n  \"kind\": \"sweep\",\n  \"scenario\": \"oct2022_controls\",\n  \"design\": \"sobol\",\n  \"points\": 2,\n  \"replicates\": 40\n}\n",
    )
    .unwrap();
    let mut rng = Rng(0xD1B54A32D192ED03);
    // (metric, state, firm, sector, market, start, slope, spread)
    type Spec<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, f64, f64, f64);
    let series: [Spec; 14] = [
        (
            "self_sufficiency",
            "CN",
            "",
            "foundry_advanced",
            "",
            0.12,
            0.15,
            0.03,
        ),
        ("self_sufficiency", "CN", "", "memory", "", 0.2, 0.1, 0.04),
        (
            "self_sufficiency",
            "CN",
            "",
            "equipment",
            "",
            0.1,
            0.12,
            0.03,
        ),
        (
            "self_sufficiency",
            "CN",
            "",
            "ai_accelerator",
            "",
            0.15,
            0.2,
            0.05,
        ),
        (
            "self_sufficiency",
            "US",
            "",
            "foundry_advanced",
            "",
            0.1,
            0.05,
            0.02,
        ),
        ("self_sufficiency", "US", "", "memory", "", 0.25, 0.02, 0.02),
        (
            "capability_gap",
            "CN",
            "",
            "foundry_advanced",
            "",
            4.0,
            -0.4,
            0.4,
        ),
        (
            "capability_gap",
            "CN",
            "",
            "ai_accelerator",
            "",
            2.5,
            -0.3,
            0.3,
        ),
        ("ai_compute", "CN", "", "", "", 0.35, 0.1, 0.05),
        ("ai_compute", "US", "", "", "", 1.0, 0.5, 0.08),
        (
            "market_share",
            "",
            "tsmc",
            "foundry_advanced",
            "world",
            0.6,
            0.01,
            0.03,
        ),
        (
            "market_share",
            "",
            "smic",
            "foundry_advanced",
            "CN",
            0.15,
            0.12,
            0.04,
        ),
        (
            "state_market_share",
            "CN",
            "",
            "equipment",
            "world",
            0.05,
            0.04,
            0.01,
        ),
        ("price", "", "", "foundry_advanced", "CN", 1.0, 0.2, 0.05),
    ];
    let mut out = String::from(
        "point,tick,date,metric,state,firm,sector,market,mean,sd,p05,p25,p50,p75,p95,n\n",
    );
    for point in 0..2u32 {
        for (metric, st, firm, sector, market, start, slope, spread) in series {
            for t in 0..TICKS {
                let y = t as f64 / 12.0;
                let shift = if point == 1 { 1.15 } else { 1.0 };
                let med = (start + slope * y * shift) + 0.002 * rng.normal();
                let sd = spread * (0.4 + y);
                let q = |z: f64| num(med + z * sd);
                writeln!(
                    out,
                    "{point},{t},{},{metric},{st},{firm},{sector},{market},{},{},{},{},{},{},{},40",
                    date(t),
                    num(med + 0.05 * sd),
                    num(sd),
                    q(-1.645),
                    q(-0.674),
                    q(0.0),
                    q(0.674),
                    q(1.645)
                )
                .unwrap();
            }
        }
    }
    std::fs::write(dir.join("summary.csv"), out).unwrap();

    let params = [
        ("entity_list_coverage", 0.35),
        ("equipment_ban_strength", 0.25),
        ("fdpr_reach", 0.12),
        ("smuggling_rate", 0.08),
        ("cn_subsidy_scale", 0.06),
        ("learning_rate", 0.03),
        ("stockpile_months", 0.01),
    ];
    let mut s = String::from(
        "metric,state,firm,sector,market,tick,parameter,index,estimate,ci_low,ci_high\n",
    );
    for (metric, st, sector, tick, scale) in [
        ("self_sufficiency", "CN", "foundry_advanced", 11, 0.8),
        ("self_sufficiency", "CN", "foundry_advanced", 23, 1.0),
        ("ai_compute", "CN", "", 23, 0.9),
    ] {
        for (i, (p, w)) in params.iter().enumerate() {
            let s1 = w * scale * (0.9 + 0.02 * i as f64);
            let st_ = s1 * 1.35 + 0.01;
            let h = 0.02 + 0.01 * rng.next();
            writeln!(
                s,
                "{metric},{st},,{sector},,{tick},{p},S1,{},{},{}",
                num(s1),
                num(s1 - h),
                num(s1 + h)
            )
            .unwrap();
            writeln!(
                s,
                "{metric},{st},,{sector},,{tick},{p},ST,{},{},{}",
                num(st_),
                num(st_ - h),
                num(st_ + h)
            )
            .unwrap();
        }
    }
    for (p, w) in params {
        let mu_star = 2.0 * w + 0.05;
        writeln!(
            s,
            "capability_gap,CN,,foundry_advanced,,23,{p},mu_star,{},,",
            num(mu_star)
        )
        .unwrap();
        writeln!(
            s,
            "capability_gap,CN,,foundry_advanced,,23,{p},sigma,{},,",
            num(mu_star * 0.6)
        )
        .unwrap();
        writeln!(
            s,
            "capability_gap,CN,,foundry_advanced,,23,{p},mu,{},,",
            num(-mu_star * 0.8)
        )
        .unwrap();
    }
    std::fs::write(dir.join("sensitivity.csv"), s).unwrap();
}

pub fn write_effect(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("manifest.json"),
        "{\n  \"kind\": \"effect\",\n  \"scenario\": \"control_ladder\",\n  \"replicates\": 200\n}\n",
    )
    .unwrap();
    let doses = [
        "No controls",
        "Entity list",
        "+ Equipment ban",
        "+ Foreign direct product rule",
        "+ Allied alignment",
    ];
    let mut out =
        String::from("ablation,outcome,dose,dose_label,quantity,estimate,ci_low,ci_high,n\n");
    // outcome, level at dose 0, effects per dose, ci half-width
    let outcomes: [(&str, f64, [f64; 5], f64); 2] = [
        (
            "CN advanced-foundry self-sufficiency 2030 (%)",
            18.0,
            [0.0, 6.0, 14.0, 19.0, 21.0],
            1.5,
        ),
        (
            "US-CN frontier gap 2030 (years)",
            2.0,
            [0.0, 0.4, 1.3, 1.9, 2.6],
            0.25,
        ),
    ];
    for (ablation, damp) in [("none", 1.0), ("stockpiling", 0.7), ("no_smuggling", 1.25)] {
        for (outcome, level0, eff, h) in outcomes {
            let e: Vec<f64> = eff.iter().map(|x| x * damp).collect();
            for (k, label) in doses.iter().enumerate() {
                let kk = k as f64;
                let hw = h * (1.0 + 0.3 * kk);
                let lv = level0 + e[k];
                writeln!(
                    out,
                    "{ablation},{outcome},{k},{label},level,{},{},{},200",
                    num(lv),
                    num(lv - hw),
                    num(lv + hw)
                )
                .unwrap();
                let (lo, hi) = if k == 0 {
                    (0.0, 0.0)
                } else {
                    (e[k] - hw, e[k] + hw)
                };
                writeln!(
                    out,
                    "{ablation},{outcome},{k},{label},effect,{},{},{},200",
                    num(e[k]),
                    num(lo),
                    num(hi)
                )
                .unwrap();
                if k >= 1 {
                    let m = e[k] - e[k - 1];
                    writeln!(
                        out,
                        "{ablation},{outcome},{k},{label},marginal,{},{},{},200",
                        num(m),
                        num(m - hw * 0.8),
                        num(m + hw * 0.8)
                    )
                    .unwrap();
                }
                if k >= 2 {
                    let sd = e[k] - 2.0 * e[k - 1] + e[k - 2];
                    writeln!(
                        out,
                        "{ablation},{outcome},{k},{label},second_difference,{},{},{},200",
                        num(sd),
                        num(sd - hw),
                        num(sd + hw)
                    )
                    .unwrap();
                }
            }
        }
    }
    std::fs::write(dir.join("effects.csv"), out).unwrap();
}
