//! Measures lookups per second on one core for the peer comparison in `bench/netintel/compare.sh`.
//!
//! `cargo run --release -p redflag-netintel --example lookup_bench -- MMDB ADDRESSES [ROUNDS]`
//! prints one JSON line: MMDB lookups/s through `NetIntel::lookup` (fields decoded: country, region,
//! city, location, ASN) and builtin range-table lookups/s on the same addresses.

use std::hint::black_box;
use std::net::IpAddr;
use std::time::Instant;

use redflag_netintel::{NetIntel, parse_ip};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mmdb), Some(list)) = (args.get(1), args.get(2)) else {
        return Err("usage: lookup_bench MMDB ADDRESSES [ROUNDS]".into());
    };
    let rounds: usize = args.get(3).map_or(Ok(3), |r| r.parse())?;
    let text = std::fs::read_to_string(list)?;
    let addrs: Vec<IpAddr> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| parse_ip(list, n + 1, l))
        .collect::<Result<_, _>>()?;
    let intel = NetIntel::builder().mmdb_file(mmdb)?.build()?;
    let mut found = 0usize;
    let start = Instant::now();
    for _ in 0..rounds {
        for ip in &addrs {
            let info = intel.lookup(*ip);
            found += usize::from(info.country.is_some());
            black_box(info);
        }
    }
    let mmdb_rate = (addrs.len() * rounds) as f64 / start.elapsed().as_secs_f64();

    let builtin = NetIntel::builtin()?;
    let start = Instant::now();
    let mut hits = 0usize;
    for _ in 0..rounds {
        for ip in &addrs {
            hits += usize::from(black_box(builtin.country_of(*ip)).is_some());
        }
    }
    let range_rate = (addrs.len() * rounds) as f64 / start.elapsed().as_secs_f64();
    println!(
        "{{\"addresses\": {}, \"rounds\": {rounds}, \"mmdb_found\": {}, \"mmdb_lookups_per_s\": {mmdb_rate:.0}, \"range_found\": {}, \"range_lookups_per_s\": {range_rate:.0}}}",
        addrs.len(),
        found / rounds,
        hits / rounds
    );
    Ok(())
}
