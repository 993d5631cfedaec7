//! Running the built `redflag` binary from integration tests, as a user would, on a data directory of
//! the test's own (never the caller's `REDFLAG_DATABASE_URL`).

// Each test binary includes this module and uses a part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// `redflag --data-dir DATA_DIR`, ready for more arguments.
pub fn command(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redflag"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env_remove("REDFLAG_DATABASE_URL");
    cmd
}

/// Runs `redflag --data-dir DATA_DIR ARGS…` to the end.
pub fn redflag(data_dir: &Path, args: &[&str]) -> Output {
    command(data_dir)
        .args(args)
        .output()
        .expect("the redflag binary runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
