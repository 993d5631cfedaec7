//! Google Workspace Admin SDK Reports API activities (`activities.list` pages, `{"kind":
//! "admin#reports#activities", "items": [...]}`, a bare array, or NDJSON of activities) for the
//! applications `login` (sign-ins), `drive` (downloads and copies) and `token` (OAuth grants).
//!
//! One activity holds one or more events; each translated event becomes one [`Event`] whose id is
//! derived from the activity's `id.time`, `id.uniqueQualifier`, `id.applicationName` and the event's
//! position and name. Schema: Admin SDK Reports API `activities` resource and the login, Drive and
//! token audit activity event references.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::Read;

use redflag_model::{Event, EventId, EventKind, Identifier, SignIn, SignInOutcome};
use serde::Deserialize;

use crate::framing::Checkpoint;
use crate::reader::{JsonEventReader, JsonFormat, RecordAt, RecordError, SourceFormat, json_error};
use crate::time::parse_zoned;

/// The connector name in provenance.
pub const CONNECTOR: &str = "google-reports";

#[derive(Deserialize)]
struct Activity<'a> {
    #[serde(borrow)]
    id: ActivityId<'a>,
    #[serde(borrow, default)]
    actor: Option<Actor<'a>>,
    #[serde(borrow, default, rename = "ipAddress")]
    ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    events: Vec<ActivityEvent<'a>>,
}

#[derive(Deserialize)]
struct ActivityId<'a> {
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow, default, rename = "uniqueQualifier")]
    unique: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "applicationName")]
    application: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Actor<'a> {
    #[serde(borrow, default)]
    email: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "profileId")]
    profile_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ActivityEvent<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    parameters: Vec<Parameter<'a>>,
}

#[derive(Deserialize)]
struct Parameter<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    value: Option<Cow<'a, str>>,
}

fn param<'b>(e: &'b ActivityEvent<'_>, name: &str) -> Option<&'b str> {
    e.parameters
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref())
}

/// The Google Workspace Reports format for [`JsonEventReader`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GoogleFormat;

impl JsonFormat for GoogleFormat {
    fn connector(&self) -> &'static str {
        CONNECTOR
    }

    fn accepts(&self, format: SourceFormat) -> bool {
        format == SourceFormat::GoogleReports
    }

    fn parse(
        &self,
        bytes: &[u8],
        at: RecordAt<'_>,
        out: &mut VecDeque<Event>,
    ) -> Result<usize, RecordError> {
        let a: Activity<'_> =
            serde_json::from_slice(bytes).map_err(|e| json_error::<Activity<'_>>(bytes, e))?;
        let (time, offset) =
            parse_zoned(&a.id.time).map_err(|r| RecordError::field("id.time", r))?;
        let app = a.id.application.as_ref();
        let mut identifiers = Vec::with_capacity(2);
        if let Some(actor) = &a.actor {
            if let Some(email) = actor.email.as_deref().filter(|s| !s.is_empty()) {
                identifiers.push(
                    Identifier::email(email)
                        .map_err(|e| RecordError::field("actor.email", e.to_string()))?,
                );
            }
            if let Some(id) = actor.profile_id.as_deref().filter(|s| !s.is_empty()) {
                identifiers.push(
                    Identifier::idp_user("google", id)
                        .map_err(|e| RecordError::field("actor.profileId", e.to_string()))?,
                );
            }
        }
        let ip = match a.ip.as_deref().filter(|s| !s.is_empty()) {
            Some(text) => match Identifier::ip(text) {
                Ok(Identifier::Ip { address }) => Some(address),
                _ => {
                    return Err(RecordError::field(
                        "ipAddress",
                        format!("{text:?} is not an IP address"),
                    ));
                }
            },
            None => None,
        };
        let mut pushed = 0;
        for (index, e) in a.events.iter().enumerate() {
            let kind = match (app, e.name.as_ref()) {
                (
                    "login",
                    name @ ("login_success" | "login_failure" | "login_challenge"
                    | "login_verification"),
                ) => EventKind::SignIn(SignIn {
                    ip,
                    user_agent: None,
                    outcome: match name {
                        "login_success" => SignInOutcome::Success,
                        "login_failure" => SignInOutcome::Failure,
                        _ => SignInOutcome::Other,
                    },
                    application: Some("Google Workspace".into()),
                    provider_country: None,
                }),
                ("drive", name @ ("download" | "copy")) => EventKind::Activity {
                    action: format!("drive_{name}"),
                    target: param(e, "doc_title")
                        .or(param(e, "doc_id"))
                        .map(str::to_string),
                    count: Some(1),
                },
                ("token", "authorize") => EventKind::Activity {
                    action: "oauth_grant".into(),
                    target: param(e, "app_name")
                        .or(param(e, "client_id"))
                        .map(str::to_string),
                    count: None,
                },
                _ => continue,
            };
            if identifiers.is_empty() {
                return Err(RecordError::field(
                    "actor",
                    "no actor email or profileId to attribute the activity to",
                ));
            }
            let index_text = index.to_string();
            out.push_back(Event {
                id: EventId::derive(
                    "google",
                    &[
                        &a.id.time,
                        a.id.unique.as_deref().unwrap_or(""),
                        app,
                        &index_text,
                        &e.name,
                    ],
                ),
                time,
                utc_offset_seconds: offset,
                kind,
                identifiers: identifiers.clone(),
                subject: None,
                provenance: at.provenance(CONNECTOR),
            });
            pushed += 1;
        }
        Ok(pushed)
    }
}

/// A reader of Google Workspace Reports API exports.
pub type GoogleReader<R> = JsonEventReader<R, GoogleFormat>;

/// Opens a Google Reports reader over a whole file.
pub fn reader<R: Read>(input: R, source: &str) -> GoogleReader<R> {
    JsonEventReader::new(input, source, GoogleFormat)
}

/// Resumes a Google Reports reader at a checkpoint (`input` positioned at `checkpoint.offset`).
pub fn resume<R: Read>(input: R, source: &str, checkpoint: Checkpoint) -> GoogleReader<R> {
    JsonEventReader::resume(input, source, GoogleFormat, checkpoint)
}
