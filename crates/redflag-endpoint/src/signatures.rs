//! Signature lists (data files under `data/`, embedded; fresher copies can be loaded at run time).

use std::path::Path;

use crate::EndpointError;

/// One name/pattern signature: a tool, how it is matched, and the public source behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The tool or device family (`AnyDesk`, `Astrill VPN`, …).
    pub name: String,
    /// `process` (exact executable name), `program` (installed-program substring), `port`, `usb`
    /// (USB vendor/model string substring) or `usb_vendor` (hex vendor id).
    pub matcher: String,
    /// The lower-cased pattern.
    pub pattern: String,
    /// Where the signature comes from.
    pub source: String,
}

/// One IP-KVM USB fingerprint; empty fields match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvmSignature {
    /// `PiKVM`, `TinyPilot`, `JetKVM`.
    pub device: String,
    /// Hex vendor id without `0x`, lower case.
    pub vendor_id: String,
    /// Hex product (model) id.
    pub model_id: String,
    /// Manufacturer string (substring, lower case).
    pub vendor: String,
    /// Product string (substring, lower case).
    pub model: String,
    /// Serial (exact, case-insensitive).
    pub serial: String,
    /// Where it comes from.
    pub source: String,
}

/// All signature lists.
#[derive(Debug, Clone, Default)]
pub struct Signatures {
    /// Remote-control tools (E1, E2).
    pub remote_tools: Vec<Signature>,
    /// IP-KVM devices (E3).
    pub ip_kvm: Vec<KvmSignature>,
    /// Mouse jigglers (E4).
    pub mouse_jigglers: Vec<Signature>,
    /// VPN clients (E11).
    pub vpn_clients: Vec<Signature>,
    /// Virtual-machine guest tools.
    pub vm_guest_tools: Vec<Signature>,
}

const REMOTE: &str = include_str!("../data/remote_tools.tsv");
const KVM: &str = include_str!("../data/ip_kvm.tsv");
const JIGGLERS: &str = include_str!("../data/mouse_jigglers.tsv");
const VPN: &str = include_str!("../data/vpn_clients.tsv");
const VM: &str = include_str!("../data/vm_guest_tools.tsv");

fn rows<'a>(text: &'a str) -> impl Iterator<Item = (usize, Vec<&'a str>)> + 'a {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.split('\t').map(str::trim).collect()))
}

/// Parses a `name<TAB>match<TAB>pattern<TAB>source` list (remote tools carry an extra `kind` column
/// after the name).
pub fn parse_list(
    text: &str,
    file: &str,
    with_kind: bool,
) -> Result<Vec<Signature>, EndpointError> {
    let skip = usize::from(with_kind);
    rows(text)
        .map(|(line, cells)| {
            if cells.len() < 4 + skip || cells[0].is_empty() || cells[2 + skip].is_empty() {
                return Err(EndpointError::Data {
                    file: file.to_string(),
                    line,
                    reason: format!(
                        "expected {} tab-separated columns, got {:?}",
                        4 + skip,
                        cells
                    ),
                });
            }
            let matcher = cells[1 + skip].to_ascii_lowercase();
            if !matches!(
                matcher.as_str(),
                "process" | "program" | "port" | "usb" | "usb_vendor"
            ) {
                return Err(EndpointError::Data {
                    file: file.to_string(),
                    line,
                    reason: format!("unknown match kind {matcher:?}"),
                });
            }
            Ok(Signature {
                name: cells[0].to_string(),
                matcher,
                pattern: cells[2 + skip].to_lowercase(),
                source: cells[3 + skip].to_string(),
            })
        })
        .collect()
}

/// Parses the IP-KVM fingerprint list.
pub fn parse_kvm(text: &str, file: &str) -> Result<Vec<KvmSignature>, EndpointError> {
    rows(text)
        .map(|(line, cells)| {
            if cells.len() < 7 || cells[0].is_empty() {
                return Err(EndpointError::Data {
                    file: file.to_string(),
                    line,
                    reason: format!("expected 7 tab-separated columns, got {cells:?}"),
                });
            }
            let hex = |s: &str| s.trim_start_matches("0x").to_ascii_lowercase();
            Ok(KvmSignature {
                device: cells[0].to_string(),
                vendor_id: hex(cells[1]),
                model_id: hex(cells[2]),
                vendor: cells[3].to_lowercase(),
                model: cells[4].to_lowercase(),
                serial: cells[5].to_lowercase(),
                source: cells[6].to_string(),
            })
        })
        .collect()
}

impl Signatures {
    /// The lists shipped in the binary.
    pub fn embedded() -> Result<Self, EndpointError> {
        Ok(Self {
            remote_tools: parse_list(REMOTE, "remote_tools.tsv", true)?,
            ip_kvm: parse_kvm(KVM, "ip_kvm.tsv")?,
            mouse_jigglers: parse_list(JIGGLERS, "mouse_jigglers.tsv", false)?,
            vpn_clients: parse_list(VPN, "vpn_clients.tsv", false)?,
            vm_guest_tools: parse_list(VM, "vm_guest_tools.tsv", false)?,
        })
    }

    /// Loads lists from a directory holding files of the same names; missing files keep the embedded list.
    pub fn load_dir(dir: &Path) -> Result<Self, EndpointError> {
        let mut s = Self::embedded()?;
        let read = |name: &str| -> Result<Option<String>, EndpointError> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(t) => Ok(Some(t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(EndpointError::Data {
                    file: path.display().to_string(),
                    line: 0,
                    reason: e.to_string(),
                }),
            }
        };
        if let Some(t) = read("remote_tools.tsv")? {
            s.remote_tools = parse_list(&t, "remote_tools.tsv", true)?;
        }
        if let Some(t) = read("ip_kvm.tsv")? {
            s.ip_kvm = parse_kvm(&t, "ip_kvm.tsv")?;
        }
        if let Some(t) = read("mouse_jigglers.tsv")? {
            s.mouse_jigglers = parse_list(&t, "mouse_jigglers.tsv", false)?;
        }
        if let Some(t) = read("vpn_clients.tsv")? {
            s.vpn_clients = parse_list(&t, "vpn_clients.tsv", false)?;
        }
        if let Some(t) = read("vm_guest_tools.tsv")? {
            s.vm_guest_tools = parse_list(&t, "vm_guest_tools.tsv", false)?;
        }
        Ok(s)
    }
}
