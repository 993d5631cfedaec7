//! Device shipping exports (IT asset / logistics CSV, one row per laptop or device shipped) into
//! [`EventKind::Shipment`] events, through a [`ShipmentMapping`].
//!
//! Each event carries the row's email and, when the row names one, the device's serial as identifiers
//! (an asset record declares whose device it is, so the store can attribute that device's inventory
//! rows to the recipient); the employee id, asset tag, serial and tracking number are part of the
//! stable key. Shipping exports usually carry calendar dates: the built-in
//! mapping declares them UTC (a date has no hour to shift), a custom mapping may declare another zone.

use std::io::{Read, Seek};

use redflag_model::{
    DeviceId, DeviceKind, Event, EventId, EventKind, Identifier, PostalAddress, Provenance,
    Shipment,
};
use serde::Deserialize;

use crate::framing::Checkpoint;
use crate::table::{ColumnMapping, CsvTable};
use crate::{ConnectorError, ReadCounts, Record, Reject};

/// The connector name in provenance and event ids.
pub const CONNECTOR: &str = "shipping-csv";

/// The fields of a shipping export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentField {
    /// The HR system's employee id (part of the key; not an identifier).
    EmployeeId,
    /// The recipient's email (the identifier the event is attributed by).
    Email,
    /// Ship date or time.
    Time,
    /// The address; several columns (street, city, postcode, …) are joined with `, ` in mapping order.
    Address,
    /// The destination country.
    Country,
    /// The company's asset tag.
    AssetTag,
    /// The device serial number.
    Serial,
    /// The device model.
    Model,
    /// Carrier name (part of the key).
    Carrier,
    /// Tracking number (part of the key).
    TrackingNumber,
}

/// A column mapping for shipping exports.
pub type ShipmentMapping = ColumnMapping<ShipmentField>;

const GENERIC: &str = include_str!("../mappings/shipping-generic.yaml");

impl ShipmentMapping {
    /// The built-in mapping for `name` (`generic`), from `mappings/shipping-*.yaml`.
    pub fn builtin(name: &str) -> Option<Self> {
        let text = match name {
            "generic" => GENERIC,
            _ => return None,
        };
        Self::from_yaml(text, name).ok()
    }

    /// The generic mapping (common IT asset exports and redflag-synth's `laptop_shipments.csv`).
    pub fn generic() -> Self {
        #[allow(clippy::expect_used)]
        Self::builtin("generic").expect("the embedded generic shipping mapping parses (tested)")
    }
}

/// Streams [`Event`]s out of a shipping CSV.
pub struct ShippingReader<R: Read> {
    table: CsvTable<R, ShipmentField>,
}

impl<R: Read> ShippingReader<R> {
    /// Opens a reader; `source` names the file in provenance and rejects.
    pub fn new(input: R, source: &str, mapping: &ShipmentMapping) -> Result<Self, ConnectorError> {
        let table = CsvTable::open(
            input,
            source,
            mapping,
            &[
                (
                    &[ShipmentField::Email],
                    "no email column to attribute shipments by",
                ),
                (&[ShipmentField::Time], "no ship date column"),
                (&[ShipmentField::Address], "no address column"),
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
        use ShipmentField as F;
        let t = &self.table;
        let email = t.first(F::Email).ok_or_else(|| {
            t.reject(
                line,
                Some(F::Email),
                "no email to attribute the shipment to (an employee id alone cannot be attributed)",
            )
        })?;
        let email =
            Identifier::email(email).map_err(|e| t.reject(line, Some(F::Email), e.to_string()))?;
        let (time, offset) = t.time(line, F::Time)?;
        let country = t
            .first(F::Country)
            .map(|c| {
                crate::reader::country(c).ok_or_else(|| {
                    t.reject(line, Some(F::Country), format!("{c:?} is not a country"))
                })
            })
            .transpose()?;
        let address_text = t
            .joined(F::Address, ", ")
            .ok_or_else(|| t.reject(line, Some(F::Address), "no address"))?;
        let address = PostalAddress::new(&address_text, country)
            .map_err(|e| t.reject(line, Some(F::Address), e.to_string()))?;
        let model = t.first(F::Model);
        let tag = t.first(F::AssetTag);
        let item = match (model, tag) {
            (Some(model), Some(tag)) => Some(format!("{model} (asset {tag})")),
            (Some(model), None) => Some(model.to_string()),
            (None, Some(tag)) => Some(format!("asset {tag}")),
            (None, None) => None,
        };
        let serial = t.first(F::Serial).map(str::to_uppercase);
        let id = EventId::derive(
            CONNECTOR,
            &[
                t.first(F::EmployeeId).unwrap_or(""),
                &email.value(),
                &time.to_rfc3339(),
                &address.normalised,
                tag.unwrap_or(""),
                serial.as_deref().unwrap_or(""),
                t.first(F::Carrier).unwrap_or(""),
                t.first(F::TrackingNumber).unwrap_or(""),
            ],
        );
        let mut identifiers = vec![email];
        if let Some(device) = serial
            .as_deref()
            .and_then(|s| DeviceId::new(DeviceKind::Serial, s).ok())
        {
            identifiers.push(Identifier::Device(device));
        }
        Ok(Event {
            id,
            time,
            utc_offset_seconds: offset,
            kind: EventKind::Shipment(Shipment {
                address,
                item,
                serial,
            }),
            identifiers,
            subject: None,
            provenance: Provenance::at_line(CONNECTOR, t.source(), line),
        })
    }
}

impl<R: Read + Seek> ShippingReader<R> {
    /// Opens a reader and moves it to `checkpoint` (taken from the same file).
    pub fn resume(
        input: R,
        source: &str,
        mapping: &ShipmentMapping,
        checkpoint: Checkpoint,
    ) -> Result<Self, ConnectorError> {
        let mut reader = Self::new(input, source, mapping)?;
        reader.table.seek(checkpoint)?;
        Ok(reader)
    }
}

impl<R: Read> Iterator for ShippingReader<R> {
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
