//! Writes a world: `cargo run --release -p redflag-synth --example synth_world -- DIR [SUBJECTS] [SEED]
//! [people-only]`.

use std::time::Instant;

use redflag_synth::{WorldConfig, generate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "synth-world".into());
    let mut config = WorldConfig::default();
    if let Some(n) = args.next() {
        config.subjects = n.parse()?;
    }
    if let Some(seed) = args.next() {
        config.seed = seed.parse()?;
    }
    if args.next().as_deref() == Some("people-only") {
        config.events = false;
    }
    let started = Instant::now();
    let world = generate(&config);
    let written = world.write_to(std::path::Path::new(&dir))?;
    println!(
        "{} subjects, {} operators in {} rings, {} hard negatives in {:.2?}",
        written.subjects,
        written.operators,
        written.rings,
        written.hard_negatives,
        started.elapsed()
    );
    for f in &written.files {
        println!("  {:<28} {:>10}", f.name, f.records);
    }
    Ok(())
}
