//! Property tests: no reader panics on random bytes or on mutations of real fixtures, and every record
//! is either accepted or rejected (never lost).

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use redflag_connectors::framing::JsonFramer;
use redflag_connectors::marketplace::MarketplaceReader;
use redflag_connectors::payroll::{PayoutMapping, PayrollReader};
use redflag_connectors::people::{PeopleMapping, PeopleReader};
use redflag_connectors::shipping::{ShipmentMapping, ShippingReader};
use redflag_connectors::{entra, github, google, okta, osquery};

const FIXTURES: &[&[u8]] = &[
    include_bytes!("fixtures/okta_system_log.json"),
    include_bytes!("fixtures/okta_system_log.ndjson"),
    include_bytes!("fixtures/entra_graph_signins.json"),
    include_bytes!("fixtures/entra_monitor_signins.json"),
    include_bytes!("fixtures/google_login_drive_token.json"),
    include_bytes!("fixtures/osquery_results.log"),
    include_bytes!("fixtures/github_api.json"),
    include_bytes!("fixtures/marketplace_profiles.json"),
    include_bytes!("fixtures/payroll_synth.csv"),
    include_bytes!("fixtures/payroll_elections.csv"),
    include_bytes!("fixtures/shipments_synth.csv"),
    include_bytes!("fixtures/asset_shipments.csv"),
    include_bytes!("fixtures/workday_workers.csv"),
];

fn run_all(bytes: &[u8]) {
    let mut f = JsonFramer::new(bytes).with_max_record(256);
    let mut n = 0;
    while f.next_record().is_some() {
        n += 1;
        assert!(n <= bytes.len() + 2, "framer does not terminate");
    }
    let _ = okta::reader(bytes, "p").count();
    let _ = entra::reader(bytes, "p").count();
    let _ = google::reader(bytes, "p").count();
    let _ = osquery::reader(bytes, "p").count();
    let _ = github::reader(bytes, "p").count();
    let mut m = MarketplaceReader::new(bytes, "p", "upwork");
    let items = m.by_ref().count() as u64;
    assert_eq!(items, m.counts().accepted + m.counts().rejected);
    if let Ok(mut p) = PayrollReader::new(bytes, "p", &PayoutMapping::generic()) {
        let items = p.by_ref().count() as u64;
        assert_eq!(items, p.counts().accepted + p.counts().rejected);
    }
    if let Ok(mut s) = ShippingReader::new(bytes, "p", &ShipmentMapping::generic()) {
        let items = s.by_ref().count() as u64;
        assert_eq!(items, s.counts().accepted + s.counts().rejected);
    }
    for name in ["generic", "workday", "lever", "greenhouse"] {
        if let Ok(r) = PeopleReader::new(bytes, "p", "x", PeopleMapping::builtin(name).unwrap()) {
            let _ = r.count();
        }
    }
    let mut r = okta::reader(bytes, "p");
    let items = r.by_ref().count() as u64;
    let c = r.counts();
    assert_eq!(items, c.accepted + c.rejected);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        run_all(&bytes);
    }

    #[test]
    fn json_ish_noise_never_panics(text in "[\\[\\]{}\",:\\\\ \n0-9a-z]{0,600}") {
        run_all(text.as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0..FIXTURES.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = FIXTURES[which].to_vec();
        for (at, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let keep = cut.index(bytes.len() + 1);
        run_all(&bytes[..keep.max(bytes.len() / 2)]);
    }
}
