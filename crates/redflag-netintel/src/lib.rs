//! Network intelligence: where each sign-in really comes from, whether it hides behind a VPN, a data
//! centre, Tor or a privacy relay, whether it sits in North Korea's own address space, whether a person
//! "travels" faster than an airliner, and which time zone their working day belongs to.
//!
//! - [`NetIntel`] holds every loaded data set (MMDB files through `maxminddb`, ip-location-db range CSVs,
//!   named [`IpSet`]s for VPN providers, hosting, Tor, relays and DPRK) and answers
//!   [`NetIntel::lookup`] with an [`IpInfo`] in which every answer names the data set that gave it.
//!   [`NetIntel::builtin`] loads the vendored data (CC0 country ranges, CC BY ASN ranges, curated sets).
//! - [`subject_facts`] turns a subject's sign-ins and work events into `net.*` and `tz.*` facts
//!   (VPN/Astrill/hosting/Tor shares, DPRK sign-ins, countries, claimed-location mismatch, impossible
//!   travel, activity-hours time zone); [`event_facts`] gives `net.ip.*` per sign-in; [`shared_egress`]
//!   finds addresses shared by several subjects at the same time.
//!
//! **Design decision:** range tables are sorted arrays of starts and ends with a 65,536-bucket index on
//! the top 16 bits, not a trie or interval tree: a lookup is one index read and a binary search over a
//! handful of entries, allocation-free, and the whole table is three flat vectors that any number of
//! threads read at once. Lookups borrow their strings from the `NetIntel` (and MMDB buffers), so
//! enrichment of millions of events allocates only its output.
//!
//! ```
//! use redflag_netintel::{IpSet, NetIntel, SetKind};
//!
//! let dprk = IpSet::parse("dprk.txt", "175.45.176.0/22\nAS131279\n", Some(SetKind::Dprk)).unwrap();
//! let intel = NetIntel::builder().set(dprk).build().unwrap();
//! assert!(intel.lookup("175.45.178.10".parse().unwrap()).is_dprk());
//! assert!(!intel.lookup("::ffff:8.8.8.8".parse().unwrap()).is_dprk());
//! ```
//!
//! **What this crate must never do:** touch the store, the server or the network (data are files the
//! caller names, or vendored); flag anyone for a country of birth or nationality (facts compare a
//! subject's own claims with their own sign-ins); treat a domestic residential address as clearing
//! (laptop farms, N8); panic on a corrupt data file.

mod egress;
mod error;
mod facts;
mod intel;
mod load;
mod mmdb;
mod range;
mod travel;
mod tz;

pub use egress::{EgressConfig, EgressKey, SharedEgress, shared_egress, shared_egress_facts};
pub use error::NetIntelError;
pub use facts::{
    EnrichedSignIn, NetConfig, PRODUCER, by_name, enrich_sign_ins, event_facts, fact_specs,
    subject_facts,
};
pub use intel::{
    Asn, CENTROIDS_DATASET, DatasetStatus, FileKind, IpInfo, Location, NetIntel, NetIntelBuilder,
    Said, detect_file, parse_ip,
};
pub use load::{Dataset, IpSet, LoadStats, SetKind};
pub use range::{IpRange, RangeTable, normalize};
pub use travel::{ImpossibleTrip, Point, TravelConfig, haversine_km, impossible_trips};
pub use tz::{TzInference, circular_hours, infer as infer_timezone};
