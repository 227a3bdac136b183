//! `bench/edge.svg`, hand-written SVG (no plotting dependency): requests/s and p99
//! latency per route and connection count, pay latency by history length, and time to
//! `kassa:ready` next to a blank page.

use std::fmt::Write as _;

use serde_json::Value;

use super::edge::{CONCURRENCY, ROUTES};

const W: f64 = 860.0;
const PANEL_H: f64 = 190.0;
const COLORS: [&str; 3] = ["#9ecae1", "#4292c6", "#08519c"];

/// One horizontal bar panel: `groups` of (label, values per series).
fn panel(
    svg: &mut String,
    y0: f64,
    title: &str,
    unit: &str,
    groups: &[(String, Vec<f64>)],
    series: &[&str],
) {
    let max = groups
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|x| x.is_finite())
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let _ = writeln!(
        svg,
        r#"<text x="10" y="{:.0}" font-weight="bold">{title}</text>"#,
        y0 + 14.0
    );
    let left = 290.0;
    let width = W - left - 80.0;
    let rows = groups.iter().map(|(_, v)| v.len()).sum::<usize>() + groups.len();
    let bar = ((PANEL_H - 30.0) / rows.max(1) as f64).min(14.0);
    let mut y = y0 + 24.0;
    for (label, values) in groups {
        let _ = writeln!(
            svg,
            r#"<text x="{:.0}" y="{:.1}" text-anchor="end">{label}</text>"#,
            left - 6.0,
            y + bar * values.len() as f64 / 2.0 + 4.0
        );
        for (i, v) in values.iter().enumerate() {
            let w = if v.is_finite() { v / max * width } else { 0.0 };
            let _ = writeln!(
                svg,
                r#"<rect x="{left}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{} {v:.1} {unit}</title></rect><text x="{:.1}" y="{:.1}" font-size="10">{v:.1}</text>"#,
                bar - 2.0,
                COLORS[i % COLORS.len()],
                series.get(i).unwrap_or(&""),
                left + w + 4.0,
                y + bar - 4.0
            );
            y += bar;
        }
        y += bar;
    }
    for (i, s) in series.iter().enumerate() {
        let x = W - 200.0 + 66.0 * i as f64;
        let _ = writeln!(
            svg,
            r#"<rect x="{x:.0}" y="{:.0}" width="10" height="10" fill="{}"/><text x="{:.0}" y="{:.0}" font-size="10">{s}</text>"#,
            y0 + 5.0,
            COLORS[i % COLORS.len()],
            x + 13.0,
            y0 + 14.0
        );
    }
}

pub fn edge_svg(v: &Value) -> String {
    let f = |x: &Value| x.as_f64().unwrap_or(f64::NAN);
    let per_route = |metric: &str| -> Vec<(String, Vec<f64>)> {
        ROUTES
            .iter()
            .map(|(key, _)| {
                let vals = CONCURRENCY
                    .iter()
                    .map(|c| f(&v["routes"][key][c][metric]))
                    .collect();
                ((*key).to_owned(), vals)
            })
            .collect()
    };
    let conns: Vec<String> = CONCURRENCY.iter().map(|c| format!("{c} conn")).collect();
    let conns: Vec<&str> = conns.iter().map(String::as_str).collect();
    let history: Vec<(String, Vec<f64>)> = ["10", "100", "1000"]
        .iter()
        .map(|n| {
            (
                format!("pay after {n} events"),
                vec![f(&v["history"][n]["p50_ms"])],
            )
        })
        .collect();
    let ready = vec![
        ("blank page".to_owned(), vec![f(&v["ready"]["blank_ms"])]),
        (
            "widget → kassa:ready".to_owned(),
            vec![f(&v["ready"]["ready_ms"])],
        ),
    ];
    let h = PANEL_H * 2.0 + 120.0 + 90.0 + 20.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>"#
    );
    svg.push('\n');
    panel(
        &mut svg,
        0.0,
        "Requests per second (wrangler dev, 127.0.0.1)",
        "req/s",
        &per_route("rps"),
        &conns,
    );
    panel(
        &mut svg,
        PANEL_H,
        "p99 latency, ms",
        "ms",
        &per_route("p99_ms"),
        &conns,
    );
    let mut y = PANEL_H * 2.0;
    panel(
        &mut svg,
        y,
        "pay p50 latency by order history, ms",
        "ms",
        &history,
        &[],
    );
    y += 120.0;
    panel(
        &mut svg,
        y,
        "navigation → event, ms (median, headless Chromium)",
        "ms",
        &ready,
        &[],
    );
    svg.push_str("</svg>\n");
    svg
}
