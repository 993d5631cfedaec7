//! Generates vendor-shaped files and times the readers on them, for `bench/connectors/compare.sh`:
//!
//! ```text
//! cargo run --release -p redflag-connectors --example connector_bench -- gen okta ndjson 200000 /tmp/okta.ndjson
//! cargo run --release -p redflag-connectors --example connector_bench -- read okta /tmp/okta.ndjson
//! ```

#![allow(missing_docs)]

#[path = "common/gen.rs"]
mod generator;

use std::fs::File;
use std::io::{BufReader, Write};
use std::time::Instant;

use redflag_connectors::payroll::{PayoutMapping, PayrollReader};
use redflag_connectors::shipping::{ShipmentMapping, ShippingReader};
use redflag_connectors::{entra, okta, osquery};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 6 => {
            let n: u64 = args[4].parse()?;
            let bytes = generator::file(&args[2], &args[3], n);
            File::create(&args[5])?.write_all(&bytes)?;
            println!("wrote {} records, {} bytes to {}", n, bytes.len(), args[5]);
        }
        Some("read") if args.len() == 4 => {
            let path = &args[3];
            let input = BufReader::with_capacity(1 << 20, File::open(path)?);
            let start = Instant::now();
            let (events, rejects) = match args[2].as_str() {
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
            let secs = start.elapsed().as_secs_f64();
            println!(
                "{{\"reader\":\"rust\",\"kind\":\"{}\",\"events\":{events},\"rejects\":{rejects},\"seconds\":{secs:.4},\"events_per_second\":{:.0}}}",
                args[2],
                events as f64 / secs
            );
        }
        _ => return Err("usage: connector_bench gen KIND FRAMING N OUT | read KIND FILE".into()),
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
