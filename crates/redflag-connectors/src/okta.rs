//! Okta System Log events (`GET /api/v1/logs` JSON arrays, or NDJSON as written by log shippers).
//!
//! Sign-ins (`user.session.start`, `user.authentication.sso`) become [`EventKind::SignIn`]; OAuth consent
//! grants, application assignments and MFA enrolments become [`EventKind::Activity`]; other event types
//! are counted as skipped. Schema: Okta developer documentation, "System Log API" / `LogEvent` object.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::Read;

use redflag_model::{Event, EventKind, Identifier, SignIn, SignInOutcome};
use serde::Deserialize;

use crate::fastjson::{Bail, Fast, Parser};
use crate::framing::Checkpoint;
use crate::reader::{JsonEventReader, JsonFormat, RecordAt, RecordError, SourceFormat, json_error};
use crate::simd::Preclassified;
use crate::time::parse_zoned;

/// The connector name in provenance.
pub const CONNECTOR: &str = "okta";

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct LogEvent<'a> {
    #[serde(borrow)]
    uuid: Cow<'a, str>,
    #[serde(borrow)]
    published: Cow<'a, str>,
    #[serde(borrow, rename = "eventType")]
    event_type: Cow<'a, str>,
    #[serde(borrow, default)]
    actor: Option<Actor<'a>>,
    #[serde(borrow, default)]
    client: Option<Client<'a>>,
    #[serde(borrow, default)]
    outcome: Option<Outcome<'a>>,
    #[serde(borrow, default)]
    target: Option<Vec<Target<'a>>>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct Actor<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "alternateId")]
    alternate_id: Option<Cow<'a, str>>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct Client<'a> {
    #[serde(borrow, default, rename = "ipAddress")]
    ip_address: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "userAgent")]
    user_agent: Option<UserAgent<'a>>,
    #[serde(borrow, default, rename = "geographicalContext")]
    geo: Option<Geo<'a>>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct UserAgent<'a> {
    #[serde(borrow, default, rename = "rawUserAgent")]
    raw: Option<Cow<'a, str>>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct Geo<'a> {
    #[serde(borrow, default)]
    country: Option<Cow<'a, str>>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct Outcome<'a> {
    #[serde(borrow, default)]
    result: Option<Cow<'a, str>>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
#[derive(Deserialize)]
struct Target<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "displayName")]
    display_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "alternateId")]
    alternate_id: Option<Cow<'a, str>>,
}

/// The fast path: the same [`LogEvent`] serde would give, or [`Bail`] to let serde read the record.
fn fast_event<'a>(bytes: &'a [u8], pre: Option<Preclassified<'_>>) -> Fast<LogEvent<'a>> {
    let mut p = Parser::with_stops(bytes, pre)?;
    let (mut uuid, mut published, mut event_type) = (None, None, None);
    let (mut actor, mut client, mut outcome, mut target) = (None, None, None, None);
    p.object(
        &[
            "uuid",
            "published",
            "eventType",
            "actor",
            "client",
            "outcome",
            "target",
        ],
        |p, k| {
            match k {
                0 => uuid = Some(p.string()?),
                1 => published = Some(p.string()?),
                2 => event_type = Some(p.string()?),
                3 if !p.null()? => {
                    let mut a = Actor {
                        id: None,
                        alternate_id: None,
                    };
                    p.object(&["id", "alternateId"], |p, k| {
                        let v = p.cow_or_null()?;
                        if k == 0 {
                            a.id = v
                        } else {
                            a.alternate_id = v
                        }
                        Ok(())
                    })?;
                    actor = Some(a);
                }
                4 if !p.null()? => {
                    let mut c = Client {
                        ip_address: None,
                        user_agent: None,
                        geo: None,
                    };
                    p.object(
                        &["ipAddress", "userAgent", "geographicalContext"],
                        |p, k| {
                            match k {
                                0 => c.ip_address = p.cow_or_null()?,
                                1 if !p.null()? => {
                                    let mut raw = None;
                                    p.object(&["rawUserAgent"], |p, _| {
                                        raw = p.cow_or_null()?;
                                        Ok(())
                                    })?;
                                    c.user_agent = Some(UserAgent { raw });
                                }
                                2 if !p.null()? => {
                                    let mut country = None;
                                    p.object(&["country"], |p, _| {
                                        country = p.cow_or_null()?;
                                        Ok(())
                                    })?;
                                    c.geo = Some(Geo { country });
                                }
                                _ => {}
                            }
                            Ok(())
                        },
                    )?;
                    client = Some(c);
                }
                5 if !p.null()? => {
                    let mut result = None;
                    p.object(&["result"], |p, _| {
                        result = p.cow_or_null()?;
                        Ok(())
                    })?;
                    outcome = Some(Outcome { result });
                }
                6 if !p.null()? => {
                    let mut targets = Vec::new();
                    p.array(|p| {
                        let mut t = Target {
                            kind: None,
                            display_name: None,
                            alternate_id: None,
                        };
                        p.object(&["type", "displayName", "alternateId"], |p, k| {
                            let v = p.cow_or_null()?;
                            match k {
                                0 => t.kind = v,
                                1 => t.display_name = v,
                                _ => t.alternate_id = v,
                            }
                            Ok(())
                        })?;
                        targets.push(t);
                        Ok(())
                    })?;
                    target = Some(targets);
                }
                _ => {}
            }
            Ok(())
        },
    )?;
    p.finish()?;
    Ok(LogEvent {
        uuid: Cow::Borrowed(uuid.ok_or(Bail)?),
        published: Cow::Borrowed(published.ok_or(Bail)?),
        event_type: Cow::Borrowed(event_type.ok_or(Bail)?),
        actor,
        client,
        outcome,
        target,
    })
}

enum Translate {
    SignIn,
    Activity(&'static str),
}

fn translate(event_type: &str) -> Option<Translate> {
    Some(match event_type {
        "user.session.start" | "user.authentication.sso" => Translate::SignIn,
        "app.oauth2.as.consent.grant" | "app.oauth2.consent.grant" => {
            Translate::Activity("oauth_grant")
        }
        "application.user_membership.add" => Translate::Activity("app_assigned"),
        "user.mfa.factor.activate" => Translate::Activity("mfa_enrolled"),
        "user.session.access_admin_app" => Translate::Activity("admin_app_access"),
        _ => return None,
    })
}

/// Maps an Okta outcome result to a sign-in outcome.
pub fn outcome(result: Option<&str>) -> SignInOutcome {
    match result {
        Some("SUCCESS" | "ALLOW") => SignInOutcome::Success,
        Some("FAILURE" | "DENY") => SignInOutcome::Failure,
        _ => SignInOutcome::Other,
    }
}

/// The Okta format for [`JsonEventReader`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OktaFormat;

impl JsonFormat for OktaFormat {
    fn connector(&self) -> &'static str {
        CONNECTOR
    }

    fn accepts(&self, format: SourceFormat) -> bool {
        format == SourceFormat::Okta
    }

    fn parse(
        &self,
        bytes: &[u8],
        at: RecordAt<'_>,
        out: &mut VecDeque<Event>,
    ) -> Result<usize, RecordError> {
        let e: LogEvent<'_> = match fast_event(bytes, at.pre) {
            Ok(e) => e,
            Err(Bail) => serde_json::from_slice(bytes)
                .map_err(|err| json_error::<LogEvent<'_>>(bytes, err))?,
        };
        let Some(what) = translate(&e.event_type) else {
            return Ok(0);
        };
        let (time, offset) =
            parse_zoned(&e.published).map_err(|r| RecordError::field("published", r))?;
        let mut identifiers = Vec::with_capacity(2);
        if let Some(actor) = &e.actor {
            if let Some(id) = actor.id.as_deref().filter(|s| !s.is_empty()) {
                identifiers.push(
                    Identifier::idp_user(CONNECTOR, id)
                        .map_err(|r| RecordError::field("actor.id", r.to_string()))?,
                );
            }
            if let Some(login) = actor
                .alternate_id
                .as_deref()
                .filter(|s| !s.is_empty() && *s != "unknown")
            {
                match crate::ids::email(login) {
                    Some(email) => identifiers.push(email),
                    None => identifiers.push(
                        Identifier::idp_user(CONNECTOR, login)
                            .map_err(|r| RecordError::field("actor.alternateId", r.to_string()))?,
                    ),
                }
            }
        }
        if identifiers.is_empty() {
            return Err(RecordError::field(
                "actor",
                "no actor id or alternateId to attribute the event to",
            ));
        }
        let app = e.target.as_ref().and_then(|targets| {
            targets
                .iter()
                .find(|t| t.kind.as_deref() == Some("AppInstance"))
                .or_else(|| targets.first())
                .and_then(|t| t.display_name.as_deref().or(t.alternate_id.as_deref()))
                .map(str::to_string)
        });
        let kind = match what {
            Translate::SignIn => {
                let client = e.client.as_ref();
                let ip = match client
                    .and_then(|c| c.ip_address.as_deref())
                    .filter(|s| !s.is_empty())
                {
                    Some(text) => match Identifier::ip(text) {
                        Ok(Identifier::Ip { address }) => Some(address),
                        _ => {
                            return Err(RecordError::field(
                                "client.ipAddress",
                                format!("{text:?} is not an IP address"),
                            ));
                        }
                    },
                    None => None,
                };
                EventKind::SignIn(SignIn {
                    ip,
                    user_agent: client
                        .and_then(|c| c.user_agent.as_ref())
                        .and_then(|u| u.raw.as_deref())
                        .map(str::to_string),
                    outcome: outcome(e.outcome.as_ref().and_then(|o| o.result.as_deref())),
                    application: if e.event_type == "user.session.start" {
                        Some("Okta".to_string())
                    } else {
                        app
                    },
                    provider_country: client
                        .and_then(|c| c.geo.as_ref())
                        .and_then(|g| g.country.as_deref())
                        .and_then(crate::reader::country),
                })
            }
            Translate::Activity(action) => EventKind::Activity {
                action: action.to_string(),
                target: app,
                count: None,
            },
        };
        out.push_back(Event {
            id: crate::ids::event_id(CONNECTOR, &[&e.uuid]),
            time,
            utc_offset_seconds: offset,
            kind,
            identifiers,
            subject: None,
            provenance: at.provenance(CONNECTOR),
        });
        Ok(1)
    }
}

/// A reader of Okta System Log exports.
pub type OktaReader<R> = JsonEventReader<R, OktaFormat>;

/// Opens an Okta reader over a whole file.
pub fn reader<R: Read>(input: R, source: &str) -> OktaReader<R> {
    JsonEventReader::new(input, source, OktaFormat)
}

/// Resumes an Okta reader at a checkpoint (`input` positioned at `checkpoint.offset`).
pub fn resume<R: Read>(input: R, source: &str, checkpoint: Checkpoint) -> OktaReader<R> {
    JsonEventReader::resume(input, source, OktaFormat, checkpoint)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod fast_path {
    use super::*;
    use crate::fastjson::equivalence::{check, records};

    #[test]
    fn agrees_with_serde_on_fixtures_and_mutations() {
        let mut base = records(include_str!("../tests/fixtures/okta_system_log.ndjson"));
        base.extend(records(include_str!(
            "../tests/fixtures/okta_system_log.json"
        )));
        check(
            &base,
            |b| fast_event(b, None).ok().map(|e| format!("{e:?}")),
            |b| {
                serde_json::from_slice::<LogEvent<'_>>(b)
                    .ok()
                    .map(|e| format!("{e:?}"))
            },
        );
    }
}
