//! Per-subject facts: emails, phones, documents, payouts, shipping, resume dates, reference domains.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, Utc};
use redflag_model::{
    Event, EventKind, Evidence, Fact, FactValue, Identifier, IdentifierKind, PayoutChange,
    PayoutMethod, PostalAddress, Provenance, Shipment, Subject,
};

use crate::config::{IdentityConfig, ProviderKind, attributes, split_list};
use crate::document::parse_mrz;
use crate::email::ascii_domain;
use crate::lookalike::{self, LookAlike};
use crate::phone;
use crate::resume::sections;

/// Builds facts about one subject with shared evidence helpers.
pub(crate) struct FactSink<'a> {
    subject: &'a Subject,
    pub(crate) facts: Vec<Fact>,
}

impl<'a> FactSink<'a> {
    pub(crate) fn new(subject: &'a Subject) -> Self {
        Self {
            subject,
            facts: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, name: &str, value: FactValue, evidence: Vec<Evidence>) {
        let mut fact = Fact::new(self.subject.id.clone(), name, value);
        fact.evidence = evidence;
        self.facts.push(fact);
    }
}

/// Evidence read from a record.
pub(crate) fn ev(
    label: impl Into<String>,
    value: impl Into<String>,
    source: &Provenance,
) -> Evidence {
    Evidence {
        label: label.into(),
        value: value.into(),
        source: Some(source.clone()),
    }
}

/// The subject's home addresses: postal-address identifiers and the `home_address` attribute.
pub(crate) fn home_addresses(subject: &Subject) -> Vec<PostalAddress> {
    let mut out: Vec<PostalAddress> = subject
        .identifiers
        .iter()
        .filter_map(|i| match i {
            Identifier::PostalAddress(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    if let Some(a) = subject
        .attributes
        .get(attributes::HOME_ADDRESS)
        .and_then(|v| PostalAddress::new(v, subject.claimed.country).ok())
        && !out.iter().any(|o| o.normalised == a.normalised)
    {
        out.push(a);
    }
    out
}

/// The subject's own events (attributed to it, or unattributed when the caller passed them for it).
pub(crate) fn own_events<'e>(subject: &Subject, events: &'e [Event]) -> Vec<&'e Event> {
    let mut own: Vec<&Event> = events
        .iter()
        .filter(|e| e.subject.as_ref().is_none_or(|s| *s == subject.id))
        .collect();
    own.sort_by_key(|e| e.time);
    own
}

pub(crate) fn payouts<'e>(events: &[&'e Event]) -> Vec<(&'e Event, &'e PayoutChange)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::PayoutChange(p) => Some((*e, p)),
            _ => None,
        })
        .collect()
}

pub(crate) fn shipments<'e>(events: &[&'e Event]) -> Vec<(&'e Event, &'e Shipment)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Shipment(s) => Some((*e, s)),
            _ => None,
        })
        .collect()
}

/// The real domains of the subject's claimed employers: the `employer_domains` attribute, and the
/// configured domains of employers named in `employers` or parsed from the resume.
pub(crate) fn employer_domains(
    subject: &Subject,
    config: &IdentityConfig,
    resume_employers: &[String],
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(v) = subject.attributes.get(attributes::EMPLOYER_DOMAINS) {
        out.extend(split_list(v).filter_map(ascii_domain));
    }
    let named = subject
        .attributes
        .get(attributes::EMPLOYERS)
        .map(|v| split_list(v).map(str::to_string).collect::<Vec<_>>())
        .unwrap_or_default();
    for name in named.iter().chain(resume_employers) {
        if let Some(d) = config.company_domains.domain_of(name) {
            out.insert(d.to_string());
        }
    }
    out
}

/// Reference email addresses and phones of a subject, parsed (unparseable entries are skipped).
pub(crate) fn reference_identifiers(subject: &Subject) -> Vec<Identifier> {
    let mut out = Vec::new();
    if let Some(v) = subject.attributes.get(attributes::REFERENCE_EMAILS) {
        out.extend(split_list(v).filter_map(|e| Identifier::email(e).ok()));
    }
    if let Some(v) = subject.attributes.get(attributes::REFERENCE_PHONES) {
        out.extend(
            split_list(v).filter_map(|p| Identifier::phone(p, subject.claimed.country).ok()),
        );
    }
    out
}

/// The reference time: the configured date, or the latest event.
pub(crate) fn reference_time(config: &IdentityConfig, events: &[&Event]) -> Option<DateTime<Utc>> {
    config.as_of.or_else(|| events.iter().map(|e| e.time).max())
}

/// Facts about one subject from its own record and events. See [`crate::fact_specs`] for the names.
pub fn subject_facts(subject: &Subject, events: &[Event], config: &IdentityConfig) -> Vec<Fact> {
    let mut sink = FactSink::new(subject);
    let src = &subject.provenance;
    let claimed = subject.claimed.country;
    let own = own_events(subject, events);

    // Emails.
    let emails: Vec<_> = subject
        .identifiers
        .iter()
        .filter_map(|i| match i {
            Identifier::Email(e) => Some(config.email_lists.describe(e)),
            _ => None,
        })
        .collect();
    if let Some(first) = emails.first() {
        sink.push(
            "email.domain",
            FactValue::Text(first.domain_ascii.clone()),
            vec![ev("email", &first.address, src)],
        );
        let flag = |sink: &mut FactSink,
                    name: &str,
                    pick: &dyn Fn(&crate::email::EmailInfo) -> bool,
                    label: &str| {
            let hits: Vec<Evidence> = emails
                .iter()
                .filter(|e| pick(e))
                .map(|e| ev(label, &e.address, src))
                .collect();
            let evidence = if hits.is_empty() {
                emails
                    .iter()
                    .map(|e| ev("email", &e.address, src))
                    .collect()
            } else {
                hits.clone()
            };
            sink.push(name, FactValue::Bool(!hits.is_empty()), evidence);
        };
        flag(
            &mut sink,
            "email.is_free",
            &|e| e.is_free,
            "free-mail address",
        );
        flag(
            &mut sink,
            "email.is_disposable",
            &|e| e.is_disposable,
            "disposable address",
        );
        flag(
            &mut sink,
            "email.is_idn",
            &|e| e.is_idn,
            "internationalised domain",
        );
        if let Some(e) = emails.iter().find(|e| e.tld_country.is_some()) {
            let country = e.tld_country.map(|c| c.to_string()).unwrap_or_default();
            sink.push(
                "email.tld_country",
                FactValue::Text(country.clone()),
                vec![ev("email", &e.address, src)],
            );
        }
        if let Some(claimed) = claimed {
            let mismatched: Vec<_> = emails
                .iter()
                .filter(|e| e.tld_country.is_some_and(|c| c != claimed))
                .collect();
            let mut evidence = vec![ev("claimed country", claimed.to_string(), src)];
            evidence.extend(mismatched.iter().map(|e| {
                ev(
                    "email domain country",
                    format!(
                        "{} ({})",
                        e.address,
                        e.tld_country.map(|c| c.to_string()).unwrap_or_default()
                    ),
                    src,
                )
            }));
            sink.push(
                "email.country_mismatch",
                FactValue::Bool(!mismatched.is_empty()),
                evidence,
            );
        }
    }

    // Phones.
    let phones: Vec<_> = subject
        .identifiers
        .iter()
        .filter_map(|i| match i {
            Identifier::Phone(p) => Some(phone::describe(p)),
            _ => None,
        })
        .collect();
    if let Some(first) = phones.first() {
        if let Some(region) = first.region {
            sink.push(
                "phone.region",
                FactValue::Text(region.to_string()),
                vec![ev("phone", &first.e164, src)],
            );
        }
        sink.push(
            "phone.line_type",
            FactValue::Text(first.line_type.as_str().into()),
            vec![ev("phone", &first.e164, src)],
        );
        let voip: Vec<Evidence> = phones
            .iter()
            .filter(|p| p.line_type == phone::LineType::Voip)
            .map(|p| ev("VoIP number", &p.e164, src))
            .collect();
        let evidence = if voip.is_empty() {
            phones
                .iter()
                .map(|p| ev(format!("phone ({})", p.line_type.as_str()), &p.e164, src))
                .collect()
        } else {
            voip.clone()
        };
        sink.push("phone.is_voip", FactValue::Bool(!voip.is_empty()), evidence);
        if let Some(claimed) = claimed {
            let mismatched: Vec<_> = phones
                .iter()
                .filter(|p| p.region.is_some_and(|r| r != claimed))
                .collect();
            let mut evidence = vec![ev("claimed country", claimed.to_string(), src)];
            evidence.extend(mismatched.iter().map(|p| {
                ev(
                    "phone region",
                    format!(
                        "{} ({})",
                        p.e164,
                        p.region.map(|c| c.to_string()).unwrap_or_default()
                    ),
                    src,
                )
            }));
            sink.push(
                "phone.country_mismatch",
                FactValue::Bool(!mismatched.is_empty()),
                evidence,
            );
        }
    }

    // Documents.
    let documents = subject.identifiers_of(IdentifierKind::Document).count();
    let mrz = subject
        .attributes
        .get(attributes::PASSPORT_MRZ)
        .map(|t| parse_mrz(t));
    let mrz_extra = usize::from(matches!(&mrz, Some(Ok(_))) && config.document_key.is_some());
    if documents + mrz_extra > 0 {
        sink.push(
            "document.count",
            FactValue::Int((documents + mrz_extra) as i64),
            vec![ev("documents", (documents + mrz_extra).to_string(), src)],
        );
    }
    match mrz {
        Some(Ok(m)) => {
            let failed: Vec<String> = m.failed_checks.iter().map(|s| s.to_string()).collect();
            let evidence = vec![
                ev("MRZ issuer", &m.issuer, src),
                ev(
                    "MRZ failed check digits",
                    if failed.is_empty() {
                        "none".into()
                    } else {
                        failed.join(", ")
                    },
                    src,
                ),
            ];
            sink.push(
                "document.mrz_valid",
                FactValue::Bool(failed.is_empty()),
                evidence.clone(),
            );
            sink.push(
                "document.mrz_failed_checks",
                FactValue::TextList(failed),
                evidence,
            );
        }
        Some(Err(e)) => {
            sink.push(
                "document.mrz_valid",
                FactValue::Bool(false),
                vec![ev("MRZ unreadable", e.0, src)],
            );
        }
        None => {}
    }

    payout_facts(&mut sink, subject, &own, config);
    shipping_facts(&mut sink, subject, &own, config);

    // Resume dates and employers.
    let mut resume_employers = Vec::new();
    if let Some(text) = subject.attributes.get(attributes::RESUME_TEXT) {
        let present = reference_time(config, &own)
            .map(|t| t.year() * 12 + t.month0() as i32)
            .unwrap_or_else(|| latest_year_in(text) * 12 + 11);
        let parsed = sections::parse(text, present);
        resume_employers = parsed.employers();
        if !resume_employers.is_empty() {
            sink.push(
                "resume.employers",
                FactValue::TextList(resume_employers.clone()),
                vec![ev("resume", "employers parsed from the resume text", src)],
            );
        }
        let claimed_years = parsed.claimed_years;
        let dated = parsed.dated_years();
        let position_evidence: Vec<Evidence> = parsed
            .positions
            .iter()
            .map(|p| ev("dated position", &p.line, src))
            .collect();
        if let Some(c) = claimed_years {
            sink.push(
                "resume.claimed_years",
                FactValue::Int(c as i64),
                vec![ev("claimed experience", format!("{c} years"), src)],
            );
        }
        if let Some(d) = dated {
            sink.push(
                "resume.dated_years",
                FactValue::Int(d as i64),
                position_evidence.clone(),
            );
        }
        if let (Some(c), Some(d)) = (claimed_years, dated) {
            let mut evidence = vec![ev("claimed experience", format!("{c} years"), src)];
            evidence.extend(position_evidence);
            sink.push(
                "resume.experience_gap_years",
                FactValue::Int(c as i64 - d as i64),
                evidence,
            );
        }
    }

    // Reference and own-email domains vs the claimed employers' real domains.
    let real = employer_domains(subject, config, &resume_employers);
    if !real.is_empty() {
        let compare_all = |addresses: &[String]| -> Vec<LookAlike> {
            let mut out = Vec::new();
            for address in addresses {
                let Some((_, domain)) = address.rsplit_once('@') else {
                    continue;
                };
                if config.email_lists.is_free(domain) {
                    continue;
                }
                if let Some(l) = real
                    .iter()
                    .filter_map(|r| lookalike::compare(domain, r))
                    .next()
                {
                    out.push(l);
                }
            }
            out
        };
        let references: Vec<String> = reference_identifiers(subject)
            .into_iter()
            .filter_map(|i| match i {
                Identifier::Email(e) => Some(e.as_str().to_string()),
                _ => None,
            })
            .collect();
        if !references.is_empty() {
            let found = compare_all(&references);
            let mut evidence: Vec<Evidence> = real
                .iter()
                .map(|r| ev("claimed employer domain", r, src))
                .collect();
            evidence.extend(references.iter().map(|r| ev("reference email", r, src)));
            sink.push(
                "reference.domain_lookalike",
                FactValue::Bool(!found.is_empty()),
                evidence.clone(),
            );
            if !found.is_empty() {
                sink.push(
                    "reference.lookalike_domains",
                    FactValue::TextList(found.iter().map(|l| l.to_string()).collect()),
                    evidence,
                );
            }
        }
        let own_emails: Vec<String> = emails.iter().map(|e| e.address.clone()).collect();
        if !own_emails.is_empty() {
            let found = compare_all(&own_emails);
            let mut evidence: Vec<Evidence> = real
                .iter()
                .map(|r| ev("claimed employer domain", r, src))
                .collect();
            evidence.extend(found.iter().map(|l| ev("look-alike", l.to_string(), src)));
            sink.push(
                "email.domain_lookalike",
                FactValue::Bool(!found.is_empty()),
                evidence,
            );
        }
    }
    sink.facts
}

fn latest_year_in(text: &str) -> i32 {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 4)
        .filter_map(|w| w.parse::<i32>().ok())
        .filter(|y| (1950..2100).contains(y))
        .max()
        .unwrap_or(2000)
}

fn payout_facts(sink: &mut FactSink, subject: &Subject, own: &[&Event], config: &IdentityConfig) {
    let changes = payouts(own);
    let Some((last_event, last)) = changes.last() else {
        return;
    };
    let describe = |e: &Event, p: &PayoutChange| {
        let target = p
            .wallet
            .as_ref()
            .map(|w| format!("wallet {}", w.address))
            .or_else(|| {
                p.account
                    .as_ref()
                    .map(|a| format!("account {}:{}", a.provider, a.account))
            })
            .unwrap_or_else(|| "no account".into());
        ev(
            "payout change",
            format!(
                "{} {} via {} ({}){}",
                e.time.format("%Y-%m-%d"),
                method_name(p.method),
                p.provider.as_deref().unwrap_or("unknown provider"),
                target,
                p.country.map(|c| format!(" in {c}")).unwrap_or_default()
            ),
            &e.provenance,
        )
    };
    let kind_of = |p: &PayoutChange| {
        p.provider
            .as_deref()
            .and_then(|name| config.payout_providers.kind(name))
    };
    let last_ev = vec![describe(last_event, last)];
    sink.push(
        "payout.method",
        FactValue::Text(method_name(last.method).into()),
        last_ev.clone(),
    );
    if let Some(provider) = &last.provider {
        sink.push(
            "payout.provider",
            FactValue::Text(provider.to_lowercase()),
            last_ev.clone(),
        );
    }
    if let Some(country) = last.country {
        sink.push(
            "payout.country",
            FactValue::Text(country.to_string()),
            last_ev.clone(),
        );
    }
    let service: Vec<Evidence> = changes
        .iter()
        .filter(|(_, p)| {
            p.method == PayoutMethod::PaymentService
                || kind_of(p) == Some(ProviderKind::PaymentService)
        })
        .map(|(e, p)| describe(e, p))
        .collect();
    sink.push(
        "payout.via_payment_service",
        FactValue::Bool(!service.is_empty()),
        if service.is_empty() {
            last_ev.clone()
        } else {
            service
        },
    );
    let crypto: Vec<Evidence> = changes
        .iter()
        .filter(|(_, p)| {
            p.method == PayoutMethod::Crypto
                || p.wallet.is_some()
                || kind_of(p) == Some(ProviderKind::Crypto)
        })
        .map(|(e, p)| describe(e, p))
        .collect();
    sink.push(
        "payout.via_crypto",
        FactValue::Bool(!crypto.is_empty()),
        if crypto.is_empty() {
            last_ev.clone()
        } else {
            crypto
        },
    );
    if let (Some(claimed), Some(country)) = (subject.claimed.country, last.country) {
        let mut evidence = last_ev.clone();
        evidence.push(ev(
            "claimed country",
            claimed.to_string(),
            &subject.provenance,
        ));
        sink.push(
            "payout.country_mismatch",
            FactValue::Bool(claimed != country),
            evidence,
        );
    }
    let all: Vec<Evidence> = changes.iter().map(|(e, p)| describe(e, p)).collect();
    sink.push(
        "payout.change_count",
        FactValue::Int(changes.len() as i64),
        all,
    );
    if let Some(now) = reference_time(config, own) {
        let since = now - Duration::days(config.payout_window_days);
        let mut recent: Vec<Evidence> = changes
            .iter()
            .filter(|(e, _)| e.time > since && e.time <= now)
            .map(|(e, p)| describe(e, p))
            .collect();
        let count = recent.len() as i64;
        if recent.is_empty() {
            recent.push(Evidence::new(
                "window",
                format!(
                    "no payout change from {} to {}",
                    since.format("%Y-%m-%d"),
                    now.format("%Y-%m-%d")
                ),
            ));
        }
        sink.push("payout.change_count_90d", FactValue::Int(count), recent);
    }
}

fn shipping_facts(sink: &mut FactSink, subject: &Subject, own: &[&Event], config: &IdentityConfig) {
    let ships = shipments(own);
    if ships.is_empty() {
        return;
    }
    let describe = |e: &Event, s: &Shipment| {
        ev(
            "shipment",
            format!(
                "{} {} to {}",
                e.time.format("%Y-%m-%d"),
                s.item.as_deref().unwrap_or("device"),
                s.address.original
            ),
            &e.provenance,
        )
    };
    sink.push(
        "shipping.count",
        FactValue::Int(ships.len() as i64),
        ships.iter().map(|(e, s)| describe(e, s)).collect(),
    );
    let homes = home_addresses(subject);
    if !homes.is_empty() {
        let elsewhere: Vec<Evidence> = ships
            .iter()
            .filter(|(_, s)| !homes.iter().any(|h| h.normalised == s.address.normalised))
            .map(|(e, s)| describe(e, s))
            .collect();
        let mut evidence: Vec<Evidence> = homes
            .iter()
            .map(|h| ev("home address", &h.original, &subject.provenance))
            .collect();
        let differs = !elsewhere.is_empty();
        evidence.extend(if differs {
            elsewhere
        } else {
            ships.iter().map(|(e, s)| describe(e, s)).collect()
        });
        sink.push(
            "shipping.differs_from_home",
            FactValue::Bool(differs),
            evidence,
        );
    }
    if !config.reshippers.is_empty() {
        let mut hits: Vec<Evidence> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut countries: Vec<String> = Vec::new();
        for (e, s) in &ships {
            if let Some(entry) = config.reshippers.find(&s.address) {
                hits.push(describe(e, s));
                hits.push(Evidence::new("reshipper list entry", entry.describe()));
                let name = if entry.name.is_empty() {
                    entry.address.clone()
                } else {
                    entry.name.clone()
                };
                if !names.contains(&name) {
                    names.push(name);
                }
                if let Some(c) = entry.country.map(|c| c.to_string())
                    && !countries.contains(&c)
                {
                    countries.push(c);
                }
            }
        }
        let found = !hits.is_empty();
        let evidence = if found {
            hits
        } else {
            ships.iter().map(|(e, s)| describe(e, s)).collect()
        };
        sink.push(
            "shipping.to_known_reshipper",
            FactValue::Bool(found),
            evidence.clone(),
        );
        if found {
            sink.push(
                "shipping.reshipper_matches",
                FactValue::TextList(names),
                evidence.clone(),
            );
            sink.push(
                "shipping.reshipper_countries",
                FactValue::TextList(countries),
                evidence,
            );
        }
    }
}

pub(crate) fn method_name(m: PayoutMethod) -> &'static str {
    match m {
        PayoutMethod::Bank => "bank",
        PayoutMethod::PaymentService => "payment_service",
        PayoutMethod::Crypto => "crypto",
        PayoutMethod::Other => "other",
    }
}
