//! Endpoint and work-activity facts: what a subject's machines and accounts show about how the work is
//! really done.
//!
//! This crate owns the signature lists (remote-control tools, IP-KVM USB fingerprints, mouse jigglers,
//! VPN clients, virtual-machine guest tools — data files under `data/` with their public sources) and
//! turns a subject's [`EventKind::Endpoint`] observations (osquery `programs`, `processes`,
//! `usb_devices`, `listening_ports`) and [`EventKind::Activity`] events (GitHub commits and repositories,
//! Drive downloads, OAuth grants, repository clones) into `endpoint.*` and `work.*` [`Fact`]s, each with
//! the evidence and provenance of the rows it came from. Main entry points: [`fact_specs`],
//! [`subject_facts`], [`Signatures`].
//!
//! **Design decision:** connectors only translate formats; this engine alone decides what a row means.
//! A new remote tool or KVM fingerprint is a line in a data file, not a code change, and the same rows
//! from osquery or any other inventory give the same facts.
//!
//! ```
//! use std::collections::BTreeMap;
//! use redflag_model::*;
//!
//! let subject_id = SubjectId::new("hris", "7").unwrap();
//! let columns = Columns::from([("name", "AnyDesk")]);
//! let event = Event {
//!     id: EventId::derive("t", &["1"]),
//!     time: chrono::DateTime::from_timestamp(1_713_258_721, 0).unwrap(),
//!     utc_offset_seconds: 0,
//!     kind: EventKind::Endpoint(EndpointObservation { host: "h1".into(), table: "programs".into(), action: "added".into(), columns }),
//!     identifiers: vec![],
//!     subject: Some(subject_id.clone()),
//!     provenance: Provenance::at_line("osquery", "results.log", 1),
//! };
//! let facts = redflag_endpoint::facts_for(&subject_id, None, &BTreeMap::new(), &[event]);
//! let tools = facts.iter().find(|f| f.name == "endpoint.remote_tools").unwrap();
//! assert_eq!(tools.value, FactValue::TextList(vec!["AnyDesk".into()]));
//! ```
//!
//! **What this crate must never do:** flag anyone for who they are. It reads behaviour on the subject's
//! own machines and accounts only, and does no I/O beyond loading signature files it is pointed at.

mod signatures;
mod work;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use redflag_model::{
    EndpointObservation, Event, EventKind, Evidence, Fact, FactSpec, FactType, FactValue, Subject,
    SubjectId,
};

pub use signatures::{KvmSignature, Signature, Signatures, parse_kvm, parse_list};
pub use work::work_facts;

/// The crate name, the producer of every fact here.
pub const PRODUCER: &str = "redflag-endpoint";

/// A signature file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// A line of a data file is malformed.
    #[error("{file}:{line}: {reason}")]
    Data {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

fn embedded() -> &'static Signatures {
    static SIGS: OnceLock<Signatures> = OnceLock::new();
    SIGS.get_or_init(|| Signatures::embedded().unwrap_or_default())
}

const fn spec(
    name: &'static str,
    fact_type: FactType,
    meaning: &'static str,
    example: &'static str,
) -> FactSpec {
    FactSpec {
        name,
        fact_type,
        producer: PRODUCER,
        meaning,
        example,
        protected: false,
    }
}

/// Every fact this engine produces.
pub fn fact_specs() -> Vec<FactSpec> {
    use FactType::*;
    let mut specs = vec![
        spec(
            "endpoint.host_count",
            Int,
            "Distinct hosts (osquery host identifiers) with inventory rows for the subject.",
            "1",
        ),
        spec(
            "endpoint.remote_tools",
            StringList,
            "Remote-control tools installed, running or listening on the subject's hosts (research E1).",
            "AnyDesk, Chrome Remote Desktop",
        ),
        spec(
            "endpoint.remote_tool_count",
            Int,
            "Number of distinct remote-control tools seen (E1, E2).",
            "2",
        ),
        spec(
            "endpoint.remote_tools_first_week",
            Int,
            "Distinct remote-control tools first seen within 7 days of the subject's first endpoint row: several on a newly provisioned laptop (E2).",
            "2",
        ),
        spec(
            "endpoint.crd_unattended_pin",
            Bool,
            "Chrome Remote Desktop host started unattended with a PIN on the command line (`remoting_start_host … --pin=`, E2).",
            "true",
        ),
        spec(
            "endpoint.remote_access_ports",
            IntList,
            "Remote-access ports listening on the subject's hosts (VNC 5900, RDP 3389, RustDesk 21118).",
            "5900",
        ),
        spec(
            "endpoint.ip_kvm_devices",
            StringList,
            "IP-KVM devices (PiKVM, TinyPilot, JetKVM) matched by USB id, strings or serial on the subject's hosts (E3).",
            "PiKVM",
        ),
        spec(
            "endpoint.ip_kvm_seen",
            Bool,
            "An IP-KVM device was attached to one of the subject's hosts (E3).",
            "true",
        ),
        spec(
            "endpoint.usb_gadget_composite_seen",
            Bool,
            "A Linux USB gadget composite device (1d6b:0104) was attached: the default id of IP-KVMs but also of other Raspberry Pi gadgets; a candidate signal (E3).",
            "true",
        ),
        spec(
            "endpoint.mouse_jigglers",
            StringList,
            "Anti-idle tools or devices seen (Caffeine, Mouse Jiggler, Move Mouse, jiggler USB devices; E4).",
            "Caffeine",
        ),
        spec(
            "endpoint.mouse_jiggler_seen",
            Bool,
            "An anti-idle tool or device was seen (E4).",
            "true",
        ),
        spec(
            "endpoint.vpn_clients",
            StringList,
            "Consumer VPN clients installed or running (E11).",
            "Astrill VPN",
        ),
        spec(
            "endpoint.astrill_vpn_seen",
            Bool,
            "Astrill VPN, the VPN most named in DPRK IT-worker reporting, is installed or running (E11, §2.2).",
            "true",
        ),
        spec(
            "endpoint.vm_guest_tools",
            StringList,
            "Virtual-machine guest tools found: the 'laptop' is a virtual machine.",
            "VirtualBox Guest Additions",
        ),
        spec(
            "endpoint.is_virtual_machine",
            Bool,
            "A host of the subject runs virtual-machine guest tools.",
            "true",
        ),
    ];
    specs.extend(work::specs());
    specs
}

/// The facts for one subject from its events (endpoint rows and activity). Events attributed to another
/// subject are ignored; unattributed events are taken as the caller's selection.
pub fn subject_facts(subject: &Subject, events: &[Event]) -> Vec<Fact> {
    facts_for(
        &subject.id,
        subject.claimed.timezone,
        &subject.attributes,
        events,
    )
}

/// [`subject_facts`] from the parts of a subject it reads (id, claimed time zone, source attributes such
/// as `termination_date`).
pub fn facts_for(
    id: &SubjectId,
    claimed_tz: Option<chrono_tz::Tz>,
    attributes: &BTreeMap<String, String>,
    events: &[Event],
) -> Vec<Fact> {
    let own: Vec<&Event> = events
        .iter()
        .filter(|e| e.subject.as_ref().is_none_or(|s| s == id))
        .collect();
    let mut facts = endpoint_facts(embedded(), id, &own);
    facts.extend(work_facts(id, claimed_tz, attributes, &own));
    facts
}

fn evidence(label: &str, value: String, e: &Event) -> Evidence {
    Evidence {
        label: label.to_string(),
        value,
        source: Some(e.provenance.clone()),
    }
}

#[derive(Default)]
struct Found<'a> {
    first: BTreeMap<String, (DateTime<Utc>, &'a Event, String)>,
}

impl<'a> Found<'a> {
    fn add(&mut self, name: &str, e: &'a Event, what: String) {
        let entry = self
            .first
            .entry(name.to_string())
            .or_insert((e.time, e, what.clone()));
        if e.time < entry.0 {
            *entry = (e.time, e, what);
        }
    }
    fn names(&self) -> Vec<String> {
        self.first.keys().cloned().collect()
    }
    fn evidence(&self, label: &str) -> Vec<Evidence> {
        self.first
            .iter()
            .map(|(name, (_, e, what))| evidence(label, format!("{name}: {what}"), e))
            .collect()
    }
}

fn col<'a>(o: &'a EndpointObservation, key: &str) -> &'a str {
    o.columns.get(key).unwrap_or("")
}

fn exe_name(o: &EndpointObservation) -> String {
    let name = col(o, "name");
    let name = if name.is_empty() {
        col(o, "path").rsplit(['\\', '/']).next().unwrap_or("")
    } else {
        name
    };
    name.to_lowercase()
}

fn matches(sig: &Signature, o: &EndpointObservation, exe: &str) -> bool {
    let table = &*o.table;
    match sig.matcher.as_str() {
        "process" => table == "processes" && exe == sig.pattern,
        "program" => {
            matches!(table, "programs" | "apps" | "deb_packages" | "rpm_packages")
                && col(o, "name").to_lowercase().contains(&sig.pattern)
        }
        "port" => table == "listening_ports" && col(o, "port") == sig.pattern,
        "usb" => {
            table == "usb_devices"
                && (col(o, "model").to_lowercase().contains(&sig.pattern)
                    || col(o, "vendor").to_lowercase().contains(&sig.pattern))
        }
        "usb_vendor" => {
            table == "usb_devices"
                && col(o, "vendor_id")
                    .trim_start_matches("0x")
                    .eq_ignore_ascii_case(&sig.pattern)
        }
        _ => false,
    }
}

fn kvm_matches(k: &KvmSignature, o: &EndpointObservation) -> bool {
    if o.table != "usb_devices" {
        return false;
    }
    let hex = |s: &str| s.trim_start_matches("0x").to_ascii_lowercase();
    let ok = |want: &str, got: String, substring: bool| {
        want.is_empty()
            || if substring {
                got.contains(want)
            } else {
                got == want
            }
    };
    let specific = !k.vendor.is_empty() || !k.model.is_empty() || !k.serial.is_empty();
    specific
        && ok(&k.vendor_id, hex(col(o, "vendor_id")), false)
        && ok(&k.model_id, hex(col(o, "model_id")), false)
        && ok(&k.vendor, col(o, "vendor").to_lowercase(), true)
        && ok(&k.model, col(o, "model").to_lowercase(), true)
        && ok(&k.serial, col(o, "serial").to_lowercase(), false)
}

/// The `endpoint.*` facts from a subject's endpoint rows with the given signatures.
pub fn endpoint_facts(sigs: &Signatures, id: &SubjectId, events: &[&Event]) -> Vec<Fact> {
    let mut hosts = BTreeSet::new();
    let mut remote = Found::default();
    let mut kvm = Found::default();
    let mut jig = Found::default();
    let mut vpn = Found::default();
    let mut vm = Found::default();
    let mut ports: BTreeMap<i64, &Event> = BTreeMap::new();
    let mut gadget: Option<&Event> = None;
    let mut crd_pin: Option<&Event> = None;
    let mut first_seen: Option<DateTime<Utc>> = None;
    for e in events {
        let EventKind::Endpoint(o) = &e.kind else {
            continue;
        };
        hosts.insert(o.host.as_str());
        first_seen = Some(first_seen.map_or(e.time, |t| t.min(e.time)));
        if o.action == "removed" {
            continue;
        }
        let exe = exe_name(o);
        let what = format!(
            "{} {} on {}",
            o.table,
            if exe.is_empty() {
                col(o, "model").to_string()
            } else {
                exe.clone()
            },
            o.host
        );
        for sig in &sigs.remote_tools {
            if matches(sig, o, &exe) {
                remote.add(&sig.name, e, what.clone());
                if sig.matcher == "port"
                    && let Ok(p) = sig.pattern.parse()
                {
                    ports.entry(p).or_insert(e);
                }
            }
        }
        if o.table == "processes" {
            let cmd = col(o, "cmdline").to_lowercase();
            if cmd.contains("remoting_start_host") && cmd.contains("--pin") {
                crd_pin.get_or_insert(e);
                remote.add("Chrome Remote Desktop", e, what.clone());
            }
        }
        for (list, found) in [
            (&sigs.mouse_jigglers, &mut jig),
            (&sigs.vpn_clients, &mut vpn),
            (&sigs.vm_guest_tools, &mut vm),
        ] {
            for sig in list {
                if matches(sig, o, &exe) {
                    found.add(&sig.name, e, what.clone());
                }
            }
        }
        if o.table == "usb_devices" {
            for k in &sigs.ip_kvm {
                if kvm_matches(k, o) {
                    let desc = format!(
                        "USB {}:{} {} / {} serial {} on {}",
                        col(o, "vendor_id"),
                        col(o, "model_id"),
                        col(o, "vendor"),
                        col(o, "model"),
                        col(o, "serial"),
                        o.host
                    );
                    kvm.add(&k.device, e, desc);
                }
            }
            let vid = col(o, "vendor_id")
                .trim_start_matches("0x")
                .to_ascii_lowercase();
            let pid = col(o, "model_id")
                .trim_start_matches("0x")
                .to_ascii_lowercase();
            if vid == "1d6b" && pid == "0104" {
                gadget.get_or_insert(e);
            }
        }
    }
    if hosts.is_empty() {
        return Vec::new();
    }
    let fact = |name: &str, value: FactValue| Fact::new(id.clone(), name, value);
    let list = |name: &str, found: &Found<'_>, label: &str| {
        let mut f = fact(name, FactValue::TextList(found.names()));
        f.evidence = found.evidence(label);
        f
    };
    let mut out = vec![
        fact("endpoint.host_count", FactValue::Int(hosts.len() as i64)).with_evidence(
            Evidence::new(
                "hosts",
                hosts.iter().copied().collect::<Vec<_>>().join(", "),
            ),
        ),
        list("endpoint.remote_tools", &remote, "remote-control tool"),
    ];
    let mut count = fact(
        "endpoint.remote_tool_count",
        FactValue::Int(remote.first.len() as i64),
    );
    count.evidence = remote.evidence("remote-control tool");
    out.push(count);
    if let Some(start) = first_seen {
        let early: Vec<&String> = remote
            .first
            .iter()
            .filter(|(_, (t, _, _))| *t <= start + Duration::days(7))
            .map(|(n, _)| n)
            .collect();
        let mut f = fact(
            "endpoint.remote_tools_first_week",
            FactValue::Int(early.len() as i64),
        );
        f.evidence = remote
            .first
            .iter()
            .filter(|(n, _)| early.contains(n))
            .map(|(n, (t, e, _))| {
                evidence(
                    "first seen",
                    format!("{n} at {t}, first endpoint row at {start}"),
                    e,
                )
            })
            .collect();
        out.push(f);
    }
    let mut pin = fact(
        "endpoint.crd_unattended_pin",
        FactValue::Bool(crd_pin.is_some()),
    );
    if let Some(e) = crd_pin {
        pin = pin.with_evidence(evidence(
            "process",
            "remoting_start_host with --pin".into(),
            e,
        ));
    }
    out.push(pin);
    let mut p = fact(
        "endpoint.remote_access_ports",
        FactValue::IntList(ports.keys().copied().collect()),
    );
    p.evidence = ports
        .iter()
        .map(|(port, e)| evidence("listening port", port.to_string(), e))
        .collect();
    out.push(p);
    out.push(list("endpoint.ip_kvm_devices", &kvm, "IP-KVM device"));
    let mut seen = fact(
        "endpoint.ip_kvm_seen",
        FactValue::Bool(!kvm.first.is_empty()),
    );
    seen.evidence = kvm.evidence("IP-KVM device");
    out.push(seen);
    let mut g = fact(
        "endpoint.usb_gadget_composite_seen",
        FactValue::Bool(gadget.is_some()),
    );
    if let Some(e) = gadget {
        g = g.with_evidence(evidence(
            "USB device",
            "1d6b:0104 Linux Foundation multifunction composite gadget".into(),
            e,
        ));
    }
    out.push(g);
    out.push(list("endpoint.mouse_jigglers", &jig, "anti-idle tool"));
    let mut j = fact(
        "endpoint.mouse_jiggler_seen",
        FactValue::Bool(!jig.first.is_empty()),
    );
    j.evidence = jig.evidence("anti-idle tool");
    out.push(j);
    out.push(list("endpoint.vpn_clients", &vpn, "VPN client"));
    let astrill: Vec<Evidence> = vpn
        .evidence("VPN client")
        .into_iter()
        .filter(|e| e.value.starts_with("Astrill"))
        .collect();
    let mut a = fact(
        "endpoint.astrill_vpn_seen",
        FactValue::Bool(!astrill.is_empty()),
    );
    a.evidence = astrill;
    out.push(a);
    out.push(list("endpoint.vm_guest_tools", &vm, "VM guest tool"));
    let mut v = fact(
        "endpoint.is_virtual_machine",
        FactValue::Bool(!vm.first.is_empty()),
    );
    v.evidence = vm.evidence("VM guest tool");
    out.push(v);
    out
}
