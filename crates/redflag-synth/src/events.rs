//! Event files, streamed subject by subject:
//!
//! - `okta_system_log.ndjson`: Okta System Log events (`user.session.start`), one JSON object per line,
//!   with the fields of Okta's published LogEvent schema (uuid, published, eventType, actor, client with
//!   userAgent, ipAddress and geographicalContext, securityContext, outcome, …);
//! - `entra_sign_ins.ndjson`: Microsoft Entra ID sign-ins, one Microsoft Graph v1.0 `signIn` resource
//!   per line (id, createdDateTime, userPrincipalName, userId, appDisplayName, ipAddress, status with
//!   errorCode, deviceDetail, location with countryOrRegion, …);
//! - `google_login_activities.ndjson`: Google Workspace login audit, one Admin SDK Reports API
//!   `activity` per line (id with time, uniqueQualifier and applicationName `login`, actor with email and
//!   profileId, ipAddress, events `login_success` / `login_failure` with their parameters);
//! - `osquery_results.ndjson`: osquery scheduled-query results in the event (differential) format, one
//!   JSON object per line (name, hostIdentifier, calendarTime, unixTime, epoch, counter, numerics,
//!   decorations, columns, action) for `programs`/`apps`, `usb_devices` and `processes`;
//! - `payroll_changes.csv`: payout set-ups and changes;
//! - `laptop_shipments.csv`: company laptops shipped;
//! - `resumes/<id>.txt|pdf|docx`: resumes (see `document.rs` for the PDF and DOCX writers).
//!
//! Each department signs in through one identity provider ([`WorldConfig::identity_provider`]), so a
//! subject's sign-ins are all in one of the three logs.
//!
//! Events of one subject are written together (files are grouped by subject, not sorted by time), so
//! the writer needs memory for one subject only.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rand::Rng;
use serde::Serialize;

use crate::config::{IdentityProvider, WorldConfig};
use crate::data::Data;
use crate::error::SynthError;
use crate::ident;
use crate::person::{Label, Person};
use crate::plan::WorkMode;
use crate::resume;
use crate::rng::{Stream, SynthRng, chance, mix, pick, stream};
use crate::truth::{HardNegative, Signal};
use crate::world::{World, WrittenFile};

const IP_RANGES: &str = include_str!("../data/ip-ranges.tsv");
const SOFTWARE: &str = include_str!("../data/software.tsv");
const USB: &str = include_str!("../data/usb.tsv");

/// One address range of `data/ip-ranges.tsv`.
#[derive(Debug, Clone)]
pub(crate) struct IpRange {
    kind: &'static str,
    country: &'static str,
    country_name: String,
    provider: &'static str,
    asn: u32,
    first: u32,
    last: u32,
}

fn ranges() -> &'static [IpRange] {
    static RANGES: OnceLock<Vec<IpRange>> = OnceLock::new();
    RANGES.get_or_init(|| {
        IP_RANGES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let cols: Vec<&'static str> = l.split('\t').collect();
                let [kind, country, provider, asn, first, last] = cols.as_slice() else {
                    return None;
                };
                let first: Ipv4Addr = first.parse().ok()?;
                let last: Ipv4Addr = last.parse().ok()?;
                Some(IpRange {
                    kind,
                    country,
                    country_name: redflag_model::CountryCode::parse(country)
                        .map(|c| c.name())
                        .unwrap_or_else(|_| country.to_string()),
                    provider,
                    asn: asn.parse().ok()?,
                    first: u32::from(first),
                    last: u32::from(last),
                })
            })
            .collect()
    })
}

/// The ranges an address of one kind (and country) is drawn from, with their cumulative sizes.
struct Candidates {
    ranges: Vec<&'static IpRange>,
    /// `cumulative[i]`: addresses in `ranges[..=i]`.
    cumulative: Vec<u64>,
    /// Pick in proportion to size (residential ranges) or uniformly (see [`Candidates::pick`]).
    by_size: bool,
}

impl Candidates {
    fn new(ranges: Vec<&'static IpRange>, by_size: bool) -> Self {
        let mut total = 0;
        let cumulative = ranges
            .iter()
            .map(|r| {
                total += u64::from(r.last - r.first) + 1;
                total
            })
            .collect();
        Self {
            ranges,
            cumulative,
            by_size,
        }
    }

    /// A range. Residential ranges are picked with a chance proportional to their size (a
    /// provider's small ranges hold as many customers per address as its large ones); the others
    /// (VPN, hosting, Astrill, DPRK) uniformly, as listed: the table names single known exit
    /// addresses next to their neighbourhoods on purpose, and an operator should use the known exit
    /// as often as before.
    fn pick<R: Rng + ?Sized>(&self, rng: &mut R) -> &'static IpRange {
        if !self.by_size {
            return self.ranges[rng.gen_range(0..self.ranges.len())];
        }
        let total = self.cumulative.last().copied().unwrap_or(0);
        let x = rng.gen_range(0..total.max(1));
        let i = self.cumulative.partition_point(|&c| c <= x);
        self.ranges[i.min(self.ranges.len() - 1)]
    }
}

/// Candidates by kind, then country; country "" holds every range of the kind, and kind "" every
/// range.
fn candidates(kind: &str, country: Option<&str>) -> &'static Candidates {
    type Index = HashMap<&'static str, HashMap<&'static str, Candidates>>;
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut groups: HashMap<&'static str, HashMap<&'static str, Vec<&'static IpRange>>> =
            HashMap::new();
        for r in ranges() {
            for (k, c) in [(r.kind, r.country), (r.kind, ""), ("", "")] {
                groups.entry(k).or_default().entry(c).or_default().push(r);
            }
        }
        groups
            .into_iter()
            .map(|(k, by_country)| {
                let by_country = by_country
                    .into_iter()
                    .map(|(c, list)| (c, Candidates::new(list, k == "residential")))
                    .collect();
                (k, by_country)
            })
            .collect()
    });
    let of_kind = index.get(kind);
    country
        .and_then(|c| of_kind.and_then(|m| m.get(c)))
        .or_else(|| of_kind.and_then(|m| m.get("")))
        .or_else(|| index.get("").and_then(|m| m.get("")))
        .expect("the vendored range table is not empty")
}

/// An address from a range of `kind` (in `country`, when given and available), with its range.
fn address_in<R: Rng + ?Sized>(
    rng: &mut R,
    kind: &str,
    country: Option<&str>,
) -> (Ipv4Addr, &'static IpRange) {
    let range = candidates(kind, country).pick(rng);
    let span = range.last - range.first;
    let offset = if span < 4 { 0 } else { rng.gen_range(1..span) };
    (Ipv4Addr::from(range.first + offset), range)
}

/// The range an address is in.
fn range_of(ip: Ipv4Addr) -> Option<&'static IpRange> {
    let x = u32::from(ip);
    ranges().iter().find(|r| r.first <= x && x <= r.last)
}

/// The home connection address of a facilitator's laptop farm (a US residential address).
pub(crate) fn facilitator_ip(config: &WorldConfig, id: u32) -> Ipv4Addr {
    let mut rng = stream(config.seed, Stream::Ring, 2 << 40 | u64::from(id));
    address_in(&mut rng, "residential", Some("US")).0
}

/// The exit address a ring shares (an Astrill exit or a VPS).
fn ring_exit_ip(config: &WorldConfig, ring: u32, astrill: bool) -> Ipv4Addr {
    let mut rng = stream(config.seed, Stream::Ring, 3 << 40 | u64::from(ring));
    address_in(&mut rng, if astrill { "astrill" } else { "hosting" }, None).0
}

struct Software {
    class: &'static str,
    name: &'static str,
    publisher: &'static str,
    version: &'static str,
    process: &'static str,
    bundle: &'static str,
}

fn software() -> &'static [Software] {
    static SW: OnceLock<Vec<Software>> = OnceLock::new();
    SW.get_or_init(|| {
        SOFTWARE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let cols: Vec<&'static str> = l.split('\t').collect();
                let [class, name, publisher, version, process, bundle] = cols.as_slice() else {
                    return None;
                };
                Some(Software {
                    class,
                    name,
                    publisher,
                    version,
                    process,
                    bundle,
                })
            })
            .collect()
    })
}

struct Usb {
    class: &'static str,
    vendor: &'static str,
    vendor_id: &'static str,
    model: &'static str,
    model_id: &'static str,
    serial: &'static str,
}

fn usb() -> &'static [Usb] {
    static USB_DEVICES: OnceLock<Vec<Usb>> = OnceLock::new();
    USB_DEVICES.get_or_init(|| {
        USB.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let cols: Vec<&'static str> = l.split('\t').collect();
                let [class, vendor, vendor_id, model, model_id, serial] = cols.as_slice() else {
                    return None;
                };
                Some(Usb {
                    class,
                    vendor,
                    vendor_id,
                    model,
                    model_id,
                    serial,
                })
            })
            .collect()
    })
}

// ---- Okta System Log -------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OktaEvent<'a> {
    uuid: String,
    published: String,
    event_type: &'a str,
    version: &'a str,
    severity: &'a str,
    legacy_event_type: &'a str,
    display_message: &'a str,
    actor: OktaActor<'a>,
    client: OktaClient<'a>,
    authentication_context: OktaAuthContext,
    outcome: OktaOutcome<'a>,
    security_context: OktaSecurityContext<'a>,
    transaction: OktaTransaction,
    target: Option<[OktaTarget<'a>; 1]>,
}

/// The application a `user.authentication.sso` event signs in to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OktaTarget<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    alternate_id: &'a str,
    display_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OktaActor<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    alternate_id: &'a str,
    display_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OktaClient<'a> {
    user_agent: OktaUserAgent<'a>,
    zone: &'a str,
    device: &'a str,
    ip_address: String,
    geographical_context: OktaGeo<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OktaUserAgent<'a> {
    raw_user_agent: &'a str,
    os: &'a str,
    browser: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OktaGeo<'a> {
    city: Option<&'a str>,
    state: Option<&'a str>,
    country: &'a str,
    postal_code: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OktaAuthContext {
    authentication_step: u32,
    external_session_id: String,
}

#[derive(Serialize)]
struct OktaOutcome<'a> {
    result: &'a str,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OktaSecurityContext<'a> {
    as_number: u32,
    as_org: &'a str,
    isp: &'a str,
    is_proxy: bool,
}

#[derive(Serialize)]
struct OktaTransaction {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
}

// ---- Microsoft Entra ID (Graph signIn) ------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntraSignIn<'a> {
    id: String,
    created_date_time: String,
    user_display_name: &'a str,
    user_principal_name: &'a str,
    user_id: &'a str,
    app_id: &'a str,
    app_display_name: &'a str,
    ip_address: String,
    client_app_used: &'a str,
    user_agent: &'a str,
    correlation_id: String,
    conditional_access_status: &'a str,
    is_interactive: bool,
    risk_detail: &'a str,
    risk_level_aggregated: &'a str,
    risk_level_during_sign_in: &'a str,
    risk_state: &'a str,
    risk_event_types_v2: [&'a str; 0],
    resource_display_name: &'a str,
    resource_id: &'a str,
    status: EntraStatus<'a>,
    device_detail: EntraDevice<'a>,
    location: EntraLocation<'a>,
    applied_conditional_access_policies: [&'a str; 0],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntraStatus<'a> {
    error_code: i64,
    failure_reason: Option<&'a str>,
    additional_details: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntraDevice<'a> {
    device_id: &'a str,
    display_name: &'a str,
    operating_system: &'a str,
    browser: &'a str,
    is_compliant: bool,
    is_managed: bool,
    trust_type: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntraLocation<'a> {
    city: Option<&'a str>,
    state: Option<&'a str>,
    country_or_region: &'a str,
}

/// Applications an employee opens through Okta single sign-on (app instance id, label).
const OKTA_APPS: &[(&str, &str)] = &[
    ("0oa1slack7m2Qk9Hx4d7", "Slack"),
    ("0oa1github4Tr8Lw2p5x", "GitHub Enterprise Cloud"),
    ("0oa1atlas9Vc3Np6q1z", "Atlassian Cloud"),
    ("0oa1zoomUs5Kd2Mf8h3", "Zoom"),
    ("0oa1gsuite8Bw4Rj7y6", "Google Workspace"),
    ("0oa1aws1Zq6Xe9Ts2k4", "AWS IAM Identity Center"),
];

/// Applications an employee signs in to through Entra (Graph `appId`, `appDisplayName`).
const ENTRA_APPS: &[(&str, &str)] = &[
    (
        "00000002-0000-0ff1-ce00-000000000000",
        "Office 365 Exchange Online",
    ),
    (
        "00000003-0000-0ff1-ce00-000000000000",
        "Office 365 SharePoint Online",
    ),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
    ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"),
    ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"),
];

// ---- Google Workspace Reports API (login) ----------------------------------------------------------

#[derive(Serialize)]
struct GoogleActivity<'a> {
    kind: &'a str,
    id: GoogleActivityId<'a>,
    etag: String,
    actor: GoogleActor<'a>,
    #[serde(rename = "ipAddress")]
    ip_address: String,
    events: [GoogleEvent<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GoogleActivityId<'a> {
    time: String,
    unique_qualifier: String,
    application_name: &'a str,
    customer_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GoogleActor<'a> {
    caller_type: &'a str,
    email: &'a str,
    profile_id: &'a str,
}

#[derive(Serialize)]
struct GoogleEvent<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    name: &'a str,
    parameters: Vec<GoogleParameter<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GoogleParameter<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bool_value: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_value: Option<[&'a str; 1]>,
}

// ---- one sign-in, in each provider's shape ---------------------------------------------------------

/// The account a subject signs in with.
struct Account {
    login: String,
    display: String,
    /// The provider's user id (Okta `00u…`, Entra object id, Google profile id).
    id: String,
    agent: (&'static str, &'static str, &'static str),
    device: String,
    mac: bool,
}

/// One sign-in, before it is written in a provider's shape.
struct SignInRecord {
    when: DateTime<Utc>,
    ip: Ipv4Addr,
    range: &'static IpRange,
    failed: bool,
    at_home: bool,
}

/// The applications opened in one session: distinct entries of `catalogue`, as many as a binomial
/// draw with mean `mean` (capped at the catalogue's size), in the order they are opened.
fn session_apps(
    rng: &mut SynthRng,
    catalogue: &'static [(&'static str, &'static str)],
    mean: f64,
) -> Vec<(&'static str, &'static str)> {
    if mean.is_nan() || mean <= 0.0 || catalogue.is_empty() {
        return Vec::new();
    }
    let trials = (2.0 * mean).ceil().max(1.0) as usize;
    let p = mean / trials as f64;
    let count = (0..trials)
        .filter(|_| chance(rng, p))
        .count()
        .min(catalogue.len());
    let mut order: Vec<usize> = (0..catalogue.len()).collect();
    for i in 0..count {
        let j = rng.gen_range(i..order.len());
        order.swap(i, j);
    }
    order[..count].iter().map(|&i| catalogue[i]).collect()
}

/// The file a provider's sign-ins go to.
fn idp_file(idp: IdentityProvider) -> &'static str {
    match idp {
        IdentityProvider::Okta => OKTA_FILE,
        IdentityProvider::Entra => ENTRA_FILE,
        IdentityProvider::Google => GOOGLE_FILE,
    }
}

/// What an Okta event records: the session start, or a single sign-on into an application within
/// a session (its external session id and the application).
enum OktaSignIn<'s> {
    SessionStart,
    Sso {
        session_id: &'s str,
        app: (&'static str, &'static str),
    },
}

/// Writes one Okta System Log event; returns the external session id it carries.
fn okta_line(
    line: &mut Vec<u8>,
    rng: &mut SynthRng,
    r: &SignInRecord,
    who: &Account,
    p: &Person,
    what: OktaSignIn<'_>,
) -> Result<String, SynthError> {
    let sso = match what {
        OktaSignIn::SessionStart => None,
        OktaSignIn::Sso { session_id, app } => Some((session_id, app)),
    };
    let uuid = uuid(rng);
    let session_id = match sso {
        Some((session_id, _)) => session_id.to_string(),
        None => format!("102{:020x}", rng.r#gen::<u64>()),
    };
    let event = OktaEvent {
        uuid,
        published: r.when.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        event_type: if sso.is_some() {
            "user.authentication.sso"
        } else {
            "user.session.start"
        },
        version: "0",
        severity: if r.failed { "WARN" } else { "INFO" },
        legacy_event_type: match (sso.is_some(), r.failed) {
            (true, _) => "app.auth.sso",
            (false, true) => "core.user_auth.login_failed",
            (false, false) => "core.user_auth.login_success",
        },
        display_message: if sso.is_some() {
            "User single sign on to app"
        } else {
            "User login to Okta"
        },
        actor: OktaActor {
            id: &who.id,
            kind: "User",
            alternate_id: &who.login,
            display_name: &who.display,
        },
        client: OktaClient {
            user_agent: OktaUserAgent {
                raw_user_agent: who.agent.0,
                os: who.agent.1,
                browser: who.agent.2,
            },
            zone: "null",
            device: "Computer",
            ip_address: r.ip.to_string(),
            geographical_context: OktaGeo {
                city: r.at_home.then_some(p.city),
                state: None,
                country: &r.range.country_name,
                postal_code: None,
            },
        },
        authentication_context: OktaAuthContext {
            authentication_step: 0,
            external_session_id: session_id.clone(),
        },
        outcome: OktaOutcome {
            result: if r.failed { "FAILURE" } else { "SUCCESS" },
            reason: r.failed.then_some("INVALID_CREDENTIALS"),
        },
        security_context: OktaSecurityContext {
            as_number: r.range.asn,
            as_org: r.range.provider,
            isp: r.range.provider,
            is_proxy: r.range.kind == "vpn",
        },
        transaction: OktaTransaction {
            kind: "WEB",
            id: format!("{:016x}", rng.r#gen::<u64>()),
        },
        target: sso.map(|(_, (id, name))| {
            [OktaTarget {
                id,
                kind: "AppInstance",
                alternate_id: name,
                display_name: name,
            }]
        }),
    };
    serde_json::to_writer(line, &event).map_err(|e| SynthError::Json {
        path: PathBuf::from(OKTA_FILE),
        source: e,
    })?;
    Ok(session_id)
}

fn entra_line(
    line: &mut Vec<u8>,
    rng: &mut SynthRng,
    r: &SignInRecord,
    who: &Account,
    p: &Person,
    app: Option<(&'static str, &'static str)>,
) -> Result<(), SynthError> {
    let (app_id, app) = match app {
        Some(app) => app,
        None => *pick(rng, ENTRA_APPS),
    };
    let browser = match who.agent.2 {
        "SAFARI" => "Safari 17.4",
        _ => "Chrome 124.0.0",
    };
    let device_key = who
        .device
        .bytes()
        .fold(0xd3c1_u64, |h, b| mix(h ^ u64::from(b)));
    let device_id = guid(device_key, 0xde);
    let event = EntraSignIn {
        id: uuid(rng),
        // Graph writes seven fractional digits (100 ns ticks).
        created_date_time: r.when.format("%Y-%m-%dT%H:%M:%S%.6f0Z").to_string(),
        user_display_name: &who.display,
        user_principal_name: &who.login,
        user_id: &who.id,
        app_id,
        app_display_name: app,
        ip_address: r.ip.to_string(),
        client_app_used: "Browser",
        user_agent: who.agent.0,
        correlation_id: uuid(rng),
        conditional_access_status: "notApplied",
        is_interactive: true,
        risk_detail: "none",
        risk_level_aggregated: "none",
        risk_level_during_sign_in: "none",
        risk_state: "none",
        risk_event_types_v2: [],
        resource_display_name: app,
        resource_id: app_id,
        status: EntraStatus {
            error_code: if r.failed { 50126 } else { 0 },
            failure_reason: r
                .failed
                .then_some("Error validating credentials due to invalid username or password."),
            additional_details: None,
        },
        device_detail: EntraDevice {
            device_id: &device_id,
            display_name: &who.device,
            operating_system: if who.mac { "MacOs" } else { "Windows10" },
            browser,
            is_compliant: true,
            is_managed: true,
            trust_type: if who.mac {
                "Azure AD registered"
            } else {
                "Azure AD joined"
            },
        },
        location: EntraLocation {
            city: r.at_home.then_some(p.city),
            state: None,
            country_or_region: r.range.country,
        },
        applied_conditional_access_policies: [],
    };
    serde_json::to_writer(line, &event).map_err(|e| SynthError::Json {
        path: PathBuf::from(ENTRA_FILE),
        source: e,
    })
}

fn google_line(
    line: &mut Vec<u8>,
    rng: &mut SynthRng,
    r: &SignInRecord,
    who: &Account,
) -> Result<(), SynthError> {
    let qualifier = rng.r#gen::<i64>().to_string();
    let event = GoogleActivity {
        kind: "admin#reports#activity",
        id: GoogleActivityId {
            time: r.when.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            unique_qualifier: qualifier,
            application_name: "login",
            customer_id: "C03nwl7x2",
        },
        etag: format!("\"{:016x}\"", rng.r#gen::<u64>()),
        actor: GoogleActor {
            caller_type: "USER",
            email: &who.login,
            profile_id: &who.id,
        },
        ip_address: r.ip.to_string(),
        events: [GoogleEvent {
            kind: "login",
            name: if r.failed {
                "login_failure"
            } else {
                "login_success"
            },
            parameters: vec![
                GoogleParameter {
                    name: "login_type",
                    value: Some("google_password"),
                    bool_value: None,
                    multi_value: None,
                },
                GoogleParameter {
                    name: "login_challenge_method",
                    value: None,
                    bool_value: None,
                    multi_value: Some(["password"]),
                },
                GoogleParameter {
                    name: "is_suspicious",
                    value: None,
                    bool_value: Some(false),
                    multi_value: None,
                },
            ],
        }],
    };
    serde_json::to_writer(line, &event).map_err(|e| SynthError::Json {
        path: PathBuf::from(GOOGLE_FILE),
        source: e,
    })
}

// ---- osquery --------------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OsqueryResult<'a> {
    name: &'a str,
    host_identifier: &'a str,
    calendar_time: String,
    unix_time: i64,
    epoch: u32,
    counter: u32,
    numerics: bool,
    decorations: OsqueryDecorations<'a>,
    columns: serde_json::Map<String, serde_json::Value>,
    action: &'a str,
}

#[derive(Serialize)]
struct OsqueryDecorations<'a> {
    hostname: &'a str,
    username: &'a str,
    serial: &'a str,
}

/// Streaming writers of the event files.
/// The event files of a world, or (with `W = Vec<u8>`) one part of them generated in memory on a
/// worker thread: every subject's lines come from its own random streams, so parts generated in
/// parallel and appended in subject order ([`EventWriters::append`]) give the same bytes as one
/// writer going through the subjects in order.
pub(crate) struct EventWriters<W: Write = BufWriter<File>> {
    dir: PathBuf,
    okta: W,
    entra: W,
    google: W,
    osquery: W,
    payroll: W,
    shipping: W,
    counts: [u64; 7],
}

const OKTA_FILE: &str = "okta_system_log.ndjson";
const ENTRA_FILE: &str = "entra_sign_ins.ndjson";
const GOOGLE_FILE: &str = "google_login_activities.ndjson";
const OSQUERY_FILE: &str = "osquery_results.ndjson";
const PAYROLL_FILE: &str = "payroll_changes.csv";
const SHIPPING_FILE: &str = "laptop_shipments.csv";

/// Writes one CSV record (quoted as the `csv` crate quotes) to `out`.
fn csv_row<W: Write, const N: usize>(
    out: &mut W,
    record: [&str; N],
    path: &Path,
) -> Result<(), SynthError> {
    let mut row = csv::Writer::from_writer(Vec::with_capacity(256));
    row.write_record(record).map_err(SynthError::csv(path))?;
    let bytes = row
        .into_inner()
        .map_err(|e| SynthError::io(path)(e.into_error()))?;
    out.write_all(&bytes).map_err(SynthError::io(path))
}

fn create(dir: &Path, name: &str) -> Result<BufWriter<File>, SynthError> {
    let path = dir.join(name);
    Ok(BufWriter::with_capacity(
        1 << 20,
        File::create(&path).map_err(SynthError::io(&path))?,
    ))
}

impl EventWriters {
    pub(crate) fn create(dir: &Path, _config: &WorldConfig) -> Result<Self, SynthError> {
        let resumes = dir.join("resumes");
        std::fs::create_dir_all(&resumes).map_err(SynthError::io(&resumes))?;
        let mut payroll = create(dir, PAYROLL_FILE)?;
        csv_row(
            &mut payroll,
            [
                "employee_id",
                "email",
                "effective_date",
                "change_type",
                "method",
                "provider",
                "account",
                "account_country",
            ],
            &dir.join(PAYROLL_FILE),
        )?;
        let mut shipping = create(dir, SHIPPING_FILE)?;
        csv_row(
            &mut shipping,
            [
                "employee_id",
                "email",
                "ship_date",
                "address",
                "country",
                "asset_tag",
                "serial",
                "model",
                "carrier",
                "tracking_number",
                "address_change_requested",
            ],
            &dir.join(SHIPPING_FILE),
        )?;
        Ok(Self {
            dir: dir.to_path_buf(),
            okta: create(dir, OKTA_FILE)?,
            entra: create(dir, ENTRA_FILE)?,
            google: create(dir, GOOGLE_FILE)?,
            osquery: create(dir, OSQUERY_FILE)?,
            payroll,
            shipping,
            counts: [0; 7],
        })
    }

    pub(crate) fn finish(mut self) -> Result<Vec<WrittenFile>, SynthError> {
        let dir = self.dir.clone();
        self.okta
            .flush()
            .map_err(SynthError::io(&dir.join(OKTA_FILE)))?;
        self.entra
            .flush()
            .map_err(SynthError::io(&dir.join(ENTRA_FILE)))?;
        self.google
            .flush()
            .map_err(SynthError::io(&dir.join(GOOGLE_FILE)))?;
        self.osquery
            .flush()
            .map_err(SynthError::io(&dir.join(OSQUERY_FILE)))?;
        self.payroll
            .flush()
            .map_err(SynthError::io(&dir.join(PAYROLL_FILE)))?;
        self.shipping
            .flush()
            .map_err(SynthError::io(&dir.join(SHIPPING_FILE)))?;
        Ok(vec![
            WrittenFile {
                name: OKTA_FILE.into(),
                records: self.counts[0],
            },
            WrittenFile {
                name: ENTRA_FILE.into(),
                records: self.counts[5],
            },
            WrittenFile {
                name: GOOGLE_FILE.into(),
                records: self.counts[6],
            },
            WrittenFile {
                name: OSQUERY_FILE.into(),
                records: self.counts[1],
            },
            WrittenFile {
                name: PAYROLL_FILE.into(),
                records: self.counts[2],
            },
            WrittenFile {
                name: SHIPPING_FILE.into(),
                records: self.counts[3],
            },
            WrittenFile {
                name: "resumes/".into(),
                records: self.counts[4],
            },
        ])
    }

    /// Appends a part generated in memory (the subjects right after those written so far).
    pub(crate) fn append(&mut self, part: EventWriters<Vec<u8>>) -> Result<(), SynthError> {
        let dir = self.dir.clone();
        let pairs: [(&mut dyn Write, &[u8], &str); 6] = [
            (&mut self.okta, &part.okta, OKTA_FILE),
            (&mut self.entra, &part.entra, ENTRA_FILE),
            (&mut self.google, &part.google, GOOGLE_FILE),
            (&mut self.osquery, &part.osquery, OSQUERY_FILE),
            (&mut self.payroll, &part.payroll, PAYROLL_FILE),
            (&mut self.shipping, &part.shipping, SHIPPING_FILE),
        ];
        for (out, bytes, name) in pairs {
            out.write_all(bytes)
                .map_err(SynthError::io(&dir.join(name)))?;
        }
        for (total, n) in self.counts.iter_mut().zip(part.counts) {
            *total += n;
        }
        Ok(())
    }
}

impl EventWriters<Vec<u8>> {
    /// An empty part, generated in memory, for files in `dir` (the csv parts have no header: the
    /// file writer wrote it).
    pub(crate) fn in_memory(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            okta: Vec::new(),
            entra: Vec::new(),
            google: Vec::new(),
            osquery: Vec::new(),
            payroll: Vec::new(),
            shipping: Vec::new(),
            counts: [0; 7],
        }
    }
}

impl<W: Write> EventWriters<W> {
    pub(crate) fn write_person(
        &mut self,
        world: &World,
        person: &Person,
    ) -> Result<(), SynthError> {
        if person.has_resume {
            let path = self.dir.join(resume::file_name(world.config(), person));
            let bytes =
                resume::render_file(world, person).map_err(|reason| SynthError::Document {
                    path: path.clone(),
                    reason,
                })?;
            std::fs::write(&path, bytes).map_err(SynthError::io(&path))?;
            self.counts[4] += 1;
        }
        if !person.has_account() {
            return Ok(());
        }
        let config = world.config();
        let laptop = Laptop::of(config, person);
        let signed_in = self.sign_ins(world, person, &laptop)?;
        let slot = match world.config().identity_provider(person.role_area) {
            IdentityProvider::Okta => 0,
            IdentityProvider::Entra => 5,
            IdentityProvider::Google => 6,
        };
        self.counts[slot] += signed_in;
        if laptop.shipped {
            self.counts[1] += self.osquery(world, person, &laptop)?;
            self.counts[3] += self.shipment(world, person, &laptop)?;
        }
        self.counts[2] += self.payroll(world, person)?;
        Ok(())
    }

    fn sign_ins(&mut self, world: &World, p: &Person, laptop: &Laptop) -> Result<u64, SynthError> {
        let config = world.config();
        let mut rng = stream(config.seed, Stream::SignIns, p.index as u64);
        let plan = world.plan();
        let ring = match p.label {
            Label::Operator { ring } => plan.rings.get(ring as usize),
            _ => None,
        };
        let category = match p.label {
            Label::HardNegative { category, .. } => Some(category),
            _ => None,
        };
        let group_seed = match p.label {
            Label::HardNegative { group: Some(g), .. } => {
                plan.groups.get(g as usize).map(|g| g.seed)
            }
            _ => None,
        };
        let claimed_tz: Tz = p.timezone.parse().unwrap_or(Tz::UTC);
        let true_tz: Tz = p.true_timezone.parse().unwrap_or(claimed_tz);

        // When they work.
        let (schedule_tz, start_hour, six_days) = match ring {
            Some(r) if r.work_mode == WorkMode::AsianDay => {
                (true_tz, rng.gen_range(8.5..10.5), chance(&mut rng, 0.5))
            }
            Some(_) => (claimed_tz, rng.gen_range(8.0..10.0), false),
            None if category == Some(HardNegative::NightShift) => {
                (claimed_tz, rng.gen_range(21.0..23.5), false)
            }
            None => (claimed_tz, rng.gen_range(7.5..10.5), false),
        };

        // Where they connect from.
        let home_country = p.country;
        let home_ip = match (category, group_seed) {
            (Some(HardNegative::Family), Some(seed)) => {
                let mut grng = stream(config.seed, Stream::Group, seed ^ 2);
                address_in(&mut grng, "residential", Some(home_country)).0
            }
            _ => address_in(&mut rng, "residential", Some(home_country)).0,
        };
        let office_ip = match (category, group_seed) {
            (Some(HardNegative::SharedOffice), Some(seed)) => {
                let mut grng = stream(config.seed, Stream::Group, seed ^ 3);
                Some(address_in(&mut grng, "residential", Some(home_country)).0)
            }
            _ => None,
        };
        let has = |s: Signal| p.has_signal(s);
        let farm_ip = ring
            .and_then(|r| r.facilitator)
            .filter(|_| has(Signal::LaptopFarmShipping))
            .map(|f| facilitator_ip(config, f));
        let exit_ip = ring
            .filter(|_| has(Signal::SharedEgress) && farm_ip.is_none())
            .map(|r| ring_exit_ip(config, r.id, has(Signal::AstrillVpn)));
        let vpn_provider = match category {
            Some(HardNegative::LegitimateVpn) => Some(if chance(&mut rng, 0.1) {
                "astrill"
            } else {
                "vpn"
            }),
            _ => None,
        };
        let foreign_country = if p.true_timezone == "Asia/Vladivostok" {
            "RU"
        } else {
            "CN"
        };
        let trips = if category == Some(HardNegative::DigitalNomad) {
            nomad_trips(&mut rng, config)
        } else {
            Vec::new()
        };
        let mut dprk_day = ring
            .filter(|_| has(Signal::DprkSignIn))
            .map(|_| rng.gen_range(0..config.days.max(1)));

        let idp = config.identity_provider(p.role_area);
        let who = Account {
            login: p.work_email.clone().unwrap_or_else(|| p.emails[0].clone()),
            display: format!("{} {}", p.first_name, p.last_name),
            id: match idp {
                IdentityProvider::Okta => okta_user_id(config, p.index),
                IdentityProvider::Entra => entra_user_id(config, p.index),
                IdentityProvider::Google => google_profile_id(config, p.index),
            },
            agent: laptop.user_agent,
            device: laptop.hostname.clone(),
            mac: laptop.mac,
        };
        let start = config.start_date();
        let first_day = p.started_on.map_or(start, |s| s.max(start));
        let mut app_rng = stream(config.seed, Stream::AppSignIns, p.index as u64);
        let mut count = 0;
        let mut line = Vec::with_capacity(4096);
        for day in 0..config.days {
            let date = start + Duration::days(i64::from(day));
            if date < first_day {
                continue;
            }
            let trip = trips.iter().find(|t| t.0 <= day && day < t.1);
            let tz = trip.map_or(schedule_tz, |t| t.3);
            let weekday = date.weekday();
            let workday = match weekday {
                Weekday::Sat => six_days || chance(&mut rng, 0.06),
                Weekday::Sun => chance(&mut rng, 0.04),
                _ => chance(&mut rng, 0.95),
            };
            if !workday {
                continue;
            }
            let sessions =
                1 + usize::from(chance(&mut rng, 0.6)) + usize::from(chance(&mut rng, 0.3));
            for s in 0..sessions {
                let hour = if s == 0 {
                    start_hour + rng.gen_range(-0.6..0.6)
                } else {
                    start_hour + rng.gen_range(1.0..9.5)
                };
                let Some(when) = local_instant(tz, date, hour) else {
                    continue;
                };
                // Choose the address.
                let (ip, range) = if let Some(d) = dprk_day.filter(|d| *d == day) {
                    let _ = d;
                    dprk_day = None;
                    address_in(&mut rng, "dprk", Some("KP"))
                } else if let Some(t) = trip {
                    (t.2, range_of(t.2).unwrap_or(&ranges()[0]))
                } else if let Some(ip) = farm_ip {
                    (ip, range_of(ip).unwrap_or(&ranges()[0]))
                } else if ring.is_some() && has(Signal::ForeignSignIn) && chance(&mut rng, 0.04) {
                    address_in(&mut rng, "residential", Some(foreign_country))
                } else if let Some(ip) = exit_ip.filter(|_| chance(&mut rng, 0.7)) {
                    (ip, range_of(ip).unwrap_or(&ranges()[0]))
                } else if ring.is_some() && has(Signal::AstrillVpn) && chance(&mut rng, 0.6) {
                    address_in(&mut rng, "astrill", None)
                } else if ring.is_some() && has(Signal::HostingNetwork) && chance(&mut rng, 0.6) {
                    address_in(&mut rng, "hosting", None)
                } else if let Some(kind) = vpn_provider.filter(|_| chance(&mut rng, 0.7)) {
                    address_in(&mut rng, kind, None)
                } else if let Some(ip) = office_ip
                    .filter(|_| weekday.num_days_from_monday() < 5 && chance(&mut rng, 0.8))
                {
                    (ip, range_of(ip).unwrap_or(&ranges()[0]))
                } else if chance(&mut rng, 0.06) {
                    // Phone tethering or a café at home.
                    address_in(&mut rng, "residential", Some(home_country))
                } else {
                    (home_ip, range_of(home_ip).unwrap_or(&ranges()[0]))
                };
                let failed = chance(&mut rng, 0.025);
                let at_home = range.kind == "residential" && range.country == p.country;
                let record = SignInRecord {
                    when,
                    ip,
                    range,
                    failed,
                    at_home,
                };
                line.clear();
                let session_id = match idp {
                    IdentityProvider::Okta => Some(okta_line(
                        &mut line,
                        &mut rng,
                        &record,
                        &who,
                        p,
                        OktaSignIn::SessionStart,
                    )?),
                    IdentityProvider::Entra => {
                        entra_line(&mut line, &mut rng, &record, &who, p, None)?;
                        None
                    }
                    IdentityProvider::Google => {
                        google_line(&mut line, &mut rng, &record, &who)?;
                        None
                    }
                };
                line.push(b'\n');
                count += 1;
                // The applications opened in this session, through single sign-on (Google's login
                // audit log records the session only). Their own stream, so the sessions above are
                // the same whatever the number of applications.
                if !failed && idp != IdentityProvider::Google {
                    let catalogue = match idp {
                        IdentityProvider::Okta => OKTA_APPS,
                        _ => ENTRA_APPS,
                    };
                    let apps =
                        session_apps(&mut app_rng, catalogue, config.app_sign_ins_per_session);
                    let mut at = record.when;
                    for app in apps {
                        at += Duration::seconds(app_rng.gen_range(15..900));
                        let opened = SignInRecord { when: at, ..record };
                        match &session_id {
                            Some(session_id) => {
                                okta_line(
                                    &mut line,
                                    &mut app_rng,
                                    &opened,
                                    &who,
                                    p,
                                    OktaSignIn::Sso { session_id, app },
                                )?;
                            }
                            None => {
                                entra_line(&mut line, &mut app_rng, &opened, &who, p, Some(app))?
                            }
                        }
                        line.push(b'\n');
                        count += 1;
                    }
                }
                let file = match idp {
                    IdentityProvider::Okta => &mut self.okta,
                    IdentityProvider::Entra => &mut self.entra,
                    IdentityProvider::Google => &mut self.google,
                };
                file.write_all(&line)
                    .map_err(SynthError::io(&self.dir.join(idp_file(idp))))?;
            }
        }
        Ok(count)
    }

    fn osquery(&mut self, world: &World, p: &Person, laptop: &Laptop) -> Result<u64, SynthError> {
        let config = world.config();
        let mut rng = stream(config.seed, Stream::Endpoint, p.index as u64);
        let start = config.start_date();
        let enrolled = laptop.ship_date.max(start) + Duration::days(2);
        let end = config.end_date;
        if enrolled >= end {
            return Ok(0);
        }
        let username = p
            .work_email
            .as_deref()
            .and_then(|e| e.split('@').next())
            .unwrap_or("user");
        let mut rows: Vec<(
            DateTime<Utc>,
            &str,
            serde_json::Map<String, serde_json::Value>,
        )> = Vec::new();
        let at = |rng: &mut SynthRng, day: NaiveDate| {
            let secs = rng.gen_range(0..86_400);
            Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
                + Duration::seconds(secs)
        };
        let window_days = (end - enrolled).num_days().max(1);
        let later = |rng: &mut SynthRng| enrolled + Duration::days(rng.gen_range(0..window_days));
        let category = match p.label {
            Label::HardNegative { category, .. } => Some(category),
            _ => None,
        };

        // Software inventory.
        let sw = software();
        let mut installed: Vec<(&Software, NaiveDate)> = Vec::new();
        for s in sw {
            let keep = match s.class {
                "base" => true,
                "dev" => chance(&mut rng, if p.role_area == "design" { 0.2 } else { 0.55 }),
                "extra" => match s.name {
                    "KakaoTalk" => {
                        p.name_origin == "korean" && chance(&mut rng, 0.5) || chance(&mut rng, 0.01)
                    }
                    "WeChat" => {
                        p.name_origin == "chinese" && chance(&mut rng, 0.5)
                            || chance(&mut rng, 0.01)
                    }
                    "LINE" => {
                        p.name_origin == "japanese" && chance(&mut rng, 0.5)
                            || chance(&mut rng, 0.01)
                    }
                    _ => chance(&mut rng, 0.3),
                },
                "vpn" => {
                    (category == Some(HardNegative::LegitimateVpn) && chance(&mut rng, 0.4))
                        || chance(&mut rng, 0.01)
                }
                "astrill" => {
                    p.has_signal(Signal::AstrillVpn) && chance(&mut rng, 0.3)
                        || category == Some(HardNegative::LegitimateVpn) && chance(&mut rng, 0.05)
                }
                "rmm" => {
                    (p.has_signal(Signal::RemoteControlTool) && chance(&mut rng, 0.5))
                        || (p.role_area == "support" && chance(&mut rng, 0.3))
                        || chance(&mut rng, 0.01)
                }
                "jiggler" => {
                    (p.has_signal(Signal::MouseJiggler) && chance(&mut rng, 0.6))
                        || chance(&mut rng, 0.008)
                }
                _ => false,
            };
            if keep {
                let day = if s.class == "base" {
                    enrolled
                } else {
                    later(&mut rng)
                };
                installed.push((s, day));
            }
        }
        if p.has_signal(Signal::RemoteControlTool)
            && !installed.iter().any(|(s, _)| s.class == "rmm")
        {
            let rmm: Vec<&Software> = sw.iter().filter(|s| s.class == "rmm").collect();
            installed.push((
                *pick(&mut rng, &rmm),
                enrolled + Duration::days(rng.gen_range(0..7)),
            ));
        }
        if p.has_signal(Signal::MouseJiggler)
            && !installed.iter().any(|(s, _)| s.class == "jiggler")
        {
            let j: Vec<&Software> = sw.iter().filter(|s| s.class == "jiggler").collect();
            installed.push((*pick(&mut rng, &j), later(&mut rng)));
        }
        for (s, day) in &installed {
            let mut columns = serde_json::Map::new();
            if laptop.mac {
                columns.insert("name".into(), format!("{}.app", s.name).into());
                columns.insert("bundle_identifier".into(), s.bundle.into());
                columns.insert("bundle_short_version".into(), s.version.into());
                columns.insert(
                    "path".into(),
                    format!("/Applications/{}.app", s.name).into(),
                );
            } else {
                columns.insert("name".into(), s.name.into());
                columns.insert("version".into(), s.version.into());
                columns.insert("publisher".into(), s.publisher.into());
                columns.insert(
                    "install_date".into(),
                    day.format("%Y%m%d").to_string().into(),
                );
            }
            rows.push((
                at(&mut rng, *day),
                if laptop.mac { "apps" } else { "programs" },
                columns,
            ));
        }

        // USB devices.
        let devices = usb();
        let mut plugged: Vec<&Usb> = devices
            .iter()
            .filter(|d| d.class == "base" && chance(&mut rng, 0.35))
            .collect();
        if p.role_area == "devops" && chance(&mut rng, 0.02) {
            plugged.extend(devices.iter().filter(|d| d.class == "gadget"));
        }
        if p.has_signal(Signal::IpKvmDevice) {
            let kvms: Vec<&Usb> = devices.iter().filter(|d| d.class == "kvm").collect();
            plugged.push(*pick(&mut rng, &kvms));
        }
        for d in plugged {
            let mut columns = serde_json::Map::new();
            let serial = if d.serial == "*" {
                format!("{:012X}", rng.r#gen::<u64>() & 0xFFFF_FFFF_FFFF)
            } else {
                d.serial.to_string()
            };
            columns.insert("vendor".into(), d.vendor.into());
            columns.insert("vendor_id".into(), d.vendor_id.into());
            columns.insert("model".into(), d.model.into());
            columns.insert("model_id".into(), d.model_id.into());
            columns.insert("serial".into(), serial.into());
            columns.insert("removable".into(), "1".into());
            let day = if d.class == "kvm" {
                enrolled + Duration::days(rng.gen_range(0..5))
            } else {
                later(&mut rng)
            };
            rows.push((at(&mut rng, day), "usb_devices", columns));
        }

        // Processes: the installed software seen running, weekly.
        let mut day = enrolled;
        while day < end {
            for (s, installed_on) in &installed {
                if *installed_on > day || !chance(&mut rng, 0.5) {
                    continue;
                }
                let mut columns = serde_json::Map::new();
                let pid: u32 = rng.gen_range(400..60_000);
                columns.insert("pid".into(), pid.to_string().into());
                let (name, path) = if laptop.mac {
                    (
                        s.name.to_string(),
                        format!("/Applications/{0}.app/Contents/MacOS/{0}", s.name),
                    )
                } else {
                    (
                        s.process.to_string(),
                        format!("C:\\Program Files\\{}\\{}", s.name, s.process),
                    )
                };
                columns.insert("name".into(), name.into());
                columns.insert("path".into(), path.clone().into());
                columns.insert("cmdline".into(), path.into());
                rows.push((at(&mut rng, day), "processes", columns));
            }
            day += Duration::days(7);
        }

        rows.sort_by_key(|r| r.0);
        let mut line = Vec::with_capacity(512);
        let count = rows.len() as u64;
        for (i, (time, table, columns)) in rows.into_iter().enumerate() {
            let result = OsqueryResult {
                name: match table {
                    "programs" => "pack_inventory_programs",
                    "apps" => "pack_inventory_apps",
                    "usb_devices" => "pack_hardware_usb_devices",
                    _ => "pack_process_processes",
                },
                host_identifier: &laptop.hostname,
                calendar_time: time.format("%a %b %e %H:%M:%S %Y UTC").to_string(),
                unix_time: time.timestamp(),
                epoch: 0,
                counter: i as u32,
                numerics: false,
                decorations: OsqueryDecorations {
                    hostname: &laptop.hostname,
                    username,
                    serial: &laptop.serial,
                },
                columns,
                action: "added",
            };
            line.clear();
            serde_json::to_writer(&mut line, &result)
                .map_err(SynthError::json(&self.dir.join(OSQUERY_FILE)))?;
            line.push(b'\n');
            self.osquery
                .write_all(&line)
                .map_err(SynthError::io(&self.dir.join(OSQUERY_FILE)))?;
        }
        Ok(count)
    }

    fn shipment(&mut self, world: &World, p: &Person, laptop: &Laptop) -> Result<u64, SynthError> {
        let config = world.config();
        let mut rng = stream(config.seed, Stream::Shipping, p.index as u64);
        let plan = world.plan();
        let data = Data::get();
        let mut address = p.address.clone();
        let mut changed = false;
        if let Label::Operator { ring } = p.label {
            if p.has_signal(Signal::LaptopFarmShipping) {
                if let Some(f) = plan
                    .rings
                    .get(ring as usize)
                    .and_then(|r| r.facilitator)
                    .and_then(|f| plan.facilitators.get(f as usize))
                {
                    changed = address != f.address;
                    address = f.address.clone();
                }
            } else if p.has_signal(Signal::ShippingAddressChange) {
                let country = data.country(p.country);
                let city = &country.cities[rng.gen_range(0..country.cities.len())];
                address = ident::address(&mut rng, country, city);
                changed = true;
            }
        } else if matches!(
            p.label,
            Label::HardNegative {
                category: HardNegative::DigitalNomad,
                ..
            }
        ) && chance(&mut rng, 0.3)
        {
            // Shipped to a relative's address while travelling.
            let country = data.country(p.country);
            let city = &country.cities[rng.gen_range(0..country.cities.len())];
            address = ident::address(&mut rng, country, city);
            changed = true;
        }
        let email = p.work_email.clone().unwrap_or_default();
        let carrier = pick(&mut rng, &["UPS", "FedEx", "DHL Express"]);
        let tracking = match *carrier {
            "UPS" => format!(
                "1Z{}",
                ident::pattern(&mut rng, "@@@###########").to_uppercase()
            ),
            "FedEx" => ident::pattern(&mut rng, "############"),
            _ => ident::pattern(&mut rng, "##########"),
        };
        let path = self.dir.join(SHIPPING_FILE);
        csv_row(
            &mut self.shipping,
            [
                p.id.as_str(),
                email.as_str(),
                &laptop.ship_date.to_string(),
                &address,
                p.country_name,
                &laptop.asset_tag,
                &laptop.serial,
                laptop.model,
                carrier,
                &tracking,
                if changed { "true" } else { "false" },
            ],
            &path,
        )?;
        Ok(1)
    }

    fn payroll(&mut self, world: &World, p: &Person) -> Result<u64, SynthError> {
        let config = world.config();
        let mut rng = stream(config.seed, Stream::Payroll, p.index as u64);
        let data = Data::get();
        let tz: Tz = p.timezone.parse().unwrap_or(Tz::UTC);
        let start = config.start_date();
        let initial_day = p.started_on.unwrap_or(start);
        let email = p.work_email.clone().unwrap_or_else(|| p.emails[0].clone());
        let mut rows: Vec<(NaiveDate, &str, String, String, String)> = vec![(
            initial_day,
            "initial",
            p.payout_provider.clone(),
            p.payout_account.clone(),
            account_country(&p.payout_provider, &p.payout_account, p.country),
        )];
        let category = match p.label {
            Label::HardNegative { category, .. } => Some(category),
            _ => None,
        };
        let changes = if p.has_signal(Signal::FrequentPayoutChanges) {
            rng.gen_range(3..6)
        } else if category == Some(HardNegative::ChangedBanks) {
            rng.gen_range(1..3)
        } else {
            usize::from(chance(&mut rng, 0.03))
        };
        let country = data.country(p.country);
        for _ in 0..changes {
            let day = start + Duration::days(rng.gen_range(0..i64::from(config.days.max(1))));
            let (provider, account) = if p.is_operator() && chance(&mut rng, 0.5) {
                (
                    "Payoneer".to_string(),
                    format!(
                        "pay{}{}@gmail.com",
                        ident::ascii_fold(&p.last_name),
                        rng.gen_range(10..99)
                    ),
                )
            } else if chance(&mut rng, 0.3) {
                ("Wise".to_string(), ident::iban(&mut rng, "BE"))
            } else {
                (
                    pick(&mut rng, &country.banks).clone(),
                    ident::bank_account(&mut rng, &country.account),
                )
            };
            let acc_country = account_country(&provider, &account, p.country);
            rows.push((
                day.max(initial_day),
                "update",
                provider,
                account,
                acc_country,
            ));
        }
        rows.sort_by_key(|r| r.0);
        let path = self.dir.join(PAYROLL_FILE);
        for (day, change, provider, account, acc_country) in &rows {
            let effective = local_instant(tz, *day, 0.0)
                .map(|t| t.with_timezone(&tz).to_rfc3339())
                .unwrap_or_else(|| day.to_string());
            let method = payout_method(provider);
            csv_row(
                &mut self.payroll,
                [
                    p.id.as_str(),
                    email.as_str(),
                    &effective,
                    change,
                    method,
                    provider,
                    account,
                    acc_country,
                ],
                &path,
            )?;
        }
        Ok(rows.len() as u64)
    }
}

/// `bank`, `payment_service` or `crypto`.
fn payout_method(provider: &str) -> &'static str {
    match provider.to_ascii_lowercase().as_str() {
        "payoneer" | "wise" => "payment_service",
        "usdt" => "crypto",
        _ => "bank",
    }
}

/// The country of a payout account: an IBAN's prefix, Wise's Belgian IBANs, else the person's country.
fn account_country(provider: &str, account: &str, home: &str) -> String {
    if payout_method(provider) == "crypto" {
        return String::new();
    }
    let compact: String = account.chars().filter(|c| !c.is_whitespace()).collect();
    let head = compact.get(..2).unwrap_or("");
    if compact.len() > 14
        && head.chars().all(|c| c.is_ascii_uppercase())
        && compact[2..4].chars().all(|c| c.is_ascii_digit())
    {
        return head.to_string();
    }
    match payout_method(provider) {
        "payment_service" if provider.eq_ignore_ascii_case("payoneer") => "US".into(),
        _ => home.to_string(),
    }
}

/// The laptop a subject with an account gets.
struct Laptop {
    shipped: bool,
    mac: bool,
    hostname: String,
    serial: String,
    asset_tag: String,
    model: &'static str,
    ship_date: NaiveDate,
    user_agent: (&'static str, &'static str, &'static str),
}

const UA_WINDOWS: (&str, &str, &str) = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Windows 10",
    "CHROME",
);
const UA_MAC: (&str, &str, &str) = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mac OS X",
    "CHROME",
);
const UA_MAC_SAFARI: (&str, &str, &str) = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mac OS X",
    "SAFARI",
);

impl Laptop {
    fn of(config: &WorldConfig, p: &Person) -> Laptop {
        let mut rng = stream(config.seed, Stream::Endpoint, 1 << 40 | p.index as u64);
        let mac = chance(&mut rng, 0.55);
        let started = p.started_on.unwrap_or(config.start_date());
        let n = mix(config.seed ^ p.index as u64);
        let serial = if mac {
            ident::pattern(&mut rng, "C02@#@@#@@#@").to_uppercase()
        } else {
            ident::pattern(&mut rng, "PF#@@#@#")
        };
        Laptop {
            shipped: p.kind != "marketplace_account",
            mac,
            hostname: format!("NWL-{}-{:06}", if mac { "MAC" } else { "WIN" }, p.index + 1),
            serial,
            asset_tag: format!("A{:08}", n % 100_000_000),
            model: if mac {
                "MacBook Pro 14-inch (M3)"
            } else {
                "Lenovo ThinkPad T14 Gen 4"
            },
            ship_date: started - Duration::days(rng.gen_range(3..10)),
            user_agent: if mac {
                if chance(&mut rng, 0.3) {
                    UA_MAC_SAFARI
                } else {
                    UA_MAC
                }
            } else {
                UA_WINDOWS
            },
        }
    }
}

/// A digital nomad's trips: (first day, end day, address there, time zone there).
fn nomad_trips(rng: &mut SynthRng, config: &WorldConfig) -> Vec<(u32, u32, Ipv4Addr, Tz)> {
    const PLACES: &[(&str, Tz)] = &[
        ("TH", chrono_tz::Asia::Bangkok),
        ("PT", chrono_tz::Europe::Lisbon),
        ("MX", chrono_tz::America::Mexico_City),
        ("ES", chrono_tz::Europe::Madrid),
        ("ID", chrono_tz::Asia::Jakarta),
        ("JP", chrono_tz::Asia::Tokyo),
        ("VN", chrono_tz::Asia::Ho_Chi_Minh),
        ("IT", chrono_tz::Europe::Rome),
        ("BR", chrono_tz::America::Sao_Paulo),
        ("KR", chrono_tz::Asia::Seoul),
    ];
    let mut trips = Vec::new();
    let mut day = rng.gen_range(0..10);
    while day + 5 < config.days {
        let len = rng.gen_range(5..21);
        let (cc, tz) = PLACES[rng.gen_range(0..PLACES.len())];
        let ip = address_in(rng, "residential", Some(cc)).0;
        trips.push((day, (day + len).min(config.days), ip, tz));
        day += len + rng.gen_range(7..25);
    }
    trips
}

/// The UTC instant of `hour` (fractional, may exceed 24) on `date` in `tz`; `None` in a DST gap.
fn local_instant(tz: Tz, date: NaiveDate, hour: f64) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    let local = midnight + Duration::milliseconds((hour * 3_600_000.0) as i64);
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// An Entra (Microsoft Graph) user object id, a GUID stable per subject.
fn entra_user_id(config: &WorldConfig, index: usize) -> String {
    guid(config.seed ^ 0xe7_0000_0000, index as u64)
}

/// A GUID-shaped (version 4) identifier from two keys.
fn guid(key: u64, index: u64) -> String {
    let a = mix(key ^ index);
    let b = mix(a ^ index);
    let h = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..]
    )
}

/// A Google profile id (21 decimal digits starting with 1), stable per subject.
fn google_profile_id(config: &WorldConfig, index: usize) -> String {
    let a = mix(config.seed ^ 0x600_0000_0000 ^ index as u64) % 100_000_000_000;
    let b = mix(a ^ index as u64) % 1_000_000_000;
    format!("1{a:011}{b:09}")
}

/// A UUID v4-shaped identifier from the stream.
fn uuid(rng: &mut SynthRng) -> String {
    let mut b: [u8; 16] = rng.r#gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// An Okta user id (`00u` and 17 letters and digits), stable per subject.
fn okta_user_id(config: &WorldConfig, index: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut x = u128::from(mix(config.seed ^ 0x0u64.wrapping_add(index as u64)))
        | (u128::from(mix(index as u64 ^ 0x5eed)) << 64);
    let mut id = String::from("00u");
    for _ in 0..17 {
        id.push(char::from(ALPHABET[(x % 62) as usize]));
        x /= 62;
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residential_addresses_spread_over_a_country_like_an_isp_spreads_customers() {
        // 100,000 draws for one country (about the US share of a 300,000-subject world): few
        // should land in a /24 that two others landed in (the shared-egress rule's condition).
        // With four ranges a provider it was 11 %; with 48 (524,575 US /24s) it is about 1.6 %;
        // real ISPs spread customers over ten times more, which the vendored table cannot hold.
        let mut rng = stream(7, Stream::SignIns, 1);
        let mut per_prefix: HashMap<u32, u32> = HashMap::new();
        let draws = 100_000;
        for _ in 0..draws {
            let (ip, range) = address_in(&mut rng, "residential", Some("US"));
            assert_eq!((range.kind, range.country), ("residential", "US"));
            *per_prefix.entry(u32::from(ip) >> 8).or_default() += 1;
        }
        let crowded: u32 = per_prefix.values().filter(|&&n| n >= 3).sum();
        assert!(
            crowded * 40 < draws,
            "{crowded} of {draws} draws share a /24 with two others"
        );
        assert!(candidates("residential", Some("US")).ranges.len() >= 20);
    }

    #[test]
    fn known_exits_are_picked_as_often_as_their_neighbourhoods() {
        // The Astrill lines list two single known exit addresses beside their /24s: each line is
        // picked uniformly, so half of an operator's Astrill sign-ins come from a known exit.
        let set = candidates("astrill", None);
        assert!(!set.by_size && set.ranges.len() == 4);
        let mut rng = stream(3, Stream::SignIns, 4);
        let draws = 20_000;
        let known = (0..draws)
            .filter(|_| {
                let (ip, _) = address_in(&mut rng, "astrill", None);
                ["142.214.202.2", "155.94.199.59"].contains(&ip.to_string().as_str())
            })
            .count();
        assert!((9_400..10_600).contains(&known), "{known} of {draws}");
    }

    #[test]
    fn ranges_are_picked_in_proportion_to_their_size() {
        let small = IpRange {
            kind: "residential",
            country: "ZZ",
            country_name: "test".into(),
            provider: "small",
            asn: 1,
            first: 0,
            last: 255,
        };
        let large = IpRange {
            last: 3 * 256 + 255,
            provider: "large",
            ..small.clone()
        };
        let (small, large): (&'static IpRange, &'static IpRange) =
            (Box::leak(Box::new(small)), Box::leak(Box::new(large)));
        let set = Candidates::new(vec![small, large], true);
        let mut rng = stream(1, Stream::SignIns, 2);
        let picks_of_large = (0..40_000)
            .filter(|_| set.pick(&mut rng).provider == "large")
            .count();
        // Four times the addresses: 80 % of the picks.
        assert!(
            (31_000..33_000).contains(&picks_of_large),
            "{picks_of_large}"
        );
    }

    #[test]
    fn ip_ranges_cover_every_country_and_kind() {
        let data = Data::get();
        for c in &data.countries {
            assert!(
                ranges()
                    .iter()
                    .any(|r| r.kind == "residential" && r.country == c.code),
                "no residential range for {}",
                c.code
            );
        }
        for kind in ["vpn", "hosting", "astrill", "dprk"] {
            assert!(ranges().iter().any(|r| r.kind == kind), "{kind}");
        }
        let astrill: Vec<_> = ranges().iter().filter(|r| r.kind == "astrill").collect();
        assert!(
            astrill
                .iter()
                .any(|r| Ipv4Addr::from(r.first).to_string() == "142.214.202.2")
        );
        assert!(
            ranges()
                .iter()
                .any(|r| r.kind == "dprk" && Ipv4Addr::from(r.first).octets()[..2] == [175, 45])
        );
    }

    #[test]
    fn local_instants_follow_the_zone() {
        let tz: Tz = "Asia/Pyongyang".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
        let t = local_instant(tz, d, 9.0).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-04T00:00:00+00:00");
        // A DST gap in New York has no 02:30.
        let ny: Tz = "America/New_York".parse().unwrap();
        let gap = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert!(local_instant(ny, gap, 2.5).is_none());
        assert!(local_instant(ny, gap, 3.5).is_some());
    }

    #[test]
    fn account_countries() {
        let check = |provider: &str, account: &str, expect: &str| {
            assert_eq!(
                account_country(provider, account, "US"),
                expect,
                "{account}"
            );
        };
        check("Wise", "BE54 1549 2606 2730 5539", "BE");
        check("Payoneer", "a@b.com", "US");
        check("USDT", "TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz", "");
        check("Chase", "011326391-3946513697", "US");
    }
}
