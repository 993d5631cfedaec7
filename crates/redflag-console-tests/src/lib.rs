//! Browser tests of the analyst console live in `tests/browser.rs`; this crate holds no library code.
//!
//! They start the real server (`redflag_server::router`) on a loopback port over a store filled with
//! `redflag_server::console::fixture`, sign in through the login form, and drive Debian's `chromium`
//! headless through `chromedriver` with `fantoccini`: every page opens without console errors, charts
//! are present and sized, filters and case decisions work end to end, hostile data renders as text, and
//! a screenshot of each page is saved under `target/console-screenshots/` (CI keeps it as an artefact).
//!
//! Kept in its own crate so that the server's own test build does not compile a WebDriver client.
//! `.ci/browser.sh` installs `chromium` and `chromium-driver`; set `REDFLAG_SKIP_BROWSER=1` to skip on
//! a machine without them (the test then says so instead of passing silently).
