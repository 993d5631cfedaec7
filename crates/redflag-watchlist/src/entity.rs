//! The list-independent entity model every parser produces.

use std::fmt;

use chrono::NaiveDate;
use redflag_model::CryptoWallet;
use serde::{Deserialize, Serialize};

/// Metadata of one list snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListInfo {
    /// Stable list id, e.g. `us-ofac-sdn`, `un-sc-consolidated`, `gb-ofsi-conlist`.
    pub id: String,
    /// Human name, e.g. "OFAC Specially Designated Nationals (SDN) List".
    pub name: String,
    /// Version: the publication date as `YYYY-MM-DD` when the file states one, else a content hash prefix.
    pub version: String,
    /// Publication date stated in the file, if any.
    pub published: Option<NaiveDate>,
    /// Official download URL of the list.
    pub source_url: String,
    /// The format the snapshot was parsed from.
    pub format: String,
    /// Number of entities.
    pub entity_count: usize,
    /// SHA-256 of the source file's bytes as read (after decompression), hex.
    pub sha256: String,
}

/// A parsed list: its metadata and all of its entities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListSnapshot {
    /// What list and which version.
    pub info: ListInfo,
    /// The entities, in the file's order.
    pub entities: Vec<Entity>,
}

/// What kind of party an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A natural person.
    Person,
    /// A company, group, government body or other organisation.
    Organization,
    /// A ship.
    Vessel,
    /// An aircraft.
    Aircraft,
    /// Unknown or other.
    Other,
}

impl EntityKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Organization => "organization",
            EntityKind::Vessel => "vessel",
            EntityKind::Aircraft => "aircraft",
            EntityKind::Other => "other",
        }
    }

    /// Parses common list words (`Individual`, `Entity`, `Person`, `Organization`, `Ship`, …).
    pub fn parse(input: &str) -> Self {
        match input.trim().to_ascii_lowercase().as_str() {
            "individual" | "person" | "natural person" | "p" | "i" => EntityKind::Person,
            "entity" | "organization" | "organisation" | "company" | "legalentity" | "e"
            | "enterprise" | "legal person" => EntityKind::Organization,
            "vessel" | "ship" => EntityKind::Vessel,
            "aircraft" => EntityKind::Aircraft,
            _ => EntityKind::Other,
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a name can be trusted as an identifier of the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameStrength {
    /// The primary (listed) name.
    Primary,
    /// A good-quality alias ("a.k.a.", "f.k.a.", "n.k.a.", non-Latin spellings).
    Strong,
    /// A weak or low-quality alias (OFAC's weak a.k.a., UN "Low" quality): kept, weighted down.
    Weak,
}

impl NameStrength {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NameStrength::Primary => "primary",
            NameStrength::Strong => "alias",
            NameStrength::Weak => "weak_alias",
        }
    }
}

/// The role of a part of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamePartKind {
    /// Family name / last name.
    Family,
    /// Given / first name.
    Given,
    /// Middle name.
    Middle,
    /// Patronymic or matronymic.
    Patronymic,
    /// Whole name of an organisation, vessel or aircraft.
    Whole,
    /// Anything else (maiden name, nickname, fourth name, …).
    Other,
}

/// One part of a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamePart {
    /// Its role.
    pub kind: NamePartKind,
    /// The text.
    pub value: String,
}

/// A name of an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityName {
    /// The full name as the list writes it (parts joined in list order).
    pub full: String,
    /// Primary, alias or weak alias.
    pub strength: NameStrength,
    /// The list's alias type, where it gives one (`a.k.a.`, `f.k.a.`, `Name`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_type: Option<String>,
    /// ISO 15924 script code, where the list gives one (`Latn`, `Hang`, `Hans`, `Cyrl`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// The parts, where the list separates them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<NamePart>,
}

/// A date that may be known only to the year or month, or only as a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartialDate {
    /// First day the date may be.
    pub earliest: NaiveDate,
    /// Last day the date may be.
    pub latest: NaiveDate,
}

impl PartialDate {
    /// An exact day.
    pub fn day(date: NaiveDate) -> Self {
        Self {
            earliest: date,
            latest: date,
        }
    }

    /// A whole year.
    pub fn year(year: i32) -> Option<Self> {
        Some(Self {
            earliest: NaiveDate::from_ymd_opt(year, 1, 1)?,
            latest: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }

    /// A whole month.
    pub fn month(year: i32, month: u32) -> Option<Self> {
        let earliest = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        Some(Self {
            earliest,
            latest: next.pred_opt()?,
        })
    }

    /// A range of days; `None` when `to` is before `from`.
    pub fn range(from: NaiveDate, to: NaiveDate) -> Option<Self> {
        (from <= to).then_some(Self {
            earliest: from,
            latest: to,
        })
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, `DD/MM/YYYY`, `DD.MM.YYYY`, `00/00/YYYY` (OFSI's unknown day and
    /// month) and `YYYY-YYYY` / `YYYY to YYYY` ranges.
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim();
        if s.is_empty() {
            return None;
        }
        if let Some((a, b)) = s.split_once(" to ").or_else(|| {
            // `1970-1972`, but not an ISO date
            let (a, b) = s.split_once('-')?;
            (a.len() == 4 && b.len() == 4).then_some((a, b))
        }) {
            let a = Self::parse(a)?;
            let b = Self::parse(b)?;
            return Self::range(a.earliest, b.latest);
        }
        let nums: Vec<&str> = s
            .split(['-', '/', '.', ' '])
            .filter(|p| !p.is_empty())
            .collect();
        let num = |p: &str| p.parse::<u32>().ok();
        match nums.as_slice() {
            [y] if y.len() == 4 => Self::year(num(y)? as i32),
            [y, m] if y.len() == 4 => Self::month(num(y)? as i32, num(m)?),
            [y, m, d] if y.len() == 4 => Self::from_parts(num(y)? as i32, num(m)?, num(d)?),
            [d, m, y] if y.len() == 4 => Self::from_parts(num(y)? as i32, num(m)?, num(d)?),
            _ => None,
        }
    }

    /// Year, month and day where 0 means unknown.
    pub fn from_parts(year: i32, month: u32, day: u32) -> Option<Self> {
        match (month, day) {
            (0, _) => Self::year(year),
            (m, 0) => Self::month(year, m),
            (m, d) => NaiveDate::from_ymd_opt(year, m, d).map(Self::day),
        }
    }

    /// Whether the date is known to the day.
    pub fn is_exact(&self) -> bool {
        self.earliest == self.latest
    }

    /// Whether two dates may be the same day.
    pub fn overlaps(&self, other: &PartialDate) -> bool {
        self.earliest <= other.latest && other.earliest <= self.latest
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::Datelike;
        let (a, b) = (self.earliest, self.latest);
        if a == b {
            write!(f, "{}", a.format("%Y-%m-%d"))
        } else if a.year() == b.year()
            && a.month() == 1
            && a.day() == 1
            && b.month() == 12
            && b.day() == 31
        {
            write!(f, "{}", a.year())
        } else if a.year() == b.year()
            && a.month() == b.month()
            && a.day() == 1
            && b.succ_opt().is_some_and(|n| n.day() == 1)
        {
            write!(f, "{}", a.format("%Y-%m"))
        } else {
            write!(f, "{} to {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d"))
        }
    }
}

/// An identity or registration document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Its type as the list names it (`Passport`, `National ID No.`, …).
    pub kind: String,
    /// The number as written.
    pub number: String,
    /// Issuing country (ISO alpha-2 where known, else as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A digital currency address as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletEntry {
    /// The currency code the list gives (`XBT`, `ETH`, `USDT`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The address exactly as listed.
    pub raw: String,
    /// The validated wallet, when the address parses ([`CryptoWallet::parse_with_hint`]); lists contain
    /// addresses of chains redflag does not validate, which are kept raw and compared exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<CryptoWallet>,
}

impl WalletEntry {
    /// Builds an entry, validating the address where its shape is known.
    pub fn new(raw: &str, currency: Option<&str>) -> Self {
        let raw = raw.trim();
        Self {
            currency: currency
                .map(|c| c.trim().to_ascii_uppercase())
                .filter(|c| !c.is_empty()),
            raw: raw.to_string(),
            wallet: CryptoWallet::parse_with_hint(raw, currency).ok(),
        }
    }
}

/// One listed party, whatever list it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// The list's id for the entry (OFAC `FixedRef`/`ent_num`, UN `REFERENCE_NUMBER`, OFSI `Group ID`, …).
    pub id: String,
    /// Person, organisation, vessel, aircraft or other.
    pub kind: EntityKind,
    /// Names: exactly one [`NameStrength::Primary`] first, then aliases.
    pub names: Vec<EntityName>,
    /// Dates of birth (persons) or of establishment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub birth_dates: Vec<PartialDate>,
    /// Places of birth as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub birth_places: Vec<String>,
    /// Nationalities and citizenships: ISO alpha-2 when known, else as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nationalities: Vec<String>,
    /// Countries of addresses and registration: ISO alpha-2 when known, else as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    /// Addresses, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Identity and registration documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// Email addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// Websites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<String>,
    /// Phone numbers as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    /// Digital currency addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wallets: Vec<WalletEntry>,
    /// Sanctions programmes / regimes (`DPRK3`, `NPWMD`, `DPRK`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    /// Date the entry was listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_on: Option<NaiveDate>,
    /// Free-text remarks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remarks: Vec<String>,
}

impl Entity {
    /// An entity with only an id, a kind and no names yet.
    pub fn new(id: impl Into<String>, kind: EntityKind) -> Self {
        Self {
            id: id.into(),
            kind,
            names: Vec::new(),
            birth_dates: Vec::new(),
            birth_places: Vec::new(),
            nationalities: Vec::new(),
            countries: Vec::new(),
            addresses: Vec::new(),
            documents: Vec::new(),
            emails: Vec::new(),
            websites: Vec::new(),
            phones: Vec::new(),
            wallets: Vec::new(),
            programs: Vec::new(),
            listed_on: None,
            remarks: Vec::new(),
        }
    }

    /// The primary name (the first name; parsers put the primary one first).
    pub fn primary_name(&self) -> &str {
        self.names.first().map(|n| n.full.as_str()).unwrap_or("")
    }

    /// Puts the primary name first and removes exact duplicates from every list field.
    pub fn tidy(&mut self) {
        self.names
            .sort_by_key(|n| n.strength != NameStrength::Primary);
        let mut seen = std::collections::HashSet::new();
        self.names
            .retain(|n| !n.full.trim().is_empty() && seen.insert((n.full.clone(), n.strength)));
        dedup(&mut self.birth_dates);
        dedup(&mut self.birth_places);
        dedup(&mut self.nationalities);
        dedup(&mut self.countries);
        dedup(&mut self.addresses);
        dedup(&mut self.documents);
        dedup(&mut self.emails);
        dedup(&mut self.websites);
        dedup(&mut self.phones);
        dedup(&mut self.wallets);
        dedup(&mut self.programs);
        dedup(&mut self.remarks);
    }
}

fn dedup<T: PartialEq + Clone>(v: &mut Vec<T>) {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for x in v.drain(..) {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    *v = out;
}

/// Maps a country as lists write it (ISO code or English name, OFAC's "Korea, North") to its alpha-2 code,
/// or keeps the text when it is not a country name.
pub fn country_code_or_text(input: &str) -> Option<String> {
    let s = input.trim();
    // "Afghanistan (since 2009)" -> "Afghanistan"
    let s = match s.split_once('(') {
        Some((head, _)) if !head.trim().is_empty() => head.trim(),
        _ => s,
    };
    if s.is_empty() {
        return None;
    }
    let fixed = match s.to_ascii_lowercase().as_str() {
        "korea, north" | "north korea" | "dprk" | "democratic people's republic of korea" => "KP",
        "korea, south" | "south korea" | "republic of korea" => "KR",
        "russia" | "russian federation" => "RU",
        "iran" => "IR",
        "syria" => "SY",
        "burma" => "MM",
        "venezuela" => "VE",
        "bolivia" => "BO",
        "tanzania" => "TZ",
        "vietnam" => "VN",
        "laos" => "LA",
        "moldova" => "MD",
        "congo, democratic republic of the" | "democratic republic of the congo" => "CD",
        "turkey" | "türkiye" => "TR",
        _ => "",
    };
    if !fixed.is_empty() {
        return Some(fixed.to_string());
    }
    match redflag_model::CountryCode::parse(s)
        .or_else(|_| redflag_model::CountryCode::parse(&s.replace([' ', '-'], "")))
    {
        Ok(code) => Some(code.as_str().to_string()),
        Err(_) => Some(s.to_string()),
    }
}
