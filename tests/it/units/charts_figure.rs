//! Tests of `src/charts/figure.rs`.

use chokepoint::charts::SizePreset;
use chokepoint::charts::figure::*;
use chokepoint::charts::font::text_width_pt;
use chokepoint::charts::theme::BLACK;
use chokepoint::charts::theme::Theme;

fn entry(label: &str) -> LegendEntry {
    LegendEntry {
        label: label.into(),
        color: BLACK,
        swatch: Swatch::Patch,
    }
}

fn figure(labels: &[&str]) -> Figure {
    Figure {
        stem: "t".into(),
        caption: String::new(),
        title: None,
        x_title: "Year".into(),
        y_title: ("Share (%)".into(), "Share".into()),
        panels: vec![Panel {
            title: None,
            x: Axis::time(2022.0, 2025.0),
            y: Axis::linear(0.0, 100.0),
            layers: Vec::new(),
            grid_x: false,
            grid_y: true,
        }],
        cols: 1,
        legend: labels.iter().map(|l| entry(l)).collect(),
        plot_h_pt: None,
    }
}

#[test]
fn long_legend_labels_wrap_inside_the_figure_and_keep_every_word() {
    let long = "Other Chinese AI chips (Kunlunxin, T-Head, Biren, Moore Threads, Enflame, \
                Iluvatar CoreX, MetaX) (CN)";
    let unbroken = "Supercalifragilisticexpialidocious-Semiconductor-Holdings-International";
    let labels = ["Nvidia (US)", long, "AMD (US)", unbroken, "Cambricon (CN)"];
    for preset in [SizePreset::OneColumn, SizePreset::TwoColumn] {
        let th = Theme::layout(preset);
        let lay = layout(&figure(&labels), &th);
        let text_x = th.legend_pt * 2.0 + th.legend_pt * 0.45;
        for slot in &lay.legend {
            for line in &slot.lines {
                assert!(!line.contains('…'), "cut: {line}");
                let right = slot.x + text_x + text_width_pt(line, th.legend_pt, false);
                assert!(
                    right <= lay.width_pt - th.margin_pt + 1e-6,
                    "{line:?} ends at {right:.1} pt of {:.1}",
                    lay.width_pt
                );
            }
            let joined = slot.lines.join(" ");
            let words = |s: &str| s.split_whitespace().collect::<String>();
            assert_eq!(words(&joined), words(&slot.entry.label), "text lost");
        }
        if preset == SizePreset::OneColumn {
            assert!(
                lay.legend.iter().any(|s| s.lines.len() > 1),
                "the long label wraps"
            );
        }
        // Wrapped entries make the figure taller instead of overlapping the next row.
        let mut ys: Vec<f64> = lay.legend.iter().map(|s| s.y).collect();
        ys.dedup();
        assert!(ys.windows(2).all(|w| w[1] > w[0]));
    }
}

#[test]
fn a_long_panel_title_wraps_to_the_panel() {
    let mut fig = figure(&["A"]);
    fig.panels[0].title = Some(
        "Design point 17 (one of 40): learning.catch_up_rate_per_year = 0.35, \
         policy.threshold_frontier_years = -1.5"
            .into(),
    );
    let th = Theme::layout(SizePreset::OneColumn);
    let lay = layout(&fig, &th);
    let p = &lay.panels[0];
    assert!(p.title_lines.len() > 1);
    for line in &p.title_lines {
        assert!(text_width_pt(line, th.panel_title_pt, true) <= p.data.w + 1e-6);
    }
}
