//! Shared egress: one address (or one /24, IPv6 /48) used by several subjects at the same time — two
//! "different" remote workers behind one laptop-farm router (N2, L2). VPN, Tor, relay and hosting
//! addresses are shared by strangers by design and are left out unless asked for; so are addresses the
//! company lists as its own (office NAT), and crowds larger than a bound (carrier-grade NAT).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Duration, Utc};
use redflag_model::{Event, Evidence, Fact, FactValue, Provenance, SubjectId};
use serde::Serialize;

use crate::facts::sign_in_ip;
use crate::intel::NetIntel;
use crate::range::IpRange;

/// What is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum EgressKey {
    /// One address.
    Ip(IpAddr),
    /// An IPv4 /24 or IPv6 /48, given by its first address.
    Prefix(IpAddr),
}

impl EgressKey {
    fn prefix_of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Self::Prefix(IpAddr::V4(Ipv4Addr::from(u32::from(a) & 0xffff_ff00))),
            IpAddr::V6(a) => Self::Prefix(IpAddr::V6(Ipv6Addr::from(
                u128::from(a) & !((1u128 << 80) - 1),
            ))),
        }
    }

    /// The key as text (`203.0.113.7`, `203.0.113.0/24`).
    pub fn display(&self) -> String {
        match self {
            Self::Ip(ip) => ip.to_string(),
            Self::Prefix(ip @ IpAddr::V4(_)) => format!("{ip}/24"),
            Self::Prefix(ip) => format!("{ip}/48"),
        }
    }
}

/// Settings of the shared-egress search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EgressConfig {
    /// Two subjects' periods on a key count as overlapping when they come within this of each other.
    pub slack: Duration,
    /// Keys used by more subjects than this are crowds (office or carrier NAT), not farms: skipped.
    pub max_subjects: usize,
    /// Keep VPN, Tor, relay and hosting addresses (off by default: shared by strangers).
    pub include_anonymised: bool,
    /// Also group by /24 (IPv6 /48).
    pub prefixes: bool,
    /// The company's own egress ranges (offices, corporate VPN), never reported.
    #[serde(skip)]
    pub ignore: Vec<IpRange>,
}

impl Default for EgressConfig {
    fn default() -> Self {
        Self {
            slack: Duration::days(1),
            max_subjects: 10,
            include_anonymised: false,
            prefixes: true,
            ignore: Vec::new(),
        }
    }
}

/// A key shared by several subjects in overlapping periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedEgress {
    /// The address or prefix.
    pub key: EgressKey,
    /// The subjects, sorted.
    pub subjects: Vec<SubjectId>,
    /// First sign-in of any of them on the key.
    pub first_seen: DateTime<Utc>,
    /// Last sign-in.
    pub last_seen: DateTime<Utc>,
    /// One sign-in record per subject, for evidence.
    #[serde(skip)]
    pub examples: Vec<(SubjectId, Provenance)>,
}

struct Seen {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    example: Provenance,
}

/// Finds keys shared by subjects whose periods on them overlap. Events without a subject are ignored.
pub fn shared_egress(
    intel: &NetIntel,
    events: &[Event],
    config: &EgressConfig,
) -> Vec<SharedEgress> {
    let mut by_key: HashMap<EgressKey, BTreeMap<SubjectId, Seen>> = HashMap::new();
    let mut anonymised: HashMap<IpAddr, bool> = HashMap::new();
    for event in events {
        let (Some(ip), Some(subject)) = (sign_in_ip(event), event.subject.as_ref()) else {
            continue;
        };
        let ip = crate::range::normalize(ip);
        if config.ignore.iter().any(|r| r.contains(ip)) {
            continue;
        }
        let hidden = *anonymised
            .entry(ip)
            .or_insert_with(|| intel.lookup(ip).is_anonymised());
        if hidden && !config.include_anonymised {
            continue;
        }
        let mut keys = vec![EgressKey::Ip(ip)];
        if config.prefixes {
            keys.push(EgressKey::prefix_of(ip));
        }
        for key in keys {
            by_key
                .entry(key)
                .or_default()
                .entry(subject.clone())
                .and_modify(|s| {
                    s.first = s.first.min(event.time);
                    s.last = s.last.max(event.time);
                })
                .or_insert_with(|| Seen {
                    first: event.time,
                    last: event.time,
                    example: event.provenance.clone(),
                });
        }
    }
    let mut out = Vec::new();
    for (key, subjects) in by_key {
        if subjects.len() < 2 || subjects.len() > config.max_subjects {
            continue;
        }
        let list: Vec<(&SubjectId, &Seen)> = subjects.iter().collect();
        let overlapping: Vec<&(&SubjectId, &Seen)> = list
            .iter()
            .filter(|(a, sa)| {
                list.iter().any(|(b, sb)| {
                    a != b
                        && sa.first <= sb.last + config.slack
                        && sb.first <= sa.last + config.slack
                })
            })
            .collect();
        if overlapping.len() < 2 {
            continue;
        }
        out.push(SharedEgress {
            key,
            subjects: overlapping.iter().map(|(s, _)| (*s).clone()).collect(),
            first_seen: overlapping
                .iter()
                .map(|(_, s)| s.first)
                .min()
                .unwrap_or_default(),
            last_seen: overlapping
                .iter()
                .map(|(_, s)| s.last)
                .max()
                .unwrap_or_default(),
            examples: overlapping
                .iter()
                .map(|(id, s)| ((*id).clone(), s.example.clone()))
                .collect(),
        });
    }
    out.sort_by_key(|g| g.key);
    out
}

/// The per-subject facts of the shared-egress groups: `net.shared_egress_subjects`,
/// `net.shared_prefix_subjects` and `net.shared_egress_ips`, for every subject in `subjects` (zero and
/// empty for those that share nothing).
pub fn shared_egress_facts(groups: &[SharedEgress], subjects: &[SubjectId]) -> Vec<Fact> {
    // Each subject's groups, in the groups' order: one pass over the groups instead of a scan of
    // every group per subject (which grew with subjects × groups: minutes at 200,000 subjects).
    let mut groups_of: HashMap<&SubjectId, Vec<&SharedEgress>> = HashMap::new();
    for g in groups {
        for s in &g.subjects {
            let mine = groups_of.entry(s).or_default();
            // A group lists each subject once; this keeps a malformed one from doubling evidence.
            if !mine.last().is_some_and(|last| std::ptr::eq(*last, g)) {
                mine.push(g);
            }
        }
    }
    let mut out = Vec::with_capacity(subjects.len() * 3);
    for id in subjects {
        let mut ip_others: BTreeSet<&SubjectId> = BTreeSet::new();
        let mut prefix_others: BTreeSet<&SubjectId> = BTreeSet::new();
        let mut ips = Vec::new();
        let mut ip_ev = Vec::new();
        let mut prefix_ev = Vec::new();
        for g in groups_of.get(id).into_iter().flatten().copied() {
            let others: Vec<&SubjectId> = g.subjects.iter().filter(|s| *s != id).collect();
            let ev = Evidence {
                label: format!("shared {}", g.key.display()),
                value: format!(
                    "with {} between {} and {}",
                    others
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    g.first_seen.format("%Y-%m-%d"),
                    g.last_seen.format("%Y-%m-%d")
                ),
                source: g
                    .examples
                    .iter()
                    .find(|(s, _)| s == id)
                    .map(|(_, p)| p.clone()),
            };
            match g.key {
                EgressKey::Ip(ip) => {
                    ip_others.extend(others);
                    ips.push(ip.to_string());
                    ip_ev.push(ev);
                }
                EgressKey::Prefix(_) => {
                    prefix_others.extend(others);
                    prefix_ev.push(ev);
                }
            }
        }
        let mut f = Fact::new(
            id.clone(),
            "net.shared_egress_subjects",
            FactValue::Int(ip_others.len() as i64),
        );
        f.evidence = ip_ev;
        out.push(f);
        let mut f = Fact::new(
            id.clone(),
            "net.shared_prefix_subjects",
            FactValue::Int(prefix_others.len() as i64),
        );
        f.evidence = prefix_ev;
        out.push(f);
        out.push(Fact::new(
            id.clone(),
            "net.shared_egress_ips",
            FactValue::TextList(ips),
        ));
    }
    out
}
