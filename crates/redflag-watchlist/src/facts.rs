//! Facts the screening engine writes about a subject, for the rules of `rules/sanctions/`.

use redflag_model::{
    Evidence, Fact, FactSpec, FactType, FactValue, Identifier, IdentifierKind,
    SanctionsMatchSummary, Subject,
};

use crate::entity::PartialDate;
use crate::index::{Index, Match, Query, ScreenOptions};

const PRODUCER: &str = "redflag-watchlist";

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
    vec![
        spec(
            "sanctions.best_score",
            FactType::Float,
            "Score in [0,1] of the best sanctions-list match of the subject's name, date of birth and identifiers (0 when nothing matched above the threshold).",
            "0.93",
        ),
        spec(
            "sanctions.best_name_score",
            FactType::Float,
            "Name similarity in [0,1] of the best match, before date-of-birth, country and type adjustments.",
            "0.91",
        ),
        spec(
            "sanctions.matched_list",
            FactType::String,
            "Id of the list of the best match (e.g. us-ofac-sdn); empty when nothing matched.",
            "us-ofac-sdn",
        ),
        spec(
            "sanctions.matched_entry",
            FactType::String,
            "List id and entry id of the best match, as list:id; empty when nothing matched.",
            "us-ofac-sdn:42498",
        ),
        spec(
            "sanctions.exact_identifier",
            FactType::Bool,
            "Whether a wallet, email, phone, website or document number of the subject equals one on a sanctions list.",
            "true",
        ),
        spec(
            "sanctions.exact_identifier_kinds",
            FactType::StringList,
            "Kinds of identifiers that matched a listed one exactly (wallet, email, phone, website, document).",
            "wallet",
        ),
        spec(
            "sanctions.match_count",
            FactType::Int,
            "Number of listed entries matching above the threshold (at most top-k).",
            "1",
        ),
        spec(
            "sanctions.best_dob_agrees",
            FactType::Bool,
            "Whether the subject's date of birth agrees with the best match's listed date of birth (false when not compared).",
            "true",
        ),
        spec(
            "sanctions.best_dob_contradicts",
            FactType::Bool,
            "Whether the subject's date of birth is more than a year away from every listed date of birth of the best name match.",
            "false",
        ),
        spec(
            "sanctions.best_dprk_nexus",
            FactType::Bool,
            "Whether the best match has a DPRK nexus: a DPRK programme (OFAC DPRK*, NKSPEA, UN DPRK regime), a North Korea Sanctions Regulations remark or North Korean nationality.",
            "true",
        ),
        spec(
            "sanctions.matched_programs",
            FactType::StringList,
            "Programmes of the best match.",
            "DPRK3, CYBER2",
        ),
    ]
}

/// Builds a query from a subject: its name, date of birth (attribute `dob`, `date_of_birth` or
/// `birth_date`), claimed nationality or country, and its email, phone and wallet identifiers.
pub fn subject_query(subject: &Subject) -> Query {
    let mut q = Query::name(subject.name.full.clone());
    q.kind = Some(crate::entity::EntityKind::Person);
    q.dob = ["dob", "date_of_birth", "birth_date", "birthdate"]
        .iter()
        .find_map(|k| subject.attributes.get(*k))
        .and_then(|s| PartialDate::parse(s));
    q.country = subject
        .claimed
        .nationality
        .or(subject.claimed.country)
        .map(|c| c.as_str().to_string());
    for id in &subject.identifiers {
        match id {
            Identifier::Email(e) => q.emails.push(id_value(id, e.as_str())),
            Identifier::Phone(p) => q.phones.push(p.e164().to_string()),
            Identifier::Wallet(w) => q.wallets.push(w.address.clone()),
            _ if id.kind() == IdentifierKind::ProfileUrl => {}
            _ => {}
        }
    }
    q
}

fn id_value(_id: &Identifier, s: &str) -> String {
    s.to_string()
}

/// Screens a subject and returns the facts and the match summaries for its assessment. A subject with
/// neither a name nor an identifier gets zero-valued facts and no match.
pub fn screen_subject(
    index: &Index,
    subject: &Subject,
    options: &ScreenOptions,
) -> (Vec<Fact>, Vec<SanctionsMatchSummary>) {
    let query = subject_query(subject);
    let matches = index.screen(&query, options).unwrap_or_default();
    let summaries = matches.iter().map(Match::summary).collect();
    (facts_for(subject, &query, &matches), summaries)
}

fn facts_for(subject: &Subject, query: &Query, matches: &[Match]) -> Vec<Fact> {
    let sid = subject.id.clone();
    let best = matches.first();
    let evidence = |m: &Match| {
        let mut ev = vec![Evidence::new(
            "sanctions match",
            format!(
                "{} {} {:?} [{}] score {:.3} (list version {})",
                m.list,
                m.entity_id,
                m.entity_name,
                m.programs.join(", "),
                m.score,
                m.list_version
            ),
        )];
        for e in &m.explanation {
            ev.push(Evidence::new(
                format!("{} match", e.feature),
                format!("{:?} ~ {:?}: {}", e.query, e.listed, e.detail),
            ));
        }
        ev
    };
    let with = |f: Fact| match best {
        Some(m) => evidence(m).into_iter().fold(f, Fact::with_evidence),
        None => f.with_evidence(Evidence::new("screened name", query.name.clone())),
    };
    let exact_kinds: Vec<String> = {
        let mut v: Vec<String> = matches
            .iter()
            .filter(|m| m.exact_identifier)
            .flat_map(|m| m.explanation.iter())
            .filter(|e| e.score >= 1.0 && e.feature != "name")
            .map(|e| e.feature.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let dob_contradicts = best.is_some_and(|m| {
        m.explanation
            .iter()
            .any(|e| e.feature == "dob" && e.score < 0.0)
    });
    vec![
        with(Fact::new(
            sid.clone(),
            "sanctions.best_score",
            FactValue::Float(best.map_or(0.0, |m| m.score)),
        )),
        with(Fact::new(
            sid.clone(),
            "sanctions.best_name_score",
            FactValue::Float(best.map_or(0.0, |m| m.name_score)),
        )),
        with(Fact::new(
            sid.clone(),
            "sanctions.matched_list",
            FactValue::Text(best.map(|m| m.list.clone()).unwrap_or_default()),
        )),
        with(Fact::new(
            sid.clone(),
            "sanctions.matched_entry",
            FactValue::Text(
                best.map(|m| format!("{}:{}", m.list, m.entity_id))
                    .unwrap_or_default(),
            ),
        )),
        with(Fact::new(
            sid.clone(),
            "sanctions.exact_identifier",
            FactValue::Bool(matches.iter().any(|m| m.exact_identifier)),
        )),
        with(Fact::new(
            sid.clone(),
            "sanctions.exact_identifier_kinds",
            FactValue::TextList(exact_kinds),
        )),
        with(Fact::new(
            sid.clone(),
            "sanctions.match_count",
            FactValue::Int(matches.len() as i64),
        )),
        with(Fact::new(
            sid.clone(),
            "sanctions.best_dob_agrees",
            FactValue::Bool(best.and_then(|m| m.dob_agrees).unwrap_or(false)),
        )),
        with(Fact::new(
            sid.clone(),
            "sanctions.best_dob_contradicts",
            FactValue::Bool(dob_contradicts),
        )),
        with(Fact::new(
            sid.clone(),
            "sanctions.best_dprk_nexus",
            FactValue::Bool(best.is_some_and(|m| m.dprk_nexus)),
        )),
        with(Fact::new(
            sid,
            "sanctions.matched_programs",
            FactValue::TextList(best.map(|m| m.programs.clone()).unwrap_or_default()),
        )),
    ]
}
