//! PROVISIONAL fact registry for tests only.
//!
//! The engines that produce these facts (endpoint inventory, work activity, linkage, interview telemetry) are
//! being written now; until each exports `fact_specs()`, this file declares the names the rules in
//! `rules/endpoint/`, `rules/work/`, `rules/linkage/` and `rules/interview/` read. When an engine lands, its
//! own specs replace these entries (the lead's pipeline builds the real registry). A few facts of other areas
//! (`claim.*`, `net.*`) are declared only to exercise the fairness lint and evaluation.

use redflag_model::{FactRegistry, FactSpec, FactType};

const fn spec(
    name: &'static str,
    fact_type: FactType,
    producer: &'static str,
    meaning: &'static str,
) -> FactSpec {
    FactSpec {
        name,
        fact_type,
        producer,
        meaning,
        example: "",
        protected: false,
    }
}

const fn protected(name: &'static str, meaning: &'static str) -> FactSpec {
    FactSpec {
        name,
        fact_type: FactType::String,
        producer: "provisional",
        meaning,
        example: "",
        protected: true,
    }
}

/// The facts the rules of this crate's folders read, with their provisional types.
pub fn provisional_specs() -> Vec<FactSpec> {
    use FactType::*;
    vec![
        spec(
            "endpoint.remote_tool_count",
            Int,
            "provisional:endpoint",
            "Distinct unsanctioned remote-control tools seen.",
        ),
        spec(
            "endpoint.remote_tools",
            StringList,
            "provisional:endpoint",
            "Names of those tools.",
        ),
        spec(
            "endpoint.ip_kvm_device",
            Bool,
            "provisional:endpoint",
            "USB/EDID fingerprint of PiKVM, TinyPilot or JetKVM.",
        ),
        spec(
            "endpoint.usb_gadget_composite",
            Bool,
            "provisional:endpoint",
            "A 1d6b:0104 Linux gadget composite device.",
        ),
        spec(
            "endpoint.mouse_jiggler",
            Bool,
            "provisional:endpoint",
            "Anti-idle software or a jiggler device present.",
        ),
        spec(
            "endpoint.vpn_client_astrill",
            Bool,
            "provisional:endpoint",
            "Astrill VPN client installed.",
        ),
        spec(
            "endpoint.vm_guest_tools",
            Bool,
            "provisional:endpoint",
            "Hypervisor guest tools present.",
        ),
        spec(
            "endpoint.serial_mismatch",
            Bool,
            "provisional:endpoint",
            "Reported serial differs from the shipped serial.",
        ),
        spec(
            "work.bulk_download_count",
            Int,
            "provisional:work",
            "Most files downloaded in one day.",
        ),
        spec(
            "work.repo_clone_count_7d",
            Int,
            "provisional:work",
            "Repositories cloned in the last 7 days.",
        ),
        spec(
            "work.github_account_younger_than_commits",
            Bool,
            "provisional:work",
            "Commits predate the GitHub account.",
        ),
        spec(
            "work.days_since_hire",
            Int,
            "provisional:work",
            "Days since the start date.",
        ),
        spec(
            "work.privilege_requests",
            Int,
            "provisional:work",
            "Requests for elevated access.",
        ),
        spec(
            "work.identity_switch",
            Bool,
            "provisional:work",
            "Work identity changed mid-engagement.",
        ),
        spec(
            "work.external_push_count",
            Int,
            "provisional:work",
            "Pushes of company code to non-org remotes.",
        ),
        spec(
            "ring.size",
            Int,
            "provisional:linkage",
            "Members of the subject's ring (1 when alone).",
        ),
        spec(
            "ring.shared_payout_account",
            Bool,
            "provisional:linkage",
            "Payout account shared with another member.",
        ),
        spec(
            "ring.shared_shipping_address",
            Bool,
            "provisional:linkage",
            "Laptop shipping address shared with another member.",
        ),
        spec(
            "ring.member_with_sanctions_hit",
            Bool,
            "provisional:linkage",
            "Another member matches a sanctions entry.",
        ),
        spec(
            "interview.count",
            Int,
            "provisional:interview",
            "Video interviews held.",
        ),
        spec(
            "interview.camera_on_ratio",
            Float,
            "provisional:interview",
            "Share of interviews with the camera on.",
        ),
        spec(
            "interview.in_person_declines",
            Int,
            "provisional:interview",
            "Declined in-person steps.",
        ),
        spec(
            "interview.face_mismatch",
            Bool,
            "provisional:interview",
            "Face comparison across stages failed.",
        ),
    ]
}

/// Facts of other areas, for lint and evaluation tests only.
pub fn other_specs() -> Vec<FactSpec> {
    vec![
        protected("claim.nationality", "Claimed nationality."),
        protected("claim.language", "Claimed native language."),
        protected("claim.name_origin", "Inferred origin of the name."),
        spec(
            "claim.country",
            FactType::String,
            "provisional",
            "Claimed country of residence.",
        ),
        spec(
            "net.signin_country",
            FactType::String,
            "provisional",
            "Most frequent observed sign-in country.",
        ),
        spec(
            "net.vpn_share",
            FactType::Float,
            "provisional",
            "Share of sign-ins through a VPN.",
        ),
        spec(
            "net.vpn_sign_in_count",
            FactType::Int,
            "provisional",
            "Sign-ins through a VPN.",
        ),
        spec(
            "net.signin_countries",
            FactType::StringList,
            "provisional",
            "Observed sign-in countries.",
        ),
        spec(
            "tz.inferred_offset_hours",
            FactType::IntList,
            "provisional",
            "Candidate UTC offsets from activity.",
        ),
        spec(
            "identity.phone.line_type",
            FactType::String,
            "provisional",
            "Line type of the phone (three segments).",
        ),
    ]
}

/// Provisional plus other-area facts.
pub fn registry() -> FactRegistry {
    let mut registry = FactRegistry::new();
    registry.register(provisional_specs()).unwrap();
    registry.register(other_specs()).unwrap();
    registry
}
