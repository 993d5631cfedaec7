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

use redflag_model::{
    DeviceId, DeviceKind, Event, EventId, EventKind, Identifier, SignIn, SignInOutcome,
};
use serde::Deserialize;

use crate::framing::Checkpoint;
use crate::reader::{JsonEventReader, JsonFormat, RecordAt, RecordError, SourceFormat, json_error};
use crate::time::parse_zoned;

/// The connector name in provenance for Graph exports.
pub const CONNECTOR_GRAPH: &str = "entra-graph";
/// The connector name in provenance for Azure Monitor exports.
pub const CONNECTOR_MONITOR: &str = "entra-monitor";

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

#[derive(Deserialize)]
struct Status {
    #[serde(default, rename = "errorCode")]
    error_code: Option<i64>,
}

#[derive(Deserialize)]
struct Location<'a> {
    #[serde(borrow, default, rename = "countryOrRegion")]
    country: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct DeviceDetail<'a> {
    #[serde(borrow, default, rename = "deviceId")]
    device_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct MonitorRecord<'a> {
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Cow<'a, str>,
    #[serde(borrow)]
    properties: GraphSignIn<'a>,
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
        match Identifier::email(upn) {
            Ok(email) => identifiers.push(email),
            Err(_) => identifiers.push(
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
        id: EventId::derive("entra", &[&s.id]),
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

/// The Entra ID format (Graph and Azure Monitor shapes, told apart per record) for [`JsonEventReader`].
#[derive(Debug, Clone, Copy, Default)]
pub struct EntraFormat;

impl JsonFormat for EntraFormat {
    fn connector(&self) -> &'static str {
        "entra"
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
        if memchr::memmem::find(bytes, b"\"properties\"").is_some()
            && memchr::memmem::find(bytes, b"\"category\"").is_some()
        {
            let r: MonitorRecord<'_> = serde_json::from_slice(bytes)
                .map_err(|e| json_error::<MonitorRecord<'_>>(bytes, e))?;
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
            let s: GraphSignIn<'_> = serde_json::from_slice(bytes)
                .map_err(|e| json_error::<GraphSignIn<'_>>(bytes, e))?;
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
