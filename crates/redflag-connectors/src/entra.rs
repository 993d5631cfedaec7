//! Microsoft Entra ID sign-in logs: Microsoft Graph `GET /auditLogs/signIns` pages (`{"value": [...]}`,
//! a bare array, or NDJSON of `signIn` resources) and the Azure Monitor diagnostic-setting export
//! (`category` `SignInLogs` / `NonInteractiveUserSignInLogs`, the `signIn` under `properties`; NDJSON as
//! written to a storage account, or `{"records": [...]}` as sent to an Event Hub).
//!
//! Both shapes carry the same sign-in `id`, so the event id is derived from it alone: a sign-in read
//! from both exports is stored once. Schemas: Microsoft Graph v1.0 `signIn` resource type; Azure
//! Monitor "Entra ID sign-in logs schema".

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::Read;

use redflag_model::{DeviceId, DeviceKind, Event, EventKind, Identifier, SignIn, SignInOutcome};
use serde::Deserialize;

use crate::fastjson::{Bail, Fast, Parser};
use crate::framing::Checkpoint;
use crate::reader::{JsonEventReader, JsonFormat, RecordAt, RecordError, SourceFormat, json_error};
use crate::simd::Preclassified;
use crate::time::parse_zoned;

/// The connector name in provenance for Graph exports.
pub const CONNECTOR_GRAPH: &str = "entra-graph";
/// The connector name in provenance for Azure Monitor exports.
pub const CONNECTOR_MONITOR: &str = "entra-monitor";

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct GraphSignIn<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, default, rename = "createdDateTime")]
    created: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "userPrincipalName")]
    upn: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "userId")]
    user_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "appDisplayName")]
    app: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "ipAddress")]
    ip: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "userAgent")]
    user_agent: Option<Cow<'a, str>>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(borrow, default)]
    location: Option<Location<'a>>,
    #[serde(borrow, default, rename = "deviceDetail")]
    device: Option<DeviceDetail<'a>>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct Status {
    #[serde(default, rename = "errorCode")]
    error_code: Option<i64>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct Location<'a> {
    #[serde(borrow, default, rename = "countryOrRegion")]
    country: Option<Cow<'a, str>>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct DeviceDetail<'a> {
    #[serde(borrow, default, rename = "deviceId")]
    device_id: Option<Cow<'a, str>>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct MonitorRecord<'a> {
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Cow<'a, str>,
    #[serde(borrow)]
    properties: GraphSignIn<'a>,
}

/// The fast path for one `signIn` object: what serde would give, or [`Bail`].
fn fast_sign_in<'a>(p: &mut Parser<'a>) -> Fast<GraphSignIn<'a>> {
    let mut s = GraphSignIn {
        id: Cow::Borrowed(""),
        created: None,
        upn: None,
        user_id: None,
        app: None,
        ip: None,
        user_agent: None,
        status: None,
        location: None,
        device: None,
    };
    let seen = p.object(
        &[
            "id",
            "createdDateTime",
            "userPrincipalName",
            "userId",
            "appDisplayName",
            "ipAddress",
            "userAgent",
            "status",
            "location",
            "deviceDetail",
        ],
        |p, k| {
            match k {
                0 => s.id = Cow::Borrowed(p.string()?),
                1 => s.created = p.cow_or_null()?,
                2 => s.upn = p.cow_or_null()?,
                3 => s.user_id = p.cow_or_null()?,
                4 => s.app = p.cow_or_null()?,
                5 => s.ip = p.cow_or_null()?,
                6 => s.user_agent = p.cow_or_null()?,
                7 if !p.null()? => {
                    let mut error_code = None;
                    p.object(&["errorCode"], |p, _| {
                        error_code = p.int_or_null()?;
                        Ok(())
                    })?;
                    s.status = Some(Status { error_code });
                }
                8 if !p.null()? => {
                    let mut country = None;
                    p.object(&["countryOrRegion"], |p, _| {
                        country = p.cow_or_null()?;
                        Ok(())
                    })?;
                    s.location = Some(Location { country });
                }
                9 if !p.null()? => {
                    let mut device_id = None;
                    p.object(&["deviceId"], |p, _| {
                        device_id = p.cow_or_null()?;
                        Ok(())
                    })?;
                    s.device = Some(DeviceDetail { device_id });
                }
                _ => {}
            }
            Ok(())
        },
    )?;
    if seen & 1 == 0 {
        return Err(Bail);
    }
    Ok(s)
}

fn fast_graph<'a>(bytes: &'a [u8], pre: Option<Preclassified<'_>>) -> Fast<GraphSignIn<'a>> {
    let mut p = Parser::with_stops(bytes, pre)?;
    let s = fast_sign_in(&mut p)?;
    p.finish()?;
    Ok(s)
}

fn fast_monitor<'a>(bytes: &'a [u8], pre: Option<Preclassified<'_>>) -> Fast<MonitorRecord<'a>> {
    let mut p = Parser::with_stops(bytes, pre)?;
    let (mut time, mut category, mut properties) = (None, None, None);
    p.object(&["time", "category", "properties"], |p, k| {
        match k {
            0 => time = p.cow_or_null()?,
            1 => category = Some(p.string()?),
            _ => properties = Some(fast_sign_in(p)?),
        }
        Ok(())
    })?;
    p.finish()?;
    Ok(MonitorRecord {
        time,
        category: Cow::Borrowed(category.ok_or(Bail)?),
        properties: properties.ok_or(Bail)?,
    })
}

/// Error codes that mean "more proof needed" rather than failure (MFA required / interrupted).
const INTERRUPTS: &[i64] = &[
    50055, 50057, 50072, 50074, 50076, 50079, 50125, 50140, 50158, 53000, 81010,
];

fn outcome(code: Option<i64>) -> SignInOutcome {
    match code {
        Some(0) => SignInOutcome::Success,
        Some(c) if INTERRUPTS.contains(&c) => SignInOutcome::Other,
        Some(_) => SignInOutcome::Failure,
        None => SignInOutcome::Other,
    }
}

fn event(
    s: &GraphSignIn<'_>,
    time_text: Option<&str>,
    at: RecordAt<'_>,
    connector: &str,
    path: &str,
) -> Result<Event, RecordError> {
    let field = |name: &str| format!("{path}{name}");
    let time_text =
        time_text.ok_or_else(|| RecordError::field(&field("createdDateTime"), "missing"))?;
    let (time, offset) =
        parse_zoned(time_text).map_err(|r| RecordError::field(&field("createdDateTime"), r))?;
    let mut identifiers = Vec::with_capacity(3);
    if let Some(upn) = s.upn.as_deref().filter(|u| !u.is_empty()) {
        match crate::ids::email(upn) {
            Some(email) => identifiers.push(email),
            None => identifiers.push(
                Identifier::idp_user("entra", upn)
                    .map_err(|e| RecordError::field(&field("userPrincipalName"), e.to_string()))?,
            ),
        }
    }
    if let Some(id) = s.user_id.as_deref().filter(|u| !u.is_empty()) {
        identifiers.push(
            Identifier::idp_user("entra", id)
                .map_err(|e| RecordError::field(&field("userId"), e.to_string()))?,
        );
    }
    if identifiers.is_empty() {
        return Err(RecordError::field(
            &field("userPrincipalName"),
            "no userPrincipalName or userId to attribute the sign-in to",
        ));
    }
    if let Some(device) = s
        .device
        .as_ref()
        .and_then(|d| d.device_id.as_deref())
        .filter(|d| !d.is_empty())
        && let Ok(d) = DeviceId::new(DeviceKind::Mdm, device)
    {
        identifiers.push(Identifier::Device(d));
    }
    let ip = match s.ip.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => match Identifier::ip(text) {
            Ok(Identifier::Ip { address }) => Some(address),
            _ => {
                return Err(RecordError::field(
                    &field("ipAddress"),
                    format!("{text:?} is not an IP address"),
                ));
            }
        },
        None => None,
    };
    Ok(Event {
        id: crate::ids::event_id("entra", &[&s.id]),
        time,
        utc_offset_seconds: offset,
        kind: EventKind::SignIn(SignIn {
            ip,
            user_agent: s
                .user_agent
                .as_deref()
                .filter(|u| !u.is_empty())
                .map(str::to_string),
            outcome: outcome(s.status.as_ref().and_then(|s| s.error_code)),
            application: s.app.as_deref().map(str::to_string),
            provider_country: s
                .location
                .as_ref()
                .and_then(|l| l.country.as_deref())
                .and_then(crate::reader::country),
        }),
        identifiers,
        subject: None,
        provenance: at.provenance(connector),
    })
}

/// Searchers for the keys that mark an Azure Monitor record, built once (not per record).
static PROPERTIES: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"properties\""));
static CATEGORY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"category\""));

/// The Entra ID format (Graph and Azure Monitor shapes, told apart per record) for [`JsonEventReader`].
#[derive(Debug, Clone, Copy, Default)]
pub struct EntraFormat;

impl JsonFormat for EntraFormat {
    fn connector(&self) -> &'static str {
        "entra"
    }

    fn connectors(&self) -> Vec<&'static str> {
        vec![CONNECTOR_GRAPH, CONNECTOR_MONITOR]
    }

    fn accepts(&self, format: SourceFormat) -> bool {
        matches!(
            format,
            SourceFormat::EntraGraph | SourceFormat::EntraMonitor
        )
    }

    fn parse(
        &self,
        bytes: &[u8],
        at: RecordAt<'_>,
        out: &mut VecDeque<Event>,
    ) -> Result<usize, RecordError> {
        // Azure Monitor writes `time` first: such a record is read as one straight away, without
        // the two key searches over its bytes (a record the fast path reads has both keys, so the
        // searches would have routed it here too); anything else is routed by the searches
        let first = if bytes.starts_with(b"{\"time\"") {
            fast_monitor(bytes, at.pre).ok()
        } else {
            None
        };
        if first.is_some() || (PROPERTIES.find(bytes).is_some() && CATEGORY.find(bytes).is_some()) {
            let r: MonitorRecord<'_> = match first.map_or_else(|| fast_monitor(bytes, at.pre), Ok) {
                Ok(r) => r,
                Err(Bail) => serde_json::from_slice(bytes)
                    .map_err(|e| json_error::<MonitorRecord<'_>>(bytes, e))?,
            };
            if !r.category.ends_with("SignInLogs") {
                return Ok(0);
            }
            let time = r.properties.created.as_deref().or(r.time.as_deref());
            out.push_back(event(
                &r.properties,
                time,
                at,
                CONNECTOR_MONITOR,
                "properties.",
            )?);
        } else {
            let s: GraphSignIn<'_> = match fast_graph(bytes, at.pre) {
                Ok(s) => s,
                Err(Bail) => serde_json::from_slice(bytes)
                    .map_err(|e| json_error::<GraphSignIn<'_>>(bytes, e))?,
            };
            out.push_back(event(&s, s.created.as_deref(), at, CONNECTOR_GRAPH, "")?);
        }
        Ok(1)
    }
}

/// A reader of Entra ID sign-in exports.
pub type EntraReader<R> = JsonEventReader<R, EntraFormat>;

/// Opens an Entra reader over a whole file.
pub fn reader<R: Read>(input: R, source: &str) -> EntraReader<R> {
    JsonEventReader::new(input, source, EntraFormat)
}

/// Resumes an Entra reader at a checkpoint (`input` positioned at `checkpoint.offset`).
pub fn resume<R: Read>(input: R, source: &str, checkpoint: Checkpoint) -> EntraReader<R> {
    JsonEventReader::resume(input, source, EntraFormat, checkpoint)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod fast_path {
    use super::*;
    use crate::fastjson::equivalence::{check, records};

    #[test]
    fn agrees_with_serde_on_fixtures_and_mutations() {
        check(
            &records(include_str!("../tests/fixtures/entra_graph_signins.json")),
            |b| fast_graph(b, None).ok().map(|e| format!("{e:?}")),
            |b| {
                serde_json::from_slice::<GraphSignIn<'_>>(b)
                    .ok()
                    .map(|e| format!("{e:?}"))
            },
        );
        check(
            &records(include_str!("../tests/fixtures/entra_monitor_signins.json")),
            |b| fast_monitor(b, None).ok().map(|e| format!("{e:?}")),
            |b| {
                serde_json::from_slice::<MonitorRecord<'_>>(b)
                    .ok()
                    .map(|e| format!("{e:?}"))
            },
        );
    }

    /// Routing a record that starts with `{"time"` straight to the Azure Monitor fast path gives what
    /// routing by the key searches gave (events or the reject), on the fixtures and their mutations.
    #[test]
    fn monitor_records_read_first_as_routed_by_the_key_searches() {
        fn parse(b: &[u8]) -> Option<String> {
            let mut out = VecDeque::new();
            let r = EntraFormat.parse(b, RecordAt::new("f", 1, 0), &mut out);
            Some(format!("{r:?} {out:?}"))
        }
        fn by_search(b: &[u8]) -> Option<String> {
            let at = RecordAt::new("f", 1, 0);
            let mut out = VecDeque::new();
            let r = (|| {
                if PROPERTIES.find(b).is_some() && CATEGORY.find(b).is_some() {
                    let r: MonitorRecord<'_> = serde_json::from_slice(b)
                        .map_err(|e| json_error::<MonitorRecord<'_>>(b, e))?;
                    if !r.category.ends_with("SignInLogs") {
                        return Ok(0);
                    }
                    let time = r.properties.created.as_deref().or(r.time.as_deref());
                    out.push_back(event(
                        &r.properties,
                        time,
                        at,
                        CONNECTOR_MONITOR,
                        "properties.",
                    )?);
                } else {
                    let s: GraphSignIn<'_> = serde_json::from_slice(b)
                        .map_err(|e| json_error::<GraphSignIn<'_>>(b, e))?;
                    out.push_back(event(&s, s.created.as_deref(), at, CONNECTOR_GRAPH, "")?);
                }
                Ok::<_, RecordError>(1)
            })();
            Some(format!("{r:?} {out:?}"))
        }
        let mut base = records(include_str!("../tests/fixtures/entra_monitor_signins.json"));
        assert!(base.iter().all(|r| r.starts_with(b"{\"time\"")));
        // a record that only mentions the keys inside a string, and one that is a Graph record
        base.push(br#"{"time":"2024-03-13T19:15:41Z","x":"\"properties\" \"category\""}"#.to_vec());
        base.extend(records(include_str!(
            "../tests/fixtures/entra_graph_signins.json"
        )));
        check(&base, parse, by_search);
    }
}
