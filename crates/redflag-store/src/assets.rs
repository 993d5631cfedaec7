//! Asset records declare device ownership: a device shipped to a subject belongs to that subject, so
//! the endpoint inventory rows that name the device (osquery `hardware_serial`, host name) can be
//! attributed to them (DESIGN §8: "asset/MDM exports declare which identifiers belong to whom").

use std::collections::BTreeSet;

use redflag_model::IdentifierKind;
use sqlx::Row;

use crate::events::{event_from_row, fixed_chunks};
use crate::{Backend, Result, Store, marks, query_err, rows_clause};

/// Device claims per statement at most.
const CLAIM_ROWS: usize = 256;

impl Store {
    /// Registers every device identifier carried by an attributed shipment event as an identifier of
    /// the shipment's subject, then attributes the events that name those devices. Returns how many
    /// device claims were added. Idempotent. The cost follows the shipments and the new claims: the
    /// shipments are read through the event-kind index, and the events naming a newly claimed device
    /// are found through the identifier index (nothing else is scanned).
    pub async fn claim_shipped_devices(&self) -> Result<u64> {
        let mut tx = self.begin().await?;
        if self.backend == Backend::Postgres {
            // Fresh statistics: right after a bulk load the planner knows nothing of the new rows
            // and would join the claims to every event by a scan (60 s for 100k rows instead of 1 s).
            sqlx::query("ANALYZE events, event_identifiers, identifiers")
                .execute(&mut *tx)
                .await
                .map_err(query_err("analysing event tables"))?;
        }
        let rows = sqlx::query(
            "SELECT id, time, subject_id, body FROM events
             WHERE kind = 'shipment' AND subject_id IS NOT NULL",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(query_err("reading shipments"))?;
        let device = IdentifierKind::Device.as_str();
        let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
        for row in &rows {
            let event = event_from_row(row)?;
            let Some(subject) = event.subject else {
                continue;
            };
            for identifier in &event.identifiers {
                if identifier.kind() == IdentifierKind::Device {
                    wanted.insert((subject.as_str().to_string(), identifier.value()));
                }
            }
        }
        // Lowest subject first (the set's order), so a device shipped to two subjects goes to the
        // lowest id, as any other shared identifier does.
        let wanted: Vec<(String, String)> = wanted.into_iter().collect();
        let mut added = 0u64;
        for range in fixed_chunks(wanted.len(), CLAIM_ROWS) {
            let part = &wanted[range];
            let sql = format!(
                "INSERT INTO identifiers (kind, value, subject_id) VALUES {}
                 ON CONFLICT DO NOTHING RETURNING value",
                rows_clause(self.backend, part.len(), 3)
            );
            let mut query = sqlx::query(&sql);
            for (subject, value) in part {
                query = query
                    .bind(device)
                    .bind(value.as_str())
                    .bind(subject.as_str());
            }
            let returned = query
                .fetch_all(&mut *tx)
                .await
                .map_err(query_err("claiming shipped devices"))?;
            added += returned.len() as u64;
            let new: BTreeSet<String> = returned
                .iter()
                .map(|row| row.try_get::<String, _>(0))
                .collect::<std::result::Result<_, _>>()
                .map_err(query_err("claiming shipped devices"))?;
            let values: Vec<&str> = new.iter().map(String::as_str).collect();
            for range in fixed_chunks(values.len(), CLAIM_ROWS) {
                let values = &values[range];
                let filter = format!(
                    "i.kind = 'device' AND i.value IN ({})",
                    marks(self.backend, 1, values.len())
                );
                Self::attribute_events_where(&mut *tx, &filter, values).await?;
            }
        }
        tx.commit()
            .await
            .map_err(query_err("committing device claims"))?;
        Ok(added)
    }
}
