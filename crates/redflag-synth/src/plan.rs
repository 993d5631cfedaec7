//! The world's plan: which subject indices are operators' personas (and in which ring, with which
//! signals), which are hard negatives (and in which family, office or cohort), and which facilitators run
//! laptop farms. Everything else is an ordinary innocent generated from its own random stream.
//!
//! The plan holds only the special subjects (a few percent), so a world of millions of subjects costs a
//! few megabytes until it is written, and each subject is generated on demand.

use std::collections::{BTreeMap, HashMap};

use rand::Rng;

use crate::config::{PopulationKind, WorldConfig};
use crate::data::Data;
use crate::ident;
use crate::rng::{Stream, chance, pick, stream, weighted};
use crate::truth::{HardNegative, Signal, Strength};

/// The OFAC-listed EVM address of Sim Hyon Sop (SDN, 2023), used for the rare blatant case.
pub(crate) const OFAC_EVM_WALLET: &str = "0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c";
/// The OFAC-listed Tron (USDT) address on Cheil Credit Bank's SDN entry.
pub(crate) const OFAC_TRON_WALLET: &str = "TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz";

/// What a special subject is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Special {
    /// Persona `slot` of ring `ring`.
    Persona { ring: u32, slot: u8 },
    /// A hard negative, with its group for grouped categories and its place in the group.
    Negative {
        category: HardNegative,
        group: Option<u32>,
        member: u8,
    },
}

/// How an operator schedules work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkMode {
    /// Daytime where the operator really is (Korean or Chinese hours).
    AsianDay,
    /// Nights, so as to appear on the claimed (Western) business hours.
    ClaimedHours,
}

/// One operator's ring.
#[derive(Debug, Clone)]
pub(crate) struct RingPlan {
    pub id: u32,
    pub strength: Strength,
    pub true_tz: &'static str,
    pub work_mode: WorkMode,
    pub members: Vec<u32>,
    pub hired: Vec<bool>,
    pub claimed_country: Vec<&'static str>,
    pub signals: Vec<Signal>,
    pub member_signals: Vec<Vec<Signal>>,
    pub facilitator: Option<u32>,
    pub payout_provider: String,
    pub payout_account: String,
    pub wallet: String,
    pub photo: u64,
    pub resume_template: u32,
    pub lookalike_employer: usize,
    pub lookalike_domain: String,
}

/// A family, office or cohort of hard negatives.
#[derive(Debug, Clone)]
pub(crate) struct GroupPlan {
    pub country: &'static str,
    pub city: usize,
    pub seed: u64,
}

/// A facilitator running a laptop farm.
#[derive(Debug, Clone)]
pub(crate) struct FacilitatorPlan {
    pub id: u32,
    pub country: &'static str,
    pub address: String,
    pub rings: Vec<u32>,
}

/// The plan.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub special: HashMap<u32, Special>,
    pub rings: Vec<RingPlan>,
    pub groups: Vec<GroupPlan>,
    pub facilitators: Vec<FacilitatorPlan>,
    /// Drawn values (phones, home addresses, referees' contacts) that repeated another subject's by
    /// chance, by [`crate::person::contact_key`], with how many times each has been drawn again
    /// ([`crate::person::chance_repeats`]).
    pub redraws: HashMap<u64, u32>,
}

/// Probability that a strong ring carries each signal; moderate rings scale it down, subtle rings draw
/// two or three of them, blatant rings add a decisive slip.
const SIGNAL_WEIGHTS: &[(Signal, f64)] = &[
    (Signal::SharedPayoutAccount, 0.75),
    (Signal::SharedWallet, 0.3),
    (Signal::PaymentServiceRails, 0.75),
    (Signal::FrequentPayoutChanges, 0.3),
    (Signal::ReusedResume, 0.7),
    (Signal::ReusedPhoto, 0.5),
    (Signal::LookalikeReference, 0.5),
    (Signal::RingReference, 0.35),
    (Signal::VoipPhone, 0.5),
    (Signal::PhoneCountryMismatch, 0.2),
    (Signal::DisposableEmail, 0.2),
    (Signal::OffHoursActivity, 0.7),
    (Signal::AstrillVpn, 0.5),
    (Signal::HostingNetwork, 0.4),
    (Signal::ForeignSignIn, 0.2),
    (Signal::SharedEgress, 0.5),
    (Signal::LaptopFarmShipping, 0.5),
    (Signal::ShippingAddressChange, 0.3),
    (Signal::IpKvmDevice, 0.3),
    (Signal::RemoteControlTool, 0.5),
    (Signal::MouseJiggler, 0.3),
    (Signal::OverseasEducation, 0.3),
];

/// Signals that only mean something when at least two members share them.
fn is_shared(signal: Signal) -> bool {
    matches!(
        signal,
        Signal::SharedPayoutAccount
            | Signal::SharedWallet
            | Signal::ReusedResume
            | Signal::ReusedPhoto
            | Signal::RingReference
            | Signal::SharedEgress
            | Signal::LaptopFarmShipping
    )
}

/// Hard-negative categories and their relative weights per draw (a grouped category's weight is divided
/// by its mean group size, so the weights are roughly shares of subjects).
const NEGATIVE_WEIGHTS: &[(HardNegative, u32)] = &[
    (HardNegative::DigitalNomad, 120),
    (HardNegative::NightShift, 140),
    (HardNegative::LegitimateVpn, 160),
    (HardNegative::Family, 140 / 3),
    (HardNegative::SharedOffice, 120 / 7),
    (HardNegative::ChangedBanks, 100),
    (HardNegative::AsiaContractor, 120),
    (HardNegative::BootcampCohort, 50 / 7),
    (HardNegative::CryptoPaid, 50),
];

/// Countries personas claim to live in (A8, V2: US, Japan, Italy, Vietnam, and others).
const PERSONA_COUNTRIES: &[(&str, u32)] = &[
    ("US", 50),
    ("JP", 9),
    ("IT", 6),
    ("VN", 6),
    ("CA", 6),
    ("PL", 4),
    ("UA", 4),
    ("SG", 4),
    ("MY", 3),
    ("GB", 4),
    ("NL", 2),
    ("DE", 2),
];

/// Where operators really work from.
const TRUE_ZONES: &[(&str, u32)] = &[
    ("Asia/Pyongyang", 35),
    ("Asia/Shanghai", 45),
    ("Asia/Vladivostok", 12),
    ("Asia/Vientiane", 8),
];

impl Plan {
    /// Builds the plan for a config.
    pub fn build(config: &WorldConfig) -> Plan {
        let data = Data::get();
        let mut rng = stream(config.seed, Stream::Plan, 0);
        let n = config.subjects as u32;
        let mut plan = Plan::default();
        let take = |rng: &mut crate::rng::SynthRng, special: &HashMap<u32, Special>| loop {
            let i = rng.gen_range(0..n);
            if !special.contains_key(&i) {
                return i;
            }
        };

        // Rings.
        let rings = config.ring_count();
        let facilitator_count = if rings == 0 { 0 } else { rings.div_ceil(3) };
        for f in 0..facilitator_count {
            let mut frng = stream(config.seed, Stream::Ring, 1 << 40 | f as u64);
            let country = data.country("US");
            let city = weighted(
                &mut frng,
                &country.cities.iter().map(|c| c.weight).collect::<Vec<_>>(),
            );
            let address = ident::address(&mut frng, country, &country.cities[city]);
            plan.facilitators.push(FacilitatorPlan {
                id: f as u32,
                country: "US",
                address,
                rings: Vec::new(),
            });
        }
        for r in 0..rings {
            let size = 2 + weighted(&mut rng, &[25, 25, 18, 12, 9, 6, 5]);
            let mut members = Vec::with_capacity(size);
            for slot in 0..size {
                let i = take(&mut rng, &plan.special);
                plan.special.insert(
                    i,
                    Special::Persona {
                        ring: r as u32,
                        slot: slot as u8,
                    },
                );
                members.push(i);
            }
            let ring = plan_ring(config, r as u32, members, &mut plan.facilitators);
            plan.rings.push(ring);
        }

        // Hard negatives.
        let target = (config.subjects as f64 * config.hard_negative_share).round() as usize;
        let weights: Vec<u32> = NEGATIVE_WEIGHTS.iter().map(|(_, w)| *w).collect();
        let mut placed = 0;
        let budget = config.subjects.saturating_sub(plan.special.len()) / 2;
        while placed < target.min(budget) {
            let category = NEGATIVE_WEIGHTS[weighted(&mut rng, &weights)].0;
            if category.is_group() {
                let size = match category {
                    HardNegative::Family => rng.gen_range(2..5),
                    HardNegative::SharedOffice => rng.gen_range(3..13),
                    _ => rng.gen_range(4..11),
                };
                let id = plan.groups.len() as u32;
                let seed: u64 = rng.r#gen();
                let country = match category {
                    HardNegative::SharedOffice => {
                        *pick(&mut rng, &["US", "US", "GB", "DE", "PL", "VN", "KR", "IN"])
                    }
                    _ => pick_country(&mut rng, data),
                };
                let c = data.country(country);
                let city = weighted(
                    &mut rng,
                    &c.cities.iter().map(|c| c.weight).collect::<Vec<_>>(),
                );
                for member in 0..size {
                    let i = take(&mut rng, &plan.special);
                    plan.special.insert(
                        i,
                        Special::Negative {
                            category,
                            group: Some(id),
                            member: member as u8,
                        },
                    );
                }
                placed += size;
                plan.groups.push(GroupPlan {
                    country,
                    city,
                    seed,
                });
            } else {
                let i = take(&mut rng, &plan.special);
                plan.special.insert(
                    i,
                    Special::Negative {
                        category,
                        group: None,
                        member: 0,
                    },
                );
                placed += 1;
            }
        }
        plan
    }

    /// What subject `index` is.
    pub fn special(&self, index: usize) -> Option<Special> {
        self.special.get(&(index as u32)).copied()
    }
}

/// A claimed country for an ordinary person, by the countries' weights.
pub(crate) fn pick_country<R: Rng + ?Sized>(rng: &mut R, data: &'static Data) -> &'static str {
    let weights: Vec<u32> = data.countries.iter().map(|c| c.weight).collect();
    &data.countries[weighted(rng, &weights)].code
}

fn plan_ring(
    config: &WorldConfig,
    id: u32,
    members: Vec<u32>,
    facilitators: &mut [FacilitatorPlan],
) -> RingPlan {
    let data = Data::get();
    let mut rng = stream(config.seed, Stream::Ring, u64::from(id));
    let strength = match weighted(&mut rng, &[8, 30, 37, 25]) {
        0 => Strength::Blatant,
        1 => Strength::Strong,
        2 => Strength::Moderate,
        _ => Strength::Subtle,
    };
    let true_tz = TRUE_ZONES[weighted(
        &mut rng,
        &TRUE_ZONES.iter().map(|(_, w)| *w).collect::<Vec<_>>(),
    )]
    .0;
    let marketplace = config.population == PopulationKind::Marketplace;
    let mut hired: Vec<bool> = members
        .iter()
        .map(|_| marketplace || chance(&mut rng, 0.55))
        .collect();
    if !hired.iter().any(|h| *h) {
        hired[0] = true;
    }
    let country_weights: Vec<u32> = PERSONA_COUNTRIES.iter().map(|(_, w)| *w).collect();
    let mut claimed_country: Vec<&'static str> = members
        .iter()
        .map(|_| PERSONA_COUNTRIES[weighted(&mut rng, &country_weights)].0)
        .collect();

    // Which signals the ring carries.
    let mut signals: Vec<Signal> = match strength {
        Strength::Subtle => {
            let count = rng.gen_range(2..4);
            let mut chosen = Vec::new();
            let weights: Vec<u32> = SIGNAL_WEIGHTS
                .iter()
                .map(|(_, p)| (p * 100.0) as u32)
                .collect();
            while chosen.len() < count {
                let s = SIGNAL_WEIGHTS[weighted(&mut rng, &weights)].0;
                if !chosen.contains(&s) {
                    chosen.push(s);
                }
            }
            chosen
        }
        _ => {
            let scale = if strength == Strength::Moderate {
                0.5
            } else {
                1.0
            };
            SIGNAL_WEIGHTS
                .iter()
                .filter(|(_, p)| chance(&mut rng, p * scale))
                .map(|(s, _)| *s)
                .collect()
        }
    };
    if strength == Strength::Blatant {
        match weighted(&mut rng, &[50, 35, 15]) {
            0 => signals.push(Signal::SanctionedWallet),
            1 => signals.push(Signal::DprkSignIn),
            _ => signals.extend([Signal::SanctionedWallet, Signal::DprkSignIn]),
        }
    }
    if signals.is_empty() {
        signals.push(Signal::ReusedResume);
    }

    // Which members carry which signal.
    let n = members.len();
    let mut member_signals: Vec<Vec<Signal>> = vec![Vec::new(); n];
    let mut kept = Vec::new();
    for &signal in &signals {
        let eligible: Vec<usize> = (0..n)
            .filter(|&m| !signal.needs_account() || hired[m])
            .filter(|&m| {
                signal != Signal::VoipPhone
                    || !data.country(claimed_country[m]).voip.is_empty()
                    || claimed_country[m] == "US"
            })
            .collect();
        let carriers: Vec<usize> = match signal {
            Signal::SanctionedWallet | Signal::DprkSignIn => {
                eligible.first().map(|&m| vec![m]).unwrap_or_default()
            }
            _ => eligible
                .iter()
                .copied()
                .filter(|_| chance(&mut rng, 0.85))
                .collect(),
        };
        let carriers = if is_shared(signal) && carriers.len() < 2 {
            if eligible.len() >= 2 {
                eligible[..2].to_vec()
            } else {
                Vec::new()
            }
        } else if carriers.is_empty() {
            eligible.first().map(|&m| vec![m]).unwrap_or_default()
        } else {
            carriers
        };
        if carriers.is_empty() {
            continue;
        }
        kept.push(signal);
        for m in carriers {
            member_signals[m].push(signal);
        }
    }
    // A VoIP number in the US is not recognisable as VoIP (no reserved range): personas who would carry
    // it there claim a country whose plan has one instead.
    for m in 0..n {
        if member_signals[m].contains(&Signal::VoipPhone)
            && data.country(claimed_country[m]).voip.is_empty()
        {
            claimed_country[m] = *pick(&mut rng, &["JP", "GB", "NL"]);
        }
    }
    let signals = kept;

    let facilitator = if signals.contains(&Signal::LaptopFarmShipping) && !facilitators.is_empty() {
        let f = rng.gen_range(0..facilitators.len());
        facilitators[f].rings.push(id);
        // Farmed laptops sit in the facilitator's country: those personas claim to live there.
        for m in 0..n {
            if member_signals[m].contains(&Signal::LaptopFarmShipping) {
                claimed_country[m] = facilitators[f].country;
            }
        }
        Some(f as u32)
    } else {
        None
    };

    let (payout_provider, payout_account) = match rng.gen_range(0..10) {
        0..=4 => (
            "Payoneer".to_string(),
            format!(
                "{}{}@{}",
                pick(
                    &mut rng,
                    &[
                        "globaldev",
                        "techsolutions",
                        "itservice",
                        "devpartners",
                        "codebridge"
                    ]
                ),
                rng.gen_range(10..999),
                pick(&mut rng, &["gmail.com", "outlook.com", "proton.me"])
            ),
        ),
        5..=7 => ("Wise".to_string(), ident::iban(&mut rng, "BE")),
        _ => (
            pick(&mut rng, &["Chase", "Bank of America", "Wells Fargo"]).to_string(),
            ident::bank_account(&mut rng, "us"),
        ),
    };
    let wallet = if chance(&mut rng, 0.6) {
        ident::tron_wallet(&mut rng)
    } else {
        ident::evm_wallet(&mut rng)
    };
    let lookalike_employer = rng.gen_range(0..data.employers.len());
    let lookalike_domain = lookalike(&mut rng, data.employers[lookalike_employer].domain);
    let work_mode = if signals.contains(&Signal::OffHoursActivity) {
        WorkMode::AsianDay
    } else {
        WorkMode::ClaimedHours
    };
    RingPlan {
        id,
        strength,
        true_tz,
        work_mode,
        members,
        hired,
        claimed_country,
        signals,
        member_signals,
        facilitator,
        payout_provider,
        payout_account,
        wallet,
        photo: rng.r#gen(),
        resume_template: rng.r#gen(),
        lookalike_employer,
        lookalike_domain,
    }
}

/// A look-alike of a domain: a swapped TLD, a hyphen, a doubled or dropped letter, or a homoglyph.
pub(crate) fn lookalike<R: Rng + ?Sized>(rng: &mut R, domain: &str) -> String {
    let (name, tld) = domain.split_once('.').unwrap_or((domain, "com"));
    let out = match rng.gen_range(0..5) {
        0 => format!("{name}.{}", if tld == "com" { "co" } else { "com" }),
        1 => {
            let cut = (name.len() / 2).max(1);
            format!("{}-{}.{tld}", &name[..cut], &name[cut..])
        }
        2 => {
            let i = rng.gen_range(1..name.len().max(2));
            format!("{}{}.{tld}", &name[..i], &name[i - 1..])
        }
        3 => format!("{}.{tld}", name.replacen('o', "0", 1).replacen('l', "1", 1)),
        _ => format!("{name}-team.{tld}"),
    };
    if out == domain {
        format!("{name}-hr.{tld}")
    } else {
        out
    }
}

/// Counts of planted things, for summaries.
#[allow(dead_code)]
pub(crate) fn category_counts(plan: &Plan) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for special in plan.special.values() {
        let key = match special {
            Special::Persona { .. } => "operator".to_string(),
            Special::Negative { category, .. } => format!("{category:?}"),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalikes_differ_from_the_original_and_stay_valid() {
        let mut rng = stream(9, Stream::Plan, 0);
        for domain in [
            "brightloop.io",
            "northwindanalytics.com",
            "sakura-systems.co.jp",
            "a.io",
        ] {
            for _ in 0..20 {
                let l = lookalike(&mut rng, domain);
                assert_ne!(l, domain);
                redflag_model::EmailAddress::parse(&format!("hr@{l}")).unwrap();
            }
        }
    }

    #[test]
    fn plan_places_rings_and_negatives_on_distinct_subjects() {
        let config = WorldConfig::small();
        let plan = Plan::build(&config);
        assert_eq!(plan.rings.len(), config.ring_count());
        let members: usize = plan.rings.iter().map(|r| r.members.len()).sum();
        let negatives = plan.special.len() - members;
        assert!(negatives > 40, "{negatives}");
        for ring in &plan.rings {
            assert!((2..=8).contains(&ring.members.len()));
            assert!(!ring.signals.is_empty());
            assert!(ring.hired.iter().any(|h| *h));
        }
    }
}
