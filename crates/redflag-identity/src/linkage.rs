//! Keys the linkage engine joins subjects on: normalised values, one kind each.

use redflag_model::{Event, EventKind, Identifier, Subject};

use crate::email::{EmailLists, ascii_domain};
use crate::signals::{home_addresses, reference_identifiers};

/// One join key: a kind and a normalised value. Two subjects with an equal key share that value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkageKey {
    /// `email`, `phone`, `document`, `photo_hash`, `payout_account`, `wallet`, `home_address`,
    /// `profile_url`, `reference_email`, `reference_phone`, `shipping_address`.
    pub kind: &'static str,
    /// The normalised value (emails in provider comparison form, phones in E.164, addresses normalised).
    pub value: String,
}

impl LinkageKey {
    fn new(kind: &'static str, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }
}

/// The join keys of a subject's own record (identifiers and the attributes this crate reads). Emails are
/// in comparison form (`j.doe+x@gmail.com` → `jdoe@gmail.com`). Sorted, without repeats.
pub fn linkage_keys(subject: &Subject) -> Vec<LinkageKey> {
    linkage_keys_with(subject, EmailLists::builtin())
}

/// [`linkage_keys`] with other email lists.
pub fn linkage_keys_with(subject: &Subject, lists: &EmailLists) -> Vec<LinkageKey> {
    let mut out = Vec::new();
    for id in &subject.identifiers {
        if let Some(k) = identifier_key(id, lists, false) {
            out.push(k);
        }
    }
    for a in home_addresses(subject) {
        out.push(LinkageKey::new("home_address", a.normalised));
    }
    for id in reference_identifiers(subject) {
        if let Some(k) = identifier_key(&id, lists, true) {
            out.push(k);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The join keys of an event: payout accounts and wallets of payout changes, shipping addresses of
/// shipments.
pub fn event_linkage_keys(event: &Event) -> Vec<LinkageKey> {
    let mut out = Vec::new();
    match &event.kind {
        EventKind::PayoutChange(p) => {
            if let Some(a) = &p.account {
                out.push(LinkageKey::new(
                    "payout_account",
                    format!("{}:{}", a.provider, a.account),
                ));
            }
            if let Some(w) = &p.wallet {
                out.push(LinkageKey::new("wallet", w.address.clone()));
            }
        }
        EventKind::Shipment(s) => out.push(LinkageKey::new(
            "shipping_address",
            s.address.normalised.clone(),
        )),
        _ => {}
    }
    out
}

fn identifier_key(id: &Identifier, lists: &EmailLists, reference: bool) -> Option<LinkageKey> {
    Some(match id {
        Identifier::Email(e) => {
            // The comparison form alone (what `EmailLists::describe` gives as `comparison`), without the
            // rest of the description.
            let domain = e.domain();
            let ascii = ascii_domain(domain).unwrap_or_else(|| domain.to_string());
            LinkageKey::new(
                if reference {
                    "reference_email"
                } else {
                    "email"
                },
                lists.comparison_form(e.local_part(), &ascii),
            )
        }
        Identifier::Phone(p) => LinkageKey::new(
            if reference {
                "reference_phone"
            } else {
                "phone"
            },
            p.e164(),
        ),
        Identifier::Document(_) => LinkageKey::new("document", id.value()),
        Identifier::PhotoHash(h) => LinkageKey::new("photo_hash", h.as_str()),
        Identifier::PayoutAccount(_) => LinkageKey::new("payout_account", id.value()),
        Identifier::Wallet(w) => LinkageKey::new("wallet", w.address.clone()),
        Identifier::PostalAddress(a) => LinkageKey::new("home_address", a.normalised.clone()),
        Identifier::ProfileUrl(u) => LinkageKey::new("profile_url", u.as_str()),
        _ => return None,
    })
}
