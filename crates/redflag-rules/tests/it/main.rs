//! Integration tests of redflag-rules: one test binary (see STYLE.md §7).
#![allow(clippy::unwrap_used)] // tests may unwrap (HELPERS.md); helpers outside #[test] fns too

mod coverage;
mod evaluation;
mod fairness;
mod loading;
mod provisional;
mod scoring;
