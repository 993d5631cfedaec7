//! Device shipping exports (IT asset / logistics CSV, one row per laptop or device shipped) into
//! [`EventKind::Shipment`] events, through a [`ShipmentMapping`].
//!
//! Each event carries the row's email, the device's serial when the row names one (an asset record
//! declares whose device it is, so the store can attribute that device's inventory rows to the
//! recipient) and the employee id (an [`Identifier::EmployeeId`] scoped by the mapping's
//! `employee_id_system`, so a row without an email still finds its person) as identifiers; a row with
//! neither email nor employee id is rejected. The employee id, asset tag, serial and tracking number are
//! part of the stable key. Shipping exports usually carry calendar dates: the built-in
//! mapping declares them UTC (a date has no hour to shift), a custom mapping may declare another zone.

use std::io::Read;

use redflag_model::{
    DeviceId, DeviceKind, Event, EventId, EventKind, Identifier, PostalAddress, Provenance,
    Shipment,
};
use serde::Deserialize;

use crate::Reject;
use crate::table::{ColumnMapping, CsvTable, MappedField, MappedReader, RowKind};

/// The connector name in provenance and event ids.
pub const CONNECTOR: &str = "shipping-csv";

/// The fields of a shipping export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentField {
    /// The HR system's employee id (an identifier the event is attributed by, and part of its key).
    EmployeeId,
    /// The recipient's email (an identifier the event is attributed by).
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

impl MappedField for ShipmentField {
    const KIND: &'static str = "shipping";
    const BUILTINS: &'static [(&'static str, &'static str)] =
        &[("generic", include_str!("../mappings/shipping-generic.yaml"))];
}

/// Device shipment rows, for [`MappedReader`].
#[derive(Debug, Clone, Copy)]
pub struct ShipmentRows;

/// Streams [`Event`]s out of a shipping CSV.
pub type ShippingReader<R> = MappedReader<R, ShipmentRows>;

impl RowKind for ShipmentRows {
    type Field = ShipmentField;
    const REQUIRED: &'static [(&'static [ShipmentField], &'static str)] = &[
        (
            &[ShipmentField::Email, ShipmentField::EmployeeId],
            "no email or employee id column to attribute shipments by",
        ),
        (&[ShipmentField::Time], "no ship date column"),
        (&[ShipmentField::Address], "no address column"),
    ];

    fn event<R: Read>(t: &CsvTable<R, ShipmentField>, line: u64) -> Result<Event, Reject> {
        use ShipmentField as F;
        let (email, employee) = t.attribution(line, F::Email, F::EmployeeId, "shipment")?;
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
                &email.as_ref().map(|e| e.value()).unwrap_or_default(),
                &time.to_rfc3339(),
                &address.normalised,
                tag.unwrap_or(""),
                serial.as_deref().unwrap_or(""),
                t.first(F::Carrier).unwrap_or(""),
                t.first(F::TrackingNumber).unwrap_or(""),
            ],
        );
        let mut identifiers: Vec<Identifier> = email.into_iter().collect();
        if let Some(device) = serial
            .as_deref()
            .and_then(|s| DeviceId::new(DeviceKind::Serial, s).ok())
        {
            identifiers.push(Identifier::Device(device));
        }
        identifiers.extend(employee);
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
