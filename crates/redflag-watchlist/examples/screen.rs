//! Screens one name against the vendored lists and prints the matches as JSON.
//!
//! `cargo run -p redflag-watchlist --release --example screen -- "Sim Hyon Sop" [threshold]`

use redflag_watchlist::{Index, Query, ScreenOptions, builtin_snapshots};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).ok_or("usage: screen NAME [threshold]")?;
    let mut options = ScreenOptions::default();
    if let Some(t) = args.get(2) {
        options.threshold = t.parse()?;
    }
    let index = Index::build(builtin_snapshots()?);
    let hits = index.screen(&Query::name(name.clone()), &options)?;
    println!("{}", serde_json::to_string_pretty(&hits)?);
    Ok(())
}
