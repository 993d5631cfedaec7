//! One generated subject: who they say they are (the row of `people.csv`), who they really are (true
//! time zone and country), and what the ground truth says about them.

use std::collections::HashMap;

use chrono::NaiveDate;
use rand::Rng;
use rand::seq::SliceRandom;

use crate::config::{PopulationKind, WorldConfig};
use crate::data::{Country, Data};
use crate::ident;
use crate::plan::{OFAC_EVM_WALLET, OFAC_TRON_WALLET, Plan, Special, pick_country};
use crate::rng::{Stream, SynthRng, chance, pick, stream, weighted};
use crate::truth::{HardNegative, Signal};

/// What a subject really is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    /// An ordinary innocent.
    Innocent,
    /// An innocent made to look suspicious on one axis.
    HardNegative {
        /// The category.
        category: HardNegative,
        /// The family, office or cohort, for grouped categories.
        group: Option<u32>,
    },
    /// A persona of an operator's ring.
    Operator {
        /// The ring number.
        ring: u32,
    },
}

/// A reference given on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The reference's name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
}

/// One generated subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Row index (0-based).
    pub index: usize,
    /// The `id` column (`P0000042`).
    pub id: String,
    /// `applicant`, `employee`, `contractor` or `marketplace_account`.
    pub kind: &'static str,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// The origin of the name (`korean`, `italian`, …): for fairness grouping only.
    pub name_origin: &'static str,
    /// Personal email addresses (the first is the main one).
    pub emails: Vec<String>,
    /// The work email and IdP login, for subjects with an account.
    pub work_email: Option<String>,
    /// Phone in international format.
    pub phone: String,
    /// Claimed country (alpha-2).
    pub country: &'static str,
    /// Claimed country as written in the export (English name).
    pub country_name: &'static str,
    /// Claimed city.
    pub city: &'static str,
    /// Claimed IANA time zone.
    pub timezone: &'static str,
    /// Claimed nationality (alpha-2), when the export has it.
    pub nationality: Option<&'static str>,
    /// Role applied for or held.
    pub role: &'static str,
    /// Role area (`web`, `ai`, `blockchain`, …).
    pub role_area: &'static str,
    /// Skills from the role.
    pub skills: Vec<&'static str>,
    /// Crypto wallet given for payment.
    pub wallet: Option<String>,
    /// Payout provider (a bank name, `Payoneer`, `Wise`, `USDT`).
    pub payout_provider: String,
    /// Payout account reference.
    pub payout_account: String,
    /// LinkedIn URL.
    pub linkedin: Option<String>,
    /// GitHub URL.
    pub github: Option<String>,
    /// Home address.
    pub address: String,
    /// Perceptual hash of the profile photo (64 bits as hex).
    pub photo_hash: String,
    /// Claimed employers: name and real domain.
    pub employers: Vec<(&'static str, &'static str)>,
    /// University and its country.
    pub university: (&'static str, &'static str),
    /// References.
    pub references: Vec<Reference>,
    /// Whether a resume file is written.
    pub has_resume: bool,
    /// Date of application.
    pub applied_on: NaiveDate,
    /// Start date, for subjects with an account.
    pub started_on: Option<NaiveDate>,
    /// Where the person really is (IANA zone).
    pub true_timezone: &'static str,
    /// Ground truth.
    pub label: Label,
    /// Signals planted on this subject (operators only).
    pub signals: Vec<Signal>,
}

impl Person {
    /// Whether the subject holds an account (sign-ins, laptop, payroll).
    pub fn has_account(&self) -> bool {
        self.kind != "applicant"
    }

    /// Whether the subject is an operator's persona.
    pub fn is_operator(&self) -> bool {
        matches!(self.label, Label::Operator { .. })
    }

    /// Whether a signal was planted on this subject.
    pub fn has_signal(&self, signal: Signal) -> bool {
        self.signals.contains(&signal)
    }
}

/// Origins a name can be drawn from by country, falling back to the first origin.
fn origin_for<'d>(rng: &mut SynthRng, country: &'d Country) -> &'d str {
    let origins: Vec<(&String, &u32)> = country.name_origins.iter().collect();
    let weights: Vec<u32> = origins.iter().map(|(_, w)| **w).collect();
    origins[weighted(rng, &weights)].0
}

/// The nationality a name origin most often goes with.
fn origin_nationality(origin: &str) -> &'static str {
    match origin {
        "korean" => "KR",
        "chinese" => "CN",
        "japanese" => "JP",
        "vietnamese" => "VN",
        "italian" => "IT",
        "indian" => "IN",
        "german" => "DE",
        "polish" => "PL",
        "ukrainian" => "UA",
        "filipino" => "PH",
        "nigerian" => "NG",
        "brazilian" => "BR",
        "hispanic" => "MX",
        _ => "US",
    }
}

/// A short unique number per subject: an affine bijection of the index modulo a power of ten larger than
/// the world, so every subject's number differs and addresses built from it never collide.
fn unique_number(config: &WorldConfig, index: usize) -> u64 {
    let mut modulus: u64 = 1_000;
    while modulus <= config.subjects as u64 * 10 {
        modulus *= 10;
    }
    (index as u64 * 7_919 + 1_009) % modulus
}

/// Where legitimate contractors in Asia live.
const ASIA_HOMES: &[&str] = &["KR", "KR", "CN", "VN", "VN", "JP", "PH"];
/// Whose phone numbers personas with a mismatched phone give.
const MISMATCH_PHONES: &[&str] = &["CN", "CN", "US", "MY", "SG"];

const DISPOSABLE: &[&str] = &[
    "mailinator.com",
    "guerrillamail.com",
    "yopmail.com",
    "sharklasers.com",
    "tempmail.plus",
];

/// Generates subject `index` of the world.
pub(crate) fn generate(config: &WorldConfig, plan: &Plan, index: usize) -> Person {
    generate_inner(config, plan, index, true, None)
}

/// Slots of the values a subject draws that should be theirs alone: their phone, their home address
/// (a family's shared one is planted, not drawn), their referees' phones and mailboxes.
const SLOT_PHONE: u8 = 0;
const SLOT_HOME: u8 = 1;
const SLOT_REFEREE_PHONE: u8 = 2;
const SLOT_REFEREE_EMAIL: u8 = 8;

/// The key of a drawn value: subject index and slot.
pub(crate) fn contact_key(index: usize, slot: u8) -> u64 {
    ((index as u64) << 8) | u64::from(slot)
}

/// `value` as drawn from the subject's stream, or, when the plan found that it repeated another
/// subject's by chance, drawn again by `draw` from a side stream (the subject's own stream is consumed
/// as before, so nothing else about them changes). Recorded in `drawn` (key, hash of the value) when
/// the values are being collected.
fn unique(
    config: &WorldConfig,
    plan: &Plan,
    key: u64,
    value: String,
    draw: impl FnOnce(&mut SynthRng) -> String,
    drawn: &mut Option<&mut Vec<(u64, u64)>>,
) -> String {
    let value = match plan.redraws.get(&key) {
        Some(&attempt) => draw(&mut stream(
            config.seed,
            Stream::Redraw,
            key ^ (u64::from(attempt) << 48),
        )),
        None => value,
    };
    if let Some(d) = drawn {
        d.push((key, value_hash(&value)));
    }
    value
}

fn value_hash(value: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
        .hash_one(value.to_lowercase())
}

/// Draws of one value before a repeat is left as it is ([`chance_repeats`]).
const MAX_REDRAWS: u32 = 16;

/// The drawn values of a world that repeat another subject's by chance, to be drawn again: two
/// strangers with one phone number, one home address or one referee would be linked, as personas of
/// one operator are, by nothing but the generator's dice (at 100,000 subjects, 7 phones, 6 referee
/// phones, 3 referee mailboxes and hundreds of addresses; at a million a hundred times more). The
/// lowest key keeps a value; the others are drawn again until no value repeats. Shared values the world
/// plants (a family's address, a ring's payout account, a persona naming another as referee, a laptop
/// farm's address) are copied, not drawn, and stay shared.
pub(crate) fn chance_repeats(config: &WorldConfig, plan: &Plan) -> HashMap<u64, u32> {
    use rayon::prelude::*;
    let collect = |plan: &Plan, indices: &[usize]| -> Vec<(u64, u64)> {
        indices
            .par_iter()
            .flat_map_iter(|&i| {
                let mut drawn = Vec::new();
                generate_inner(config, plan, i, true, Some(&mut drawn));
                drawn
            })
            .collect()
    };
    let mut plan = Plan {
        redraws: HashMap::new(),
        ..plan.clone()
    };
    // Value hash → the key that keeps it.
    let mut owner: HashMap<u64, u64> = HashMap::new();
    // Every subject's values first; then, round by round, the values drawn again, which may repeat
    // another in turn (rarely), until none does.
    let mut subjects: Vec<usize> = (0..config.subjects).collect();
    let mut redrawn: Option<std::collections::HashSet<u64>> = None;
    loop {
        let mut values: Vec<(u64, u64)> = collect(&plan, &subjects)
            .into_iter()
            .filter(|(key, _)| redrawn.as_ref().is_none_or(|r| r.contains(key)))
            .collect();
        values.sort_unstable_by_key(|&(key, hash)| (hash, key));
        let mut again: Vec<u64> = Vec::new();
        for (key, hash) in values {
            if owner.get(&hash).is_some_and(|&k| k != key) {
                again.push(key);
            } else {
                owner.insert(hash, key);
            }
        }
        // A value that still repeats after `MAX_REDRAWS` draws keeps its last one: a space too small
        // for its population ends the search (at a million subjects the last repeat went in 7 rounds).
        again.retain(|key| plan.redraws.get(key).is_none_or(|&n| n < MAX_REDRAWS));
        if again.is_empty() {
            return plan.redraws;
        }
        for key in &again {
            *plan.redraws.entry(*key).or_default() += 1;
        }
        subjects = again.iter().map(|k| (k >> 8) as usize).collect();
        subjects.sort_unstable();
        subjects.dedup();
        redrawn = Some(again.into_iter().collect());
    }
}

fn generate_inner(
    config: &WorldConfig,
    plan: &Plan,
    index: usize,
    ring_references: bool,
    mut drawn: Option<&mut Vec<(u64, u64)>>,
) -> Person {
    let data = Data::get();
    let mut rng = stream(config.seed, Stream::Person, index as u64);
    let special = plan.special(index);
    let (label, ring) = match special {
        None => (Label::Innocent, None),
        Some(Special::Negative {
            category, group, ..
        }) => (Label::HardNegative { category, group }, None),
        Some(Special::Persona { ring, slot }) => (
            Label::Operator { ring },
            Some((&plan.rings[ring as usize], slot as usize)),
        ),
    };
    let category = match label {
        Label::HardNegative { category, .. } => Some(category),
        _ => None,
    };
    let group = match label {
        Label::HardNegative { group: Some(g), .. } => plan.groups.get(g as usize),
        _ => None,
    };

    // Where they claim to live.
    let country_code: &'static str = if let Some((r, slot)) = ring {
        r.claimed_country[slot]
    } else if let Some(g) = group {
        g.country
    } else if category == Some(HardNegative::AsiaContractor) {
        ASIA_HOMES[rng.gen_range(0..ASIA_HOMES.len())]
    } else {
        pick_country(&mut rng, data)
    };
    let country = data.country(country_code);
    let city_index = match group {
        Some(g) => g.city,
        None => weighted(
            &mut rng,
            &country.cities.iter().map(|c| c.weight).collect::<Vec<_>>(),
        ),
    };
    let city = &country.cities[city_index];

    // Name.
    let mut origin: &'static str = origin_for(&mut rng, country);
    let names = data.names(origin);
    let mut first_name = pick(&mut rng, &names.given).to_string();
    let mut last_name = pick(&mut rng, &names.family).to_string();
    if let (Some(g), Some(HardNegative::Family)) = (group, category) {
        // Most families share a family name; the group's first member's origin sets it.
        let mut grng = stream(config.seed, Stream::Group, g.seed);
        let family_origin = origin_for(&mut grng, country);
        let family_names = data.names(family_origin);
        let family_name = pick(&mut grng, &family_names.family).to_string();
        if chance(&mut rng, 0.8) {
            last_name = family_name;
            origin = data.names(family_origin).origin;
            // Parents, children and siblings rarely share a given name as well: each member taking
            // the family name gets one of its own, in the group's shuffle of the origin's names.
            let mut given: Vec<&str> = family_names.given.to_vec();
            given.shuffle(&mut grng);
            let member = match special {
                Some(Special::Negative { member, .. }) => usize::from(member),
                _ => 0,
            };
            first_name = given[member % given.len()].to_string();
        }
    }
    let origin_static: &'static str = data.names(origin).origin;

    // Kind.
    let marketplace = config.population == PopulationKind::Marketplace;
    let needs_account = matches!(
        category,
        Some(
            HardNegative::NightShift
                | HardNegative::LegitimateVpn
                | HardNegative::DigitalNomad
                | HardNegative::SharedOffice
                | HardNegative::ChangedBanks
                | HardNegative::CryptoPaid
                | HardNegative::AsiaContractor
        )
    );
    let kind: &'static str = if marketplace {
        "marketplace_account"
    } else if let Some((r, slot)) = ring {
        if r.hired[slot] {
            if chance(&mut rng, 0.6) {
                "contractor"
            } else {
                "employee"
            }
        } else {
            "applicant"
        }
    } else if category == Some(HardNegative::AsiaContractor) {
        "contractor"
    } else if needs_account {
        if chance(&mut rng, 0.7) {
            "employee"
        } else {
            "contractor"
        }
    } else {
        match weighted(&mut rng, &[45, 40, 15]) {
            0 => "applicant",
            1 => "employee",
            _ => "contractor",
        }
    };

    // Role.
    let role = if ring.is_some() {
        // Operators favour web, mobile, blockchain and AI roles, but apply everywhere (A24).
        let weights: Vec<u32> = data
            .roles
            .iter()
            .map(|r| match r.area {
                "blockchain" => 6,
                "web" | "mobile" | "ai" => 3,
                _ => 1,
            })
            .collect();
        &data.roles[weighted(&mut rng, &weights)]
    } else if category == Some(HardNegative::CryptoPaid) {
        let chain: Vec<_> = data
            .roles
            .iter()
            .filter(|r| r.area == "blockchain")
            .collect();
        *pick(&mut rng, &chain)
    } else {
        pick(&mut rng, &data.roles)
    };

    // Emails.
    let n = unique_number(config, index);
    let g = ident::ascii_fold(&first_name);
    let f = ident::ascii_fold(&last_name);
    let g0 = g.chars().next().unwrap_or('x');
    let local = match rng.gen_range(0..5) {
        0 => format!("{g}.{f}{n}"),
        1 => format!("{g}{f}{n}"),
        2 => format!("{g0}{f}{n}"),
        3 => format!("{f}.{g}{n}"),
        _ => format!("{g}_{f}{n}"),
    };
    let operator_signals: &[Signal] = ring
        .map(|(r, s)| r.member_signals[s].as_slice())
        .unwrap_or(&[]);
    let has = |s: Signal| operator_signals.contains(&s);
    let domain = if has(Signal::DisposableEmail) {
        pick(&mut rng, DISPOSABLE).to_string()
    } else {
        pick(&mut rng, &country.free_mail).clone()
    };
    let mut emails = vec![format!("{local}@{domain}")];
    if chance(&mut rng, 0.25) {
        let other = pick(
            &mut rng,
            &["gmail.com", "outlook.com", "yahoo.com", "icloud.com"],
        );
        if *other != domain {
            emails.push(format!("{g}{f}.{n}@{other}"));
        }
    }
    let work_email = (kind != "applicant" && !marketplace)
        .then(|| format!("{g0}{f}{n}@{}", config.company_domain));

    // Phone.
    let draw_phone = |rng: &mut SynthRng| {
        if has(Signal::VoipPhone) {
            ident::voip(rng, country).unwrap_or_else(|| ident::mobile(rng, country, city))
        } else if has(Signal::PhoneCountryMismatch) {
            let other = data.country(MISMATCH_PHONES[rng.gen_range(0..MISMATCH_PHONES.len())]);
            let other = if other.code == country.code {
                data.country("CN")
            } else {
                other
            };
            let other_city = &other.cities[0];
            ident::mobile(rng, other, other_city)
        } else {
            ident::mobile(rng, country, city)
        }
    };
    let phone = draw_phone(&mut rng);
    let phone = unique(
        config,
        plan,
        contact_key(index, SLOT_PHONE),
        phone,
        draw_phone,
        &mut drawn,
    );

    // Address: a family shares one; farmed personas often give the facilitator's.
    let mut address = match (group, category) {
        (Some(g), Some(HardNegative::Family)) => {
            let mut grng = stream(config.seed, Stream::Group, g.seed ^ 1);
            ident::address(&mut grng, country, city)
        }
        _ => {
            let home = ident::address(&mut rng, country, city);
            unique(
                config,
                plan,
                contact_key(index, SLOT_HOME),
                home,
                |side| ident::address_numbered(side, country, city, 10_000),
                &mut drawn,
            )
        }
    };
    if let Some((r, _)) = ring
        && has(Signal::LaptopFarmShipping)
        && chance(&mut rng, 0.4)
        && let Some(f) = r
            .facilitator
            .and_then(|f| plan.facilitators.get(f as usize))
    {
        address = f.address.clone();
    }

    // Payout.
    let (mut payout_provider, mut payout_account) = (
        pick(&mut rng, &country.banks).clone(),
        ident::bank_account(&mut rng, &country.account),
    );
    if kind == "contractor" || marketplace || category == Some(HardNegative::AsiaContractor) {
        // Contractors abroad are commonly paid through payment services.
        match rng.gen_range(0..10) {
            0..=1 => {
                payout_provider = "Payoneer".into();
                payout_account = emails[0].clone();
            }
            2..=3 => {
                payout_provider = "Wise".into();
                payout_account = ident::iban(&mut rng, "BE");
            }
            _ => {}
        }
    }
    let mut wallet = None;
    if category == Some(HardNegative::CryptoPaid)
        || (role.area == "blockchain" && kind == "contractor" && chance(&mut rng, 0.15))
    {
        let w = if chance(&mut rng, 0.5) {
            ident::tron_wallet(&mut rng)
        } else {
            ident::evm_wallet(&mut rng)
        };
        payout_provider = "USDT".into();
        payout_account = w.clone();
        wallet = Some(w);
    }
    if let Some((r, _)) = ring {
        if has(Signal::SharedPayoutAccount) {
            payout_provider = r.payout_provider.clone();
            payout_account = r.payout_account.clone();
        } else if has(Signal::PaymentServiceRails) {
            if chance(&mut rng, 0.5) {
                payout_provider = "Payoneer".into();
                payout_account = emails[0].clone();
            } else {
                payout_provider = "Wise".into();
                payout_account = ident::iban(&mut rng, "BE");
            }
        }
        if has(Signal::SharedWallet) {
            wallet = Some(r.wallet.clone());
        }
        if has(Signal::SanctionedWallet) {
            wallet = Some(
                if r.wallet.starts_with('T') {
                    OFAC_TRON_WALLET
                } else {
                    OFAC_EVM_WALLET
                }
                .to_string(),
            );
        }
    }

    // Profiles.
    let linkedin = chance(&mut rng, 0.7).then(|| {
        // LinkedIn's suffix is unique per member; the person's own number makes it so here.
        format!(
            "https://www.linkedin.com/in/{g}-{f}-{:x}{n:x}",
            rng.gen_range(0x1000..0xffff_u32)
        )
    });
    let github = (matches!(
        role.area,
        "web" | "mobile" | "ai" | "data" | "blockchain" | "devops" | "security" | "qa"
    ) && chance(&mut rng, 0.6))
    // The person's own number keeps handles unique, as GitHub's are: a shorter `n % 1000` gave every
    // thousandth "J. Adams" one account, which linkage rightly read as one person.
    .then(|| format!("https://github.com/{g0}{f}{n}"));

    // Photo: one stolen photo reappears on several personas, re-encoded (a few bits apart).
    let photo = match ring {
        Some((r, _)) if has(Signal::ReusedPhoto) => {
            let mut h = r.photo;
            for _ in 0..rng.gen_range(0..4) {
                h ^= 1 << rng.gen_range(0..64);
            }
            h
        }
        _ => rng.r#gen(),
    };

    // Work history, education and references.
    let domestic: Vec<_> = data
        .employers
        .iter()
        .filter(|e| e.country == country_code)
        .collect();
    let mut employers = Vec::new();
    for _ in 0..rng.gen_range(1..4) {
        let e = if !domestic.is_empty() && chance(&mut rng, 0.6) {
            *pick(&mut rng, &domestic)
        } else {
            pick(&mut rng, &data.employers)
        };
        if !employers.iter().any(|(name, _)| *name == e.name) {
            employers.push((e.name, e.domain));
        }
    }
    if let Some((r, _)) = ring
        && has(Signal::LookalikeReference)
    {
        let e = &data.employers[r.lookalike_employer];
        if !employers.iter().any(|(name, _)| *name == e.name) {
            employers.insert(0, (e.name, e.domain));
        }
    }
    let university = if has(Signal::OverseasEducation) {
        let asia: Vec<_> = data
            .universities
            .iter()
            .filter(|u| matches!(u.country, "CN" | "MY" | "VN"))
            .collect();
        let u = pick(&mut rng, &asia);
        (u.name, u.country)
    } else {
        let local: Vec<_> = data
            .universities
            .iter()
            .filter(|u| u.country == country_code)
            .collect();
        let u = if !local.is_empty() && chance(&mut rng, 0.75) {
            *pick(&mut rng, &local)
        } else {
            pick(&mut rng, &data.universities)
        };
        (u.name, u.country)
    };
    let mut references = Vec::new();
    if ring.is_some() || chance(&mut rng, 0.6) {
        for (i, (_, domain)) in employers.iter().take(2).enumerate() {
            let ref_origin = origin_for(&mut rng, country);
            let rn = data.names(ref_origin);
            let rg = pick(&mut rng, &rn.given).to_string();
            let rf = pick(&mut rng, &rn.family).to_string();
            let ref_domain = match ring {
                Some((r, _)) if has(Signal::LookalikeReference) && i == 0 => {
                    r.lookalike_domain.clone()
                }
                _ => domain.to_string(),
            };
            // Different people never share a mailbox: without a discriminator, every "James
            // Smith" named as a referee at one employer had one address, and at 200,000 subjects
            // a fifth of the innocents "shared" a reference with two others. Derived from the
            // subject and slot, not drawn, so the rest of the person's stream is unchanged.
            let discriminator = (index as u64)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .wrapping_add(i as u64 * 0x2545_f491)
                .rotate_left(29)
                % 9_000
                + 1_000;
            let mailbox = |discriminator: u64| {
                format!(
                    "{}.{}{discriminator}@{ref_domain}",
                    ident::ascii_fold(&rg),
                    ident::ascii_fold(&rf)
                )
            };
            let email = unique(
                config,
                plan,
                contact_key(index, SLOT_REFEREE_EMAIL + i as u8),
                mailbox(discriminator),
                |side| mailbox(side.gen_range(1_000..10_000)),
                &mut drawn,
            );
            let phone = ident::mobile(&mut rng, country, city);
            let phone = unique(
                config,
                plan,
                contact_key(index, SLOT_REFEREE_PHONE + i as u8),
                phone,
                |side| ident::mobile(side, country, city),
                &mut drawn,
            );
            references.push(Reference {
                name: format!("{rg} {rf}"),
                email,
                phone,
            });
        }
    }
    if let Some((r, slot)) = ring
        && ring_references
        && has(Signal::RingReference)
    {
        // The reference is another persona of the ring: same generator, so the values match theirs.
        let other = r.members[(slot + 1) % r.members.len()] as usize;
        if other != index {
            let (given, family, email, phone) = generate_shallow(config, plan, other);
            references.insert(
                0,
                Reference {
                    name: format!("{given} {family}"),
                    email,
                    phone,
                },
            );
        }
    }

    // Dates.
    let end = config.end_date;
    let days = i64::from(config.days.max(1));
    let (applied_on, started_on) = if kind == "applicant" {
        (end - chrono::Duration::days(rng.gen_range(1..=days)), None)
    } else {
        let tenure = if ring.is_some() {
            rng.gen_range(20..240)
        } else {
            rng.gen_range(20..2_500)
        };
        let start = end - chrono::Duration::days(tenure);
        (
            start - chrono::Duration::days(rng.gen_range(20..60)),
            Some(start),
        )
    };

    // Claimed nationality, sometimes; personas mix combinations (A8).
    let nationality = if chance(&mut rng, 0.3) {
        Some(if chance(&mut rng, 0.7) {
            origin_nationality(origin_static)
        } else {
            country.code.as_str()
        })
    } else {
        None
    };
    let nationality: Option<&'static str> = nationality.map(|n| {
        data.countries
            .iter()
            .find(|c| c.code == n)
            .map(|c| c.code.as_str())
            .unwrap_or("US")
    });

    // Where they really are.
    let true_timezone: &'static str = match ring {
        Some((r, _)) => r.true_tz,
        None => city.tz.as_str(),
    };

    Person {
        index,
        id: format!("P{:07}", index + 1),
        kind,
        first_name,
        last_name,
        name_origin: origin_static,
        emails,
        work_email,
        phone,
        country: country.code.as_str(),
        country_name: country.name.as_str(),
        city: city.name.as_str(),
        timezone: city.tz.as_str(),
        nationality,
        role: role.title,
        role_area: role.area,
        skills: role.skills.clone(),
        wallet,
        payout_provider,
        payout_account,
        linkedin,
        github,
        address,
        photo_hash: format!("{photo:016x}"),
        employers,
        university,
        references,
        has_resume: ring.is_some() || chance(&mut rng, 0.9),
        applied_on,
        started_on,
        true_timezone,
        label,
        signals: operator_signals.to_vec(),
    }
}

/// Name, main email and phone of a subject, for references between personas. Generated by the same
/// function (without its own ring reference, which would recurse), so the values are the subject's own.
fn generate_shallow(
    config: &WorldConfig,
    plan: &Plan,
    index: usize,
) -> (String, String, String, String) {
    let p = generate_inner(config, plan, index, false, None);
    let email = p.emails.first().cloned().unwrap_or_default();
    (p.first_name, p.last_name, email, p.phone)
}
