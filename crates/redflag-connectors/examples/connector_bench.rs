//! Generates vendor-shaped files and times the readers on them, for `bench/connectors/compare.sh`:
//!
//! ```text
//! cargo run --release -p redflag-connectors --example connector_bench -- gen okta ndjson 200000 /tmp/okta.ndjson
//! cargo run --release -p redflag-connectors --example connector_bench -- read okta /tmp/okta.ndjson
//! cargo run --release -p redflag-connectors --example connector_bench -- read okta /tmp/okta.ndjson 8
//! ```
//!
//! `read` with a pass count reads the file that many times, one fresh reader per pass (the file stays in
//! the page cache, so a long run needs no multi-gigabyte file), and reports the CPU time of the reading
//! thread (`/proc/thread-self/schedstat`, nanoseconds: user and kernel time, including the read copies)
//! and of the whole process (`/proc/self/stat`, user + sys), so a busy shared machine does not count
//! against the reader the way wall-clock time does.

#![allow(missing_docs)]

#[path = "common/gen.rs"]
mod generator;

use std::fs::File;
use std::io::{BufReader, Write};
use std::time::Instant;

use redflag_connectors::payroll::{PayoutMapping, PayrollReader};
use redflag_connectors::shipping::{ShipmentMapping, ShippingReader};
use redflag_connectors::{entra, okta, osquery};

/// The allocator the shipped `redflag` binary uses (crates/redflag/src/main.rs), so the figures are
/// those of the product; the library itself never sets one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 6 => {
            let n: u64 = args[4].parse()?;
            let bytes = generator::file(&args[2], &args[3], n);
            File::create(&args[5])?.write_all(&bytes)?;
            println!("wrote {} records, {} bytes to {}", n, bytes.len(), args[5]);
        }
        Some("read") if args.len() == 4 || args.len() == 5 => {
            let path = &args[3];
            let passes: u64 = args.get(4).map_or(Ok(1), |p| p.parse())?;
            let (thread0, process0) = (thread_cpu_ns(), process_cpu_ticks());
            let start = Instant::now();
            let (mut events, mut rejects) = (0, 0);
            for _ in 0..passes {
                let input = BufReader::with_capacity(1 << 20, File::open(path)?);
                let (e, r) = match args[2].as_str() {
                    "okta" => count(okta::reader(input, path)),
                    "entra" => count(entra::reader(input, path)),
                    "osquery" => count(osquery::reader(input, path)),
                    "payroll" => count(PayrollReader::new(input, path, &PayoutMapping::generic())?),
                    "shipping" => count(ShippingReader::new(
                        input,
                        path,
                        &ShipmentMapping::generic(),
                    )?),
                    other => return Err(format!("unknown kind {other}").into()),
                };
                events += e;
                rejects += r;
            }
            let secs = start.elapsed().as_secs_f64();
            let cpu = thread_cpu_ns()
                .zip(thread0)
                .map(|(b, a)| (b - a) as f64 / 1e9);
            let ticks = process_cpu_ticks()
                .zip(process0)
                .map(|(b, a)| (b.0 - a.0, b.1 - a.1));
            let cpu_json = cpu.map_or("null".to_string(), |c| format!("{c:.4}"));
            let (user, sys) = ticks.map_or(("null".into(), "null".into()), |(u, s)| {
                (
                    format!("{:.2}", u as f64 / 100.0),
                    format!("{:.2}", s as f64 / 100.0),
                )
            });
            println!(
                "{{\"reader\":\"rust\",\"kind\":\"{}\",\"passes\":{passes},\"events\":{events},\"rejects\":{rejects},\"seconds\":{secs:.4},\"events_per_second\":{:.0},\"thread_cpu_seconds\":{cpu_json},\"process_user_seconds\":{user},\"process_sys_seconds\":{sys},\"events_per_cpu_second\":{:.0}}}",
                args[2],
                events as f64 / secs,
                events as f64 / cpu.unwrap_or(secs),
            );
        }
        _ => {
            return Err(
                "usage: connector_bench gen KIND FRAMING N OUT | read KIND FILE [PASSES]".into(),
            );
        }
    }
    Ok(())
}

fn count<I: Iterator<Item = Result<redflag_model::Event, redflag_connectors::Reject>>>(
    it: I,
) -> (u64, u64) {
    let mut ok = 0;
    let mut bad = 0;
    for r in it {
        match r {
            Ok(e) => {
                std::hint::black_box(&e);
                ok += 1;
            }
            Err(_) => bad += 1,
        }
    }
    (ok, bad)
}

/// Nanoseconds this thread has run on a CPU (user and kernel), from `/proc/thread-self/schedstat`.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// The process's user and system time in clock ticks (1/100 s on Linux), from `/proc/self/stat`.
fn process_cpu_ticks() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14, 15.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}
