//! Payroll / payout change exports (CSV, one row per set-up or change of the account a person is paid
//! to) into [`EventKind::PayoutChange`] events, through a [`PayoutMapping`].
//!
//! Each event carries the row's email and its employee id (an [`Identifier::EmployeeId`] scoped by the
//! mapping's `employee_id_system`) as identifiers; the store attributes events to subjects by them, so
//! a row with only an employee id goes to the person whose people-file row has that number. A row with
//! neither is rejected.

use std::io::Read;

use redflag_model::{
    CryptoWallet, Event, EventId, EventKind, PayoutAccount, PayoutChange, PayoutMethod, Provenance,
};
use serde::Deserialize;

use crate::Reject;
use crate::table::{ColumnMapping, CsvTable, MappedField, MappedReader, RowKind};

/// The connector name in provenance and event ids.
pub const CONNECTOR: &str = "payroll-csv";

/// The fields of a payout change export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutField {
    /// The HR system's employee id (an identifier the event is attributed by, and part of its key).
    EmployeeId,
    /// The person's email (an identifier the event is attributed by).
    Email,
    /// When the change takes (or took) effect.
    Time,
    /// `initial`, `update`, … (part of the event's key).
    ChangeType,
    /// bank / payment_service / crypto / other, or a vendor's wording of them.
    Method,
    /// Bank or service name (`Payoneer`, `Wise`, `Chase`), or the crypto currency.
    Provider,
    /// The account reference (IBAN, account number, service login) or wallet address.
    Account,
    /// A wallet address column, where the export keeps wallets apart.
    Wallet,
    /// The account's country.
    Country,
}

/// A column mapping for payout change exports.
pub type PayoutMapping = ColumnMapping<PayoutField>;

impl MappedField for PayoutField {
    const KIND: &'static str = "payroll";
    const BUILTINS: &'static [(&'static str, &'static str)] =
        &[("generic", include_str!("../mappings/payroll-generic.yaml"))];
}

/// Reads a payout method from a vendor's wording; `None` for an empty cell.
pub fn payout_method(text: &str) -> Option<PayoutMethod> {
    let key = crate::table::header_key(text);
    if key.is_empty() {
        return None;
    }
    Some(match key.as_str() {
        "bank" | "banktransfer" | "directdeposit" | "ach" | "wire" | "wiretransfer" | "sepa"
        | "swift" | "iban" | "checking" | "savings" => PayoutMethod::Bank,
        "paymentservice" | "psp" | "payoneer" | "wise" | "transferwise" | "paypal" | "revolut"
        | "deel" | "remote" | "ewallet" => PayoutMethod::PaymentService,
        "crypto" | "cryptocurrency" | "usdt" | "usdc" | "btc" | "bitcoin" | "eth" | "ethereum"
        | "wallet" | "stablecoin" => PayoutMethod::Crypto,
        _ => PayoutMethod::Other,
    })
}

/// Payout change rows, for [`MappedReader`].
#[derive(Debug, Clone, Copy)]
pub struct PayoutRows;

/// Streams [`Event`]s out of a payout change CSV.
pub type PayrollReader<R> = MappedReader<R, PayoutRows>;

impl RowKind for PayoutRows {
    type Field = PayoutField;
    const REQUIRED: &'static [(&'static [PayoutField], &'static str)] = &[
        (
            &[PayoutField::Email, PayoutField::EmployeeId],
            "no email or employee id column to attribute changes by",
        ),
        (&[PayoutField::Time], "no effective date column"),
        (
            &[
                PayoutField::Account,
                PayoutField::Wallet,
                PayoutField::Provider,
            ],
            "no account, wallet or provider column",
        ),
    ];

    fn event<R: Read>(t: &CsvTable<R, PayoutField>, line: u64) -> Result<Event, Reject> {
        use PayoutField as F;
        let (email, employee) = t.attribution(line, F::Email, F::EmployeeId, "change")?;
        let (time, offset) = t.time(line, F::Time)?;
        let provider = t.first(F::Provider);
        let account_text = t.first(F::Account);
        let wallet_text = t.first(F::Wallet);
        let method = match t.first(F::Method).and_then(payout_method) {
            Some(m) => m,
            None => match (wallet_text, provider.and_then(payout_method)) {
                (Some(_), _) => PayoutMethod::Crypto,
                (None, Some(PayoutMethod::Other)) | (None, None) => {
                    if account_text.is_some() {
                        PayoutMethod::Bank
                    } else {
                        PayoutMethod::Other
                    }
                }
                (None, Some(m)) => m,
            },
        };
        let (account, wallet) = if method == PayoutMethod::Crypto {
            let address = wallet_text.or(account_text).ok_or_else(|| {
                t.reject(
                    line,
                    Some(F::Account),
                    "a crypto payout without a wallet address",
                )
            })?;
            let field = if wallet_text.is_some() {
                F::Wallet
            } else {
                F::Account
            };
            let wallet = CryptoWallet::parse_with_hint(address, provider)
                .map_err(|e| t.reject(line, Some(field), e.to_string()))?;
            (None, Some(wallet))
        } else {
            let account = match account_text {
                Some(account) => Some(
                    PayoutAccount::new(provider.unwrap_or(method_name(method)), account)
                        .map_err(|e| t.reject(line, Some(F::Account), e.to_string()))?,
                ),
                None => None,
            };
            (account, None)
        };
        let country = t
            .first(F::Country)
            .map(|c| {
                crate::reader::country(c).ok_or_else(|| {
                    t.reject(line, Some(F::Country), format!("{c:?} is not a country"))
                })
            })
            .transpose()?;
        let utc = time.to_rfc3339();
        let key_account = account
            .as_ref()
            .map(|a| format!("{}:{}", a.provider, a.account))
            .or_else(|| wallet.as_ref().map(|w| w.address.clone()))
            .unwrap_or_default();
        let id = EventId::derive(
            CONNECTOR,
            &[
                t.first(F::EmployeeId).unwrap_or(""),
                &email.as_ref().map(|e| e.value()).unwrap_or_default(),
                &utc,
                t.first(F::ChangeType).unwrap_or(""),
                method_name(method),
                &key_account,
            ],
        );
        Ok(Event {
            id,
            time,
            utc_offset_seconds: offset,
            kind: EventKind::PayoutChange(PayoutChange {
                method,
                provider: provider.map(str::to_string),
                account,
                wallet,
                country,
            }),
            identifiers: email.into_iter().chain(employee).collect(),
            subject: None,
            provenance: Provenance::at_line(CONNECTOR, t.source(), line),
        })
    }
}

fn method_name(method: PayoutMethod) -> &'static str {
    match method {
        PayoutMethod::Bank => "bank",
        PayoutMethod::PaymentService => "payment_service",
        PayoutMethod::Crypto => "crypto",
        PayoutMethod::Other => "other",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Option<PayoutMethod>) {
        assert_eq!(payout_method(text), expect, "{text}");
    }

    #[test]
    fn method_wordings() {
        check("Direct Deposit", Some(PayoutMethod::Bank));
        check("payment_service", Some(PayoutMethod::PaymentService));
        check("Payoneer", Some(PayoutMethod::PaymentService));
        check("USDT", Some(PayoutMethod::Crypto));
        check("cheque", Some(PayoutMethod::Other));
        check("  ", None);
    }

    #[test]
    fn generic_mapping_parses() {
        let m = PayoutMapping::generic();
        assert!(m.fields.contains_key(&PayoutField::Email));
        assert!(PayoutMapping::builtin("nope").is_none());
    }
}
