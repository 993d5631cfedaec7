//! What a world looks like: size, window, seed, how many rings and hard negatives.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Whose population is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PopulationKind {
    /// A company: applicants, employees and contractors; employees and contractors get an IdP account,
    /// a laptop and payroll.
    #[default]
    Company,
    /// A freelance marketplace: every subject is a marketplace account with sign-ins and payouts, no
    /// laptops.
    Marketplace,
}

/// An identity provider whose sign-in log the world writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityProvider {
    /// Okta System Log NDJSON (`okta_system_log.ndjson`).
    Okta,
    /// Microsoft Entra ID sign-ins, Microsoft Graph `signIn` resources as NDJSON (`entra_sign_ins.ndjson`).
    Entra,
    /// Google Workspace login audit, Admin SDK Reports API activities as NDJSON
    /// (`google_login_activities.ndjson`).
    Google,
}

/// The parameters of a generated world. Two worlds with equal configs are byte-for-byte equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldConfig {
    /// The seed every random draw derives from.
    pub seed: u64,
    /// Number of subjects (rows of `people.csv`).
    pub subjects: usize,
    /// Days of events (sign-ins, endpoint inventories, payroll changes, shipments).
    pub days: u32,
    /// The last day of the event window (exclusive); fixed by default so output does not depend on the
    /// clock.
    pub end_date: NaiveDate,
    /// Company or marketplace.
    pub population: PopulationKind,
    /// The company's own email domain (work emails and IdP logins).
    pub company_domain: String,
    /// The source-system name the ground truth prefixes subject ids with (`synth:P0000042`); use the same
    /// name when reading `people.csv`.
    pub system: String,
    /// Operator rings per 10,000 subjects (at least one ring in any world of 200 subjects or more).
    pub rings_per_10k: f64,
    /// Share of subjects made into hard negatives (innocents built to look suspicious on one axis).
    pub hard_negative_share: f64,
    /// Whether to write event files (sign-ins, osquery, payroll, shipping) and resumes, or only the people
    /// file and the ground truth.
    pub events: bool,
    /// The identity providers the company runs. Each department (role area) signs in through one of
    /// them: the departments, in an order shuffled by the seed, are dealt to the providers in turn, so
    /// every provider gets at least one department. Empty means Okta for everyone.
    #[serde(default = "default_identity_providers")]
    pub identity_providers: Vec<IdentityProvider>,
    /// Share of resumes written as PDF (the rest of the share below as DOCX, the others as text).
    #[serde(default)]
    pub pdf_resume_share: f64,
    /// Share of resumes written as DOCX.
    #[serde(default)]
    pub docx_resume_share: f64,
    /// Applications a person opens through single sign-on after a successful Okta or Entra session
    /// start, on average (Okta `user.authentication.sso`, one Entra sign-in per application), each
    /// from the session's address and device within minutes of it. Real sign-in logs carry several
    /// events per session; 0 writes session starts only (worlds generated before this field).
    #[serde(default)]
    pub app_sign_ins_per_session: f64,
}

fn default_identity_providers() -> Vec<IdentityProvider> {
    vec![
        IdentityProvider::Okta,
        IdentityProvider::Entra,
        IdentityProvider::Google,
    ]
}

impl Default for WorldConfig {
    /// About 10,000 subjects and 90 days: the default demo world.
    fn default() -> Self {
        Self {
            seed: 20_260_601,
            subjects: 10_000,
            days: 90,
            end_date: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default(),
            population: PopulationKind::Company,
            company_domain: "northwind-labs.com".into(),
            system: "synth".into(),
            rings_per_10k: 12.0,
            hard_negative_share: 0.08,
            events: true,
            identity_providers: default_identity_providers(),
            pdf_resume_share: 0.15,
            docx_resume_share: 0.15,
            app_sign_ins_per_session: 0.0,
        }
    }
}

impl WorldConfig {
    /// A small world (1,000 subjects, 30 days) for tests, CI and quick looks.
    pub fn small() -> Self {
        Self {
            subjects: 1_000,
            days: 30,
            rings_per_10k: 30.0,
            ..Self::default()
        }
    }

    /// The default world with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The number of rings this config plants.
    pub fn ring_count(&self) -> usize {
        if self.subjects < 200 {
            return 0;
        }
        let rings = (self.subjects as f64 * self.rings_per_10k / 10_000.0).round() as usize;
        // Personas must stay a small minority whatever the rate says.
        rings.clamp(1, self.subjects / 40)
    }

    /// The identity provider a department (role area) signs in through.
    pub fn identity_provider(&self, area: &str) -> IdentityProvider {
        if self.identity_providers.is_empty() {
            return IdentityProvider::Okta;
        }
        let areas = crate::data::Data::get().areas();
        let mut order: Vec<(u64, &str)> = areas
            .iter()
            .map(|a| (crate::rng::mix(self.seed ^ crate::rng::mix(fnv(a))), *a))
            .collect();
        order.sort();
        let position = order.iter().position(|(_, a)| *a == area).unwrap_or(0);
        self.identity_providers[position % self.identity_providers.len()]
    }

    /// The first day of the window.
    pub fn start_date(&self) -> NaiveDate {
        self.end_date - chrono::Duration::days(i64::from(self.days))
    }
}

/// FNV-1a of a short text (a stable key for a department).
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_counts_scale_and_stay_bounded() {
        let check = |subjects: usize, rate: f64, expect: usize| {
            let config = WorldConfig {
                subjects,
                rings_per_10k: rate,
                ..WorldConfig::default()
            };
            assert_eq!(config.ring_count(), expect, "{subjects} at {rate}");
        };
        check(10_000, 12.0, 12);
        check(1_000_000, 12.0, 1_200);
        check(1_000, 30.0, 3);
        check(100, 30.0, 0);
        check(300, 0.0, 1);
        check(1_000, 10_000.0, 25);
    }

    #[test]
    fn every_provider_gets_a_department_and_the_deal_follows_the_seed() {
        let areas = crate::data::Data::get().areas();
        let providers = |seed: u64| -> Vec<IdentityProvider> {
            let c = WorldConfig::default().with_seed(seed);
            areas.iter().map(|a| c.identity_provider(a)).collect()
        };
        for seed in [1, 2, 3] {
            let p = providers(seed);
            for want in default_identity_providers() {
                assert!(p.contains(&want), "seed {seed}: no department on {want:?}");
            }
        }
        assert_ne!(providers(1), providers(2));
        let okta_only = WorldConfig {
            identity_providers: Vec::new(),
            ..WorldConfig::default()
        };
        assert!(
            areas
                .iter()
                .all(|a| okta_only.identity_provider(a) == IdentityProvider::Okta)
        );
    }

    #[test]
    fn window_is_days_before_the_end() {
        let c = WorldConfig::default();
        assert_eq!(c.start_date().to_string(), "2026-03-03");
    }
}
