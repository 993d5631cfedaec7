//! Parses an official list file and writes redflag's compact snapshot (zstd JSON lines).
//!
//! `cargo run -p redflag-watchlist --release --example make_compact -- IN OUT`

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        return Err("usage: make_compact IN OUT".into());
    };
    let t = std::time::Instant::now();
    let snapshot =
        redflag_watchlist::load_path(Path::new(input), redflag_watchlist::ListFormat::Auto)?;
    eprintln!(
        "parsed {} {} ({} entities) in {:?}",
        snapshot.info.id,
        snapshot.info.version,
        snapshot.entities.len(),
        t.elapsed()
    );
    let file = std::fs::File::create(output)?;
    redflag_watchlist::write_compact(&snapshot, std::io::BufWriter::new(file), 19)?;
    Ok(())
}
