//! Asset records declare device ownership: a device shipped to a subject belongs to that subject, so
//! the endpoint inventory rows that name the device (osquery `hardware_serial`, host name) can be
//! attributed to them (DESIGN §8: "asset/MDM exports declare which identifiers belong to whom").

use crate::{Result, Store, query_err};

impl Store {
    /// Registers every device identifier carried by an attributed shipment event as an identifier of
    /// the shipment's subject, then attributes the events that name those devices. Returns how many
    /// device claims were added. Idempotent.
    pub async fn claim_shipped_devices(&self) -> Result<u64> {
        let result = sqlx::query(
            "INSERT INTO identifiers (kind, value, subject_id)
             SELECT DISTINCT ei.kind, ei.value, e.subject_id
             FROM events e JOIN event_identifiers ei ON ei.event_id = e.id
             WHERE e.kind = 'shipment' AND e.subject_id IS NOT NULL AND ei.kind = 'device'
             ON CONFLICT DO NOTHING",
        )
        .execute(&self.pool)
        .await
        .map_err(query_err("claiming shipped devices"))?;
        Self::attribute_events_where(&self.pool, "i.kind = 'device'", &[]).await?;
        Ok(result.rows_affected())
    }
}
