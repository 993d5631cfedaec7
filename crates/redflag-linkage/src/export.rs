//! A ring's evidence graph as Graphviz DOT and as JSON: subjects are nodes, each shared value or
//! similarity is an edge labelled with its comparison, value and weight in bits.

use std::collections::BTreeMap;
use std::fmt::Write;

use redflag_model::Ring;
use serde_json::{Value, json};

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ")
}

/// The ring as a DOT graph (undirected; one edge per pair, its label listing every link).
pub fn ring_dot(ring: &Ring) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "graph \"{}\" {{", dot_escape(&ring.id.0));
    let _ = writeln!(
        out,
        "  graph [label=\"{} ({} members, score {:.3})\"];",
        dot_escape(&ring.id.0),
        ring.members.len(),
        ring.score
    );
    let _ = writeln!(out, "  node [shape=box];");
    for m in &ring.members {
        let _ = writeln!(out, "  \"{}\";", dot_escape(m.as_str()));
    }
    for ((a, b), links) in grouped(ring) {
        let label: Vec<String> = links
            .iter()
            .map(|(kind, value, w)| format!("{kind}: {value} ({w:+.1})"))
            .collect();
        let total: f64 = links.iter().map(|(_, _, w)| w).sum();
        let _ = writeln!(
            out,
            "  \"{}\" -- \"{}\" [label=\"{}\", penwidth={:.1}];",
            dot_escape(a),
            dot_escape(b),
            dot_escape(&label.join("\\n")).replace("\\\\n", "\\n"),
            (total / 8.0).clamp(1.0, 6.0)
        );
    }
    out.push_str("}\n");
    out
}

type Links<'r> = Vec<(&'r str, &'r str, f64)>;

fn grouped(ring: &Ring) -> BTreeMap<(&str, &str), Links<'_>> {
    let mut by_pair: BTreeMap<(&str, &str), Links<'_>> = BTreeMap::new();
    for l in &ring.links {
        by_pair
            .entry((l.a.as_str(), l.b.as_str()))
            .or_default()
            .push((l.kind.as_str(), l.value.as_str(), l.weight));
    }
    by_pair
}

/// The ring as JSON: `{id, score, nodes: [id…], edges: [{a, b, weight, links: [{kind, value, weight}]}]}`.
pub fn ring_json(ring: &Ring) -> Value {
    let edges: Vec<Value> = grouped(ring)
        .into_iter()
        .map(|((a, b), links)| {
            let total: f64 = links.iter().map(|(_, _, w)| w).sum();
            json!({
                "a": a,
                "b": b,
                "weight": total,
                "links": links.iter().map(|(k, v, w)| json!({"kind": k, "value": v, "weight": w})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "id": ring.id.0,
        "score": ring.score,
        "nodes": ring.members.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "edges": edges,
    })
}
