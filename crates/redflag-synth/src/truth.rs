//! Ground truth: which subjects are operators' personas, which rings they form, which signals were
//! planted on each, and which innocents were made deliberately hard to tell apart. Written next to the
//! data as `ground_truth.json`; detectors never read it, the evaluation does.

use serde::{Deserialize, Serialize};

/// A signal the generator can plant on an operator's persona, with the research-catalogue indicators it
/// follows (`/research/dprk-indicators.md` ids) and the files where it can be observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Several personas are paid into one payout account (Payoneer, Wise or a bank).
    SharedPayoutAccount,
    /// Several personas give one crypto wallet.
    SharedWallet,
    /// A wallet on the OFAC SDN list (rare, blatant).
    SanctionedWallet,
    /// Payouts through Payoneer, Wise or crypto rather than a bank in the claimed country.
    PaymentServiceRails,
    /// Several payout account changes within the window.
    FrequentPayoutChanges,
    /// One resume template reused across personas with edits.
    ReusedResume,
    /// One photo (perceptual hash within a few bits) on several personas.
    ReusedPhoto,
    /// References at look-alike domains of the claimed employers.
    LookalikeReference,
    /// A reference whose email or phone belongs to another persona of the ring.
    RingReference,
    /// A phone number in a range reserved for VoIP.
    VoipPhone,
    /// A phone number of another country than the one claimed.
    PhoneCountryMismatch,
    /// A disposable email address.
    DisposableEmail,
    /// Sign-ins in Korean or Chinese working hours against a claimed Western time zone.
    OffHoursActivity,
    /// Sign-ins through Astrill VPN exits.
    AstrillVpn,
    /// Sign-ins from hosting / VPS networks.
    HostingNetwork,
    /// Sign-ins from China or Russia.
    ForeignSignIn,
    /// Several personas sign in from one address (a laptop farm or the operator's own exit).
    SharedEgress,
    /// A sign-in from North Korean address space (175.45.176.0/22; rare, blatant).
    DprkSignIn,
    /// The company laptop shipped to a facilitator's address shared with other "employees".
    LaptopFarmShipping,
    /// A request to ship the laptop to an address other than home.
    ShippingAddressChange,
    /// An IP-KVM device (PiKVM, TinyPilot, JetKVM) on the laptop's USB bus.
    IpKvmDevice,
    /// Remote-control software (AnyDesk, TeamViewer, Chrome Remote Desktop, RustDesk) on the laptop.
    RemoteControlTool,
    /// A mouse jiggler / anti-idle tool on the laptop.
    MouseJiggler,
    /// Education abroad while claiming a Western home (weak alone).
    OverseasEducation,
}

impl Signal {
    /// Every signal.
    pub const ALL: &'static [Signal] = &[
        Signal::SharedPayoutAccount,
        Signal::SharedWallet,
        Signal::SanctionedWallet,
        Signal::PaymentServiceRails,
        Signal::FrequentPayoutChanges,
        Signal::ReusedResume,
        Signal::ReusedPhoto,
        Signal::LookalikeReference,
        Signal::RingReference,
        Signal::VoipPhone,
        Signal::PhoneCountryMismatch,
        Signal::DisposableEmail,
        Signal::OffHoursActivity,
        Signal::AstrillVpn,
        Signal::HostingNetwork,
        Signal::ForeignSignIn,
        Signal::SharedEgress,
        Signal::DprkSignIn,
        Signal::LaptopFarmShipping,
        Signal::ShippingAddressChange,
        Signal::IpKvmDevice,
        Signal::RemoteControlTool,
        Signal::MouseJiggler,
        Signal::OverseasEducation,
    ];

    /// The research-catalogue indicator ids the signal follows.
    pub fn indicators(self) -> &'static [&'static str] {
        match self {
            Signal::SharedPayoutAccount => &["P8", "L3", "P5"],
            Signal::SharedWallet => &["P2", "L3"],
            Signal::SanctionedWallet => &["P12", "P2"],
            Signal::PaymentServiceRails => &["P10", "P1"],
            Signal::FrequentPayoutChanges => &["P8", "P4"],
            Signal::ReusedResume => &["A6", "L1"],
            Signal::ReusedPhoto => &["A5", "L4"],
            Signal::LookalikeReference => &["A7", "D7"],
            Signal::RingReference => &["D8", "L1"],
            Signal::VoipPhone => &["L1"],
            Signal::PhoneCountryMismatch => &["A1"],
            Signal::DisposableEmail => &["A17"],
            Signal::OffHoursActivity => &["W1", "W2"],
            Signal::AstrillVpn => &["N5"],
            Signal::HostingNetwork => &["N5", "N6"],
            Signal::ForeignSignIn => &["N6", "N1"],
            Signal::SharedEgress => &["N2", "L2"],
            Signal::DprkSignIn => &["N10"],
            Signal::LaptopFarmShipping => &["D10", "A28", "N8"],
            Signal::ShippingAddressChange => &["D10"],
            Signal::IpKvmDevice => &["E3"],
            Signal::RemoteControlTool => &["E1", "E2"],
            Signal::MouseJiggler => &["E4"],
            Signal::OverseasEducation => &["A4"],
        }
    }

    /// The files of a written world where the signal can be seen.
    pub fn observable_in(self) -> &'static [&'static str] {
        match self {
            Signal::SharedPayoutAccount | Signal::PaymentServiceRails => {
                &["people.csv", "payroll.csv"]
            }
            Signal::SharedWallet | Signal::SanctionedWallet => &["people.csv", "payroll.csv"],
            Signal::FrequentPayoutChanges => &["payroll.csv"],
            Signal::ReusedResume | Signal::OverseasEducation => &["resumes/"],
            Signal::ReusedPhoto => &["people.csv"],
            Signal::LookalikeReference | Signal::RingReference => &["people.csv"],
            Signal::VoipPhone | Signal::PhoneCountryMismatch | Signal::DisposableEmail => {
                &["people.csv"]
            }
            Signal::OffHoursActivity
            | Signal::AstrillVpn
            | Signal::HostingNetwork
            | Signal::ForeignSignIn
            | Signal::SharedEgress
            | Signal::DprkSignIn => &["okta.ndjson"],
            Signal::LaptopFarmShipping | Signal::ShippingAddressChange => &["shipping.csv"],
            Signal::IpKvmDevice | Signal::RemoteControlTool | Signal::MouseJiggler => {
                &["osquery.ndjson"]
            }
        }
    }

    /// Whether the signal needs the subject to hold an account (sign-ins, laptop, payroll).
    pub fn needs_account(self) -> bool {
        matches!(
            self,
            Signal::FrequentPayoutChanges
                | Signal::OffHoursActivity
                | Signal::AstrillVpn
                | Signal::HostingNetwork
                | Signal::ForeignSignIn
                | Signal::SharedEgress
                | Signal::DprkSignIn
                | Signal::LaptopFarmShipping
                | Signal::ShippingAddressChange
                | Signal::IpKvmDevice
                | Signal::RemoteControlTool
                | Signal::MouseJiggler
        )
    }
}

/// Kinds of innocent subjects built to look like operators on one axis or another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HardNegative {
    /// Works from several countries while keeping a home address; signs in from hotels and cafés.
    DigitalNomad,
    /// Works nights in the claimed time zone, which looks like Asian daytime.
    NightShift,
    /// Uses a consumer VPN (NordVPN, Mullvad, Proton…) or, in China, Astrill for most sign-ins.
    LegitimateVpn,
    /// Shares a home address (and home connection, sometimes a joint account) with family members.
    Family,
    /// Works from a coworking space or agency office behind one NAT address with colleagues.
    SharedOffice,
    /// Changed banks or moved to Wise/Payoneer during the window.
    ChangedBanks,
    /// A legitimate contractor living in Asia (Korea, China, Vietnam, Japan, the Philippines) who says so.
    AsiaContractor,
    /// A bootcamp cohort whose resumes share one template.
    BootcampCohort,
    /// A blockchain developer paid in crypto to their own wallet.
    CryptoPaid,
}

impl HardNegative {
    /// Every category.
    pub const ALL: &'static [HardNegative] = &[
        HardNegative::DigitalNomad,
        HardNegative::NightShift,
        HardNegative::LegitimateVpn,
        HardNegative::Family,
        HardNegative::SharedOffice,
        HardNegative::ChangedBanks,
        HardNegative::AsiaContractor,
        HardNegative::BootcampCohort,
        HardNegative::CryptoPaid,
    ];

    /// Whether members come in groups (a family, an office, a cohort).
    pub fn is_group(self) -> bool {
        matches!(
            self,
            HardNegative::Family | HardNegative::SharedOffice | HardNegative::BootcampCohort
        )
    }
}

/// How strongly an operator's ring shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// A decisive slip (a listed wallet, a sign-in from DPRK space) on top of strong signals.
    Blatant,
    /// Many signals.
    Strong,
    /// Several signals.
    Moderate,
    /// Two or three weak signals: hard to catch.
    Subtle,
}

/// One planted signal on one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedSignal {
    /// The signal.
    pub signal: Signal,
    /// Research-catalogue indicator ids.
    pub indicators: Vec<String>,
    /// Files where it can be observed.
    pub observable_in: Vec<String>,
}

impl PlantedSignal {
    /// The planted record of a signal.
    pub fn of(signal: Signal) -> Self {
        Self {
            signal,
            indicators: signal.indicators().iter().map(|s| s.to_string()).collect(),
            observable_in: signal
                .observable_in()
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// One persona of an operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorTruth {
    /// The `id` column of `people.csv`.
    pub id: String,
    /// The subject id a reader with system name [`GroundTruth::system`] derives (`system:id`).
    pub subject_id: String,
    /// The ring.
    pub ring: String,
    /// The persona's claimed name origin (for the fairness table).
    pub name_origin: String,
    /// The claimed country (alpha-2).
    pub claimed_country: String,
    /// The time zone the operator really works in.
    pub true_timezone: String,
    /// Whether the persona holds an account (employee, contractor or marketplace account) or only applied.
    pub hired: bool,
    /// Signals planted on this persona.
    pub signals: Vec<PlantedSignal>,
}

/// One ring: the personas one operator (or team) runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RingTruth {
    /// Ring id (`ring-001`).
    pub id: String,
    /// How strongly it shows.
    pub strength: Strength,
    /// Where the operator really is (an IANA zone).
    pub true_timezone: String,
    /// The facilitator (laptop farm) the ring uses, if any.
    pub facilitator: Option<String>,
    /// Member ids (`people.csv` id column).
    pub members: Vec<String>,
    /// Signals enabled for the ring (each member carries a subset).
    pub signals: Vec<Signal>,
    /// Values the members share, for the analyst reading the truth (payout account, wallet, photo hash,
    /// shipping address, look-alike domain…).
    pub shared: std::collections::BTreeMap<String, String>,
}

/// One innocent subject built to look suspicious on some axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardNegativeTruth {
    /// The `id` column of `people.csv`.
    pub id: String,
    /// The category.
    pub category: HardNegative,
    /// The group (family, office, cohort), for grouped categories.
    pub group: Option<String>,
}

/// A facilitator running a laptop farm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacilitatorTruth {
    /// Facilitator id (`facilitator-01`).
    pub id: String,
    /// The farm's address, where laptops are shipped.
    pub address: String,
    /// The farm's home connection address.
    pub egress_ip: String,
    /// Rings that use the farm.
    pub rings: Vec<String>,
}

/// Everything the evaluation needs to score a run on a generated world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Generator name and version.
    pub generator: String,
    /// The seed.
    pub seed: u64,
    /// The source-system name subject ids are prefixed with (`synth`).
    pub system: String,
    /// Number of subjects.
    pub subjects: usize,
    /// First and last day of the event window (`YYYY-MM-DD`).
    pub window: [String; 2],
    /// Every operator persona.
    pub operators: Vec<OperatorTruth>,
    /// Every ring.
    pub rings: Vec<RingTruth>,
    /// Facilitators.
    pub facilitators: Vec<FacilitatorTruth>,
    /// Every hard negative (all innocent).
    pub hard_negatives: Vec<HardNegativeTruth>,
    /// The per-subject label file written next to this one (`ground_truth_subjects.csv`: `id, label,
    /// ring, hard_negative, name_origin, claimed_country, kind`), streamed because it has one row per subject.
    pub subjects_file: String,
}

impl GroundTruth {
    /// Whether the subject with this `people.csv` id is an operator's persona.
    pub fn is_operator(&self, id: &str) -> bool {
        self.operators.iter().any(|o| o.id == id)
    }
}
