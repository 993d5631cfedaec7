//! Payroll / payout change exports (CSV, one row per set-up or change of the account a person is paid
//! to) into [`EventKind::PayoutChange`] events, through a [`PayoutMapping`].
//!
//! Each event carries the row's email as its identifier (the store attributes events to subjects by
//! identifiers); the employee id is part of the event's stable key but is not an identifier, because the
//! model has no identifier kind for an HR employee number. A row without an email is rejected.

use std::io::{Read, Seek};

use redflag_model::{
    CryptoWallet, Event, EventId, EventKind, Identifier, PayoutAccount, PayoutChange, PayoutMethod,
    Provenance,
};
use serde::Deserialize;

use crate::framing::Checkpoint;
use crate::table::{ColumnMapping, CsvTable};
use crate::{ConnectorError, ReadCounts, Record, Reject};

/// The connector name in provenance and event ids.
pub const CONNECTOR: &str = "payroll-csv";

/// The fields of a payout change export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutField {
    /// The HR system's employee id (part of the event's key; not an identifier).
    EmployeeId,
    /// The person's email (the identifier the event is attributed by).
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

const GENERIC: &str = include_str!("../mappings/payroll-generic.yaml");

impl PayoutMapping {
    /// The built-in mapping for `name` (`generic`), from `mappings/payroll-*.yaml`.
    pub fn builtin(name: &str) -> Option<Self> {
        let text = match name {
            "generic" => GENERIC,
            _ => return None,
        };
        Self::from_yaml(text, name).ok()
    }

    /// The generic mapping (the column names of common payroll exports and of redflag-synth).
    pub fn generic() -> Self {
        #[allow(clippy::expect_used)]
        Self::builtin("generic").expect("the embedded generic payroll mapping parses (tested)")
    }
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

/// Streams [`Event`]s out of a payout change CSV.
pub struct PayrollReader<R: Read> {
    table: CsvTable<R, PayoutField>,
}

impl<R: Read> PayrollReader<R> {
    /// Opens a reader; `source` names the file in provenance and rejects.
    pub fn new(input: R, source: &str, mapping: &PayoutMapping) -> Result<Self, ConnectorError> {
        let table = CsvTable::open(
            input,
            source,
            mapping,
            &[
                (
                    &[PayoutField::Email],
                    "no email column to attribute changes by",
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
            ],
        )?;
        Ok(Self { table })
    }

    /// What the reader has done so far.
    pub fn counts(&self) -> ReadCounts {
        self.table.counts
    }

    /// Where to resume after the rows handed out so far.
    pub fn checkpoint(&self) -> Checkpoint {
        self.table.checkpoint()
    }

    fn event(&self, line: u64) -> Result<Event, Reject> {
        use PayoutField as F;
        let t = &self.table;
        let email = t.first(F::Email).ok_or_else(|| {
            t.reject(
                line,
                Some(F::Email),
                "no email to attribute the change to (an employee id alone cannot be attributed)",
            )
        })?;
        let email =
            Identifier::email(email).map_err(|e| t.reject(line, Some(F::Email), e.to_string()))?;
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
                &email.value(),
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
            identifiers: vec![email],
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

impl<R: Read + Seek> PayrollReader<R> {
    /// Opens a reader and moves it to `checkpoint` (taken from the same file).
    pub fn resume(
        input: R,
        source: &str,
        mapping: &PayoutMapping,
        checkpoint: Checkpoint,
    ) -> Result<Self, ConnectorError> {
        let mut reader = Self::new(input, source, mapping)?;
        reader.table.seek(checkpoint)?;
        Ok(reader)
    }
}

impl<R: Read> Iterator for PayrollReader<R> {
    type Item = Record<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = match self.table.next_row()? {
            Ok(line) => self.event(line),
            Err(reject) => Err(reject),
        };
        match item {
            Ok(_) => self.table.counts.accepted += 1,
            Err(_) => self.table.counts.rejected += 1,
        }
        Some(item)
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
