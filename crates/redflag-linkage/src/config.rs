//! Configuration of the linker: thresholds, caps, known-benign values and ranges.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::LinkageError;

/// A value known to be shared for ordinary reasons (a declared family address, a company hub that receives
/// laptops for everyone, an office phone). Agreement on it is down-weighted to at most
/// [`LinkageConfig::benign_cap_bits`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenignValue {
    /// The comparison it belongs to (`shipping_address`, `home_address`, `phone`, `payout`, `email`, …); see
    /// [`crate::Comparison::name`].
    pub comparison: String,
    /// The value in the form the linker compares (addresses normalised upper-case as
    /// [`redflag_model::PostalAddress`] does, phones in E.164, emails in comparison form).
    pub value: String,
    /// Why it is benign, shown in the waterfall.
    pub reason: String,
}

/// An IP range (a corporate egress range, a known office NAT) whose shared use is benign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRange {
    /// The network address.
    pub network: IpAddr,
    /// Prefix length.
    pub prefix: u8,
}

impl IpRange {
    /// Parses `a.b.c.d/len` (or an address alone, a /32 or /128).
    pub fn parse(input: &str) -> Result<Self, LinkageError> {
        let bad = |reason: &str| LinkageError::InvalidValue {
            field: "ip range",
            value: input.to_string(),
            reason: reason.to_string(),
        };
        let (addr, len) = match input.trim().split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (input.trim(), None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad("not an IP address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match len {
            Some(l) => l.parse::<u8>().map_err(|_| bad("prefix is not a number"))?,
            None => max,
        };
        if prefix > max {
            return Err(bad("prefix longer than the address"));
        }
        Ok(Self { network, prefix })
    }

    /// Whether the range holds the address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Everything the linker can be told. The defaults are documented in `docs/crates/redflag-linkage.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkageConfig {
    /// Posterior probability at or above which two records are the same *person* (default 0.5: fitted
    /// by maximising pairwise F1 on a labelled synthetic world, searched from 0.5 up so that a link is
    /// made only when the model finds it at least as likely as not, and checked on a held-out world: see
    /// `docs/EVALUATION-linkage.md`).
    pub person_threshold: f64,
    /// Bits of shared operator evidence (payout, device, phone, document, photo, resume, shipping, egress)
    /// at or above which two personas are the same *hand* (default 10: the middle of the plateau of
    /// near-maximal F1 on the same labelled world, searched above the egress cap so a shared NAT alone
    /// never links).
    pub operator_threshold: f64,
    /// Pairs whose person probability is at least this are returned in `pairs` even when not linked
    /// (default 0.05: the near misses below the person threshold, with their waterfalls); linked pairs
    /// are always returned.
    pub report_threshold: f64,
    /// A value held by more subjects than this is excluded from linking and reported (default 1000).
    pub max_value_holders: usize,
    /// A blocking group with more records than this makes no candidate pairs and is noted (default 200).
    pub max_block_size: usize,
    /// A group of records sharing one full name with more members than this makes no candidate pairs
    /// (default 32): a common full name is paired through the date of birth, the postcode and the
    /// identifiers instead, which find its true duplicates without comparing every namesake.
    pub max_name_block_size: usize,
    /// Hub guard: an edge carried by a single value held by more subjects than this does not join rings
    /// (default 100).
    pub hub_degree: usize,
    /// Rings larger than this are split by dropping their weakest edges (default 200).
    pub max_ring_size: usize,
    /// Comparisons of identifiers estimate a value's frequency against at least this many subjects, so
    /// that a small batch does not make a value look common (default 100 000).
    pub population_floor: f64,
    /// Largest contribution (bits) of a benign shared value (default 1).
    pub benign_cap_bits: f64,
    /// Largest contribution (bits) of a shared egress IP or /24 (default 6): a NAT is never enough alone.
    pub egress_cap_bits: f64,
    /// Largest contribution (bits) of a near-duplicate resume (default 8, below the operator threshold:
    /// strangers share resume templates, so a near copy alone never links two personas as one hand).
    pub resume_cap_bits: f64,
    /// Largest contribution (bits) of the location group (address, postcode, city) together (default 8):
    /// the three are one piece of evidence, not three.
    pub location_cap_bits: f64,
    /// Largest Hamming distance (of 64 bits) at which two photos are the same photo (default 6).
    pub photo_max_distance: u32,
    /// EM iterations (default 30).
    pub em_iterations: usize,
    /// Random pairs sampled to estimate u probabilities (default 1 000 000).
    pub u_sample_pairs: usize,
    /// Seed of the u sample.
    pub seed: u64,
    /// Known-benign shared values.
    pub benign_values: Vec<BenignValue>,
    /// Corporate egress ranges whose sharing is benign.
    pub benign_networks: Vec<IpRange>,
    /// Declared households: subjects known to live together (families). Their shared values are benign.
    pub households: Vec<Vec<String>>,
    /// Share of hours of day two personas may have in common on one egress and still count as working in
    /// non-overlapping shifts (default 0.1).
    pub shift_overlap_max: f64,
}

impl Default for LinkageConfig {
    fn default() -> Self {
        Self {
            person_threshold: 0.5,
            operator_threshold: 10.0,
            report_threshold: 0.05,
            max_value_holders: 1000,
            max_block_size: 200,
            max_name_block_size: 32,
            hub_degree: 100,
            max_ring_size: 200,
            population_floor: 100_000.0,
            benign_cap_bits: 1.0,
            egress_cap_bits: 6.0,
            resume_cap_bits: 8.0,
            location_cap_bits: 8.0,
            photo_max_distance: 6,
            em_iterations: 30,
            u_sample_pairs: 1_000_000,
            seed: 0x6c69_6e6b_6167_6521,
            benign_values: Vec::new(),
            benign_networks: Vec::new(),
            households: Vec::new(),
            shift_overlap_max: 0.1,
        }
    }
}

impl LinkageConfig {
    /// Checks ranges of the numeric settings.
    pub fn validate(&self) -> Result<(), LinkageError> {
        let prob = |field: &'static str, v: f64| {
            if v > 0.0 && v < 1.0 {
                Ok(())
            } else {
                Err(LinkageError::InvalidValue {
                    field,
                    value: v.to_string(),
                    reason: "expected a probability strictly between 0 and 1".into(),
                })
            }
        };
        prob("person_threshold", self.person_threshold)?;
        prob("report_threshold", self.report_threshold)?;
        if self.photo_max_distance > crate::state::MAX_PHOTO_SEARCH_DISTANCE {
            return Err(LinkageError::InvalidValue {
                field: "photo_max_distance",
                value: self.photo_max_distance.to_string(),
                reason: format!(
                    "the near-duplicate photo search is exact up to {} bits of 64",
                    crate::state::MAX_PHOTO_SEARCH_DISTANCE
                ),
            });
        }
        for (field, v) in [
            ("max_value_holders", self.max_value_holders),
            ("max_block_size", self.max_block_size),
            ("max_name_block_size", self.max_name_block_size),
            ("hub_degree", self.hub_degree),
            ("max_ring_size", self.max_ring_size),
        ] {
            if v < 2 {
                return Err(LinkageError::InvalidValue {
                    field,
                    value: v.to_string(),
                    reason: "must be at least 2".into(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(range: &str, ip: &str, expect: bool) {
        let r = IpRange::parse(range).unwrap();
        assert_eq!(r.contains(ip.parse().unwrap()), expect, "{range} {ip}");
    }

    #[test]
    fn ranges() {
        check("10.1.2.0/24", "10.1.2.200", true);
        check("10.1.2.0/24", "10.1.3.1", false);
        check("0.0.0.0/0", "8.8.8.8", true);
        check("2001:db8::/32", "2001:db8::1", true);
        check("2001:db8::/32", "10.0.0.1", false);
        check("192.0.2.7", "192.0.2.7", true);
        assert!(IpRange::parse("10.0.0.0/33").is_err());
        assert!(IpRange::parse("nope/8").is_err());
        assert!(IpRange::parse("10.0.0.0/x").is_err());
    }

    #[test]
    fn validation() {
        assert!(LinkageConfig::default().validate().is_ok());
        let bad = LinkageConfig {
            person_threshold: 1.5,
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("person_threshold")
        );
        let far_photos = LinkageConfig {
            photo_max_distance: 8,
            ..Default::default()
        };
        assert!(
            far_photos
                .validate()
                .unwrap_err()
                .to_string()
                .contains("photo_max_distance")
        );
    }
}
