//! Throughput of the sign-in and osquery readers, parse to the domain model, on generated vendor-shaped
//! data held in memory (events per second on one core).

#![allow(missing_docs, clippy::unwrap_used)]

#[path = "../examples/common/gen.rs"]
mod generator;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use redflag_connectors::{entra, okta, osquery};

/// The allocator the shipped `redflag` binary uses (crates/redflag/src/main.rs), so the figures are
/// those of the product; the library itself never sets one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const N: u64 = 20_000;

fn drain<I: Iterator<Item = Result<redflag_model::Event, redflag_connectors::Reject>>>(
    it: I,
) -> usize {
    it.filter(|r| r.is_ok()).count()
}

fn readers(c: &mut Criterion) {
    let mut group = c.benchmark_group("connectors");
    group.throughput(Throughput::Elements(N));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    for (name, kind, framing) in [
        ("okta_ndjson", "okta", "ndjson"),
        ("okta_array", "okta", "array"),
        ("entra_graph_page", "entra", "graph"),
        ("osquery_events", "osquery", "ndjson"),
    ] {
        let bytes = generator::file(kind, framing, N);
        group.bench_function(name, |b| {
            b.iter(|| {
                let n = match kind {
                    "okta" => drain(okta::reader(&bytes[..], "bench")),
                    "entra" => drain(entra::reader(&bytes[..], "bench")),
                    _ => drain(osquery::reader(&bytes[..], "bench")),
                };
                assert_eq!(n as u64, N);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);
