//! Phones: region and line type from libphonenumber's metadata (the `rlibphonenumber` crate).

use redflag_model::{CountryCode, PhoneNumber};
use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumberType};

/// The line type libphonenumber's metadata gives a number. Many plans (the US and Canada among them)
/// cannot tell fixed from mobile, and VoIP is known only where the plan reserves ranges for it (the UK's
/// 056, Germany's 032, the Netherlands' 085, …): US Google Voice and similar numbers are *not* VoIP here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineType {
    /// Fixed line.
    FixedLine,
    /// Mobile.
    Mobile,
    /// Fixed or mobile, the plan does not say.
    FixedLineOrMobile,
    /// Voice over IP.
    Voip,
    /// Toll-free.
    TollFree,
    /// Premium rate.
    PremiumRate,
    /// Shared cost.
    SharedCost,
    /// Personal number (routed anywhere).
    PersonalNumber,
    /// Pager.
    Pager,
    /// Universal access / company number.
    Uan,
    /// Voicemail access.
    Voicemail,
    /// The metadata does not say.
    Unknown,
}

impl LineType {
    /// The snake_case name used in facts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FixedLine => "fixed_line",
            Self::Mobile => "mobile",
            Self::FixedLineOrMobile => "fixed_line_or_mobile",
            Self::Voip => "voip",
            Self::TollFree => "toll_free",
            Self::PremiumRate => "premium_rate",
            Self::SharedCost => "shared_cost",
            Self::PersonalNumber => "personal_number",
            Self::Pager => "pager",
            Self::Uan => "uan",
            Self::Voicemail => "voicemail",
            Self::Unknown => "unknown",
        }
    }
}

/// What the metadata says about one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneInfo {
    /// E.164 form.
    pub e164: String,
    /// The region the number belongs to (for shared calling codes, the region whose plan matches).
    pub region: Option<CountryCode>,
    /// The line type.
    pub line_type: LineType,
}

/// Describes a validated number.
pub fn describe(phone: &PhoneNumber) -> PhoneInfo {
    let e164 = phone.e164().to_string();
    let Ok(parsed) = PHONE_NUMBER_UTIL.parse(&e164, None) else {
        return PhoneInfo {
            e164,
            region: None,
            line_type: LineType::Unknown,
        };
    };
    let region = parsed
        .get_region_code()
        .and_then(|id| CountryCode::parse(id.as_region_str().as_str()).ok());
    let line_type = match parsed.get_type() {
        PhoneNumberType::FixedLine => LineType::FixedLine,
        PhoneNumberType::Mobile => LineType::Mobile,
        PhoneNumberType::FixedLineOrMobile => LineType::FixedLineOrMobile,
        PhoneNumberType::VoIP => LineType::Voip,
        PhoneNumberType::TollFree => LineType::TollFree,
        PhoneNumberType::PremiumRate => LineType::PremiumRate,
        PhoneNumberType::SharedCost => LineType::SharedCost,
        PhoneNumberType::PersonalNumber => LineType::PersonalNumber,
        PhoneNumberType::Pager => LineType::Pager,
        PhoneNumberType::UAN => LineType::Uan,
        PhoneNumberType::VoiceMail => LineType::Voicemail,
        _ => LineType::Unknown,
    };
    PhoneInfo {
        e164,
        region,
        line_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, region: &str, line_type: LineType) {
        let phone = PhoneNumber::parse(input, None).unwrap();
        let info = describe(&phone);
        assert_eq!(
            info.region.map(|c| c.to_string()).unwrap_or_default(),
            region,
            "{input}"
        );
        assert_eq!(info.line_type, line_type, "{input}");
    }

    #[test]
    fn regions_and_line_types_come_from_the_metadata() {
        // UK 056 range is allocated to VoIP by Ofcom's numbering plan.
        check("+44 56 1234 5678", "GB", LineType::Voip);
        // UK 07 mobile.
        check("+44 7400 123456", "GB", LineType::Mobile);
        // London fixed line.
        check("+44 20 7946 0018", "GB", LineType::FixedLine);
        // The North American plan cannot tell fixed from mobile.
        check("+1 201 555 0123", "US", LineType::FixedLineOrMobile);
        // Canada shares +1; the region comes from the area code.
        check("+1 604 555 0199", "CA", LineType::FixedLineOrMobile);
        // Japan mobile (090), Japan IP phone (050).
        check("+81 90 1234 5678", "JP", LineType::Mobile);
        check("+81 50 1234 5678", "JP", LineType::Voip);
        check("+1 800 555 0100", "US", LineType::TollFree);
    }
}
