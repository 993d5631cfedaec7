//! A shipped laptop's serial becomes its recipient's identifier, so its inventory rows are theirs.

use chrono::{TimeZone, Utc};
use redflag_model::{
    DeviceId, DeviceKind, EndpointObservation, Event, EventId, EventKind, Identifier, PersonName,
    PostalAddress, Provenance, Shipment, Subject, SubjectId, SubjectKind,
};
use redflag_store::Store;

fn event(id: &str, kind: EventKind, identifiers: Vec<Identifier>) -> Event {
    Event {
        id: EventId::derive("test", &[id]),
        time: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
        utc_offset_seconds: 0,
        kind,
        identifiers,
        subject: None,
        provenance: Provenance::at_line("test", "test", 1),
    }
}

#[tokio::test]
async fn shipped_devices_attribute_their_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    let email = Identifier::email("ann@example.com").unwrap();
    store
        .upsert_subjects(&[Subject {
            id: SubjectId::new("hris", "1").unwrap(),
            kind: SubjectKind::Employee,
            name: PersonName::new(Some("Ann Lee"), None, None).unwrap(),
            claimed: Default::default(),
            role: None,
            identifiers: vec![email.clone()],
            attributes: Default::default(),
            provenance: Provenance::at_line("people-csv", "people.csv", 2),
        }])
        .await
        .unwrap();
    let serial = Identifier::Device(DeviceId::new(DeviceKind::Serial, "c02xk1abcd").unwrap());
    let inventory = event(
        "usb",
        EventKind::Endpoint(EndpointObservation {
            host: "host-1".into(),
            table: "usb_devices".into(),
            action: "added".into(),
            columns: Default::default(),
        }),
        vec![serial.clone()],
    );
    store.insert_events(&[inventory]).await.unwrap();
    assert_eq!(store.counts().await.unwrap().unattributed_events, 1);

    let shipment = event(
        "ship",
        EventKind::Shipment(Shipment {
            address: PostalAddress::new("1 Main St, Dallas TX", None).unwrap(),
            item: Some("laptop".into()),
            serial: Some("C02XK1ABCD".into()),
        }),
        vec![email, serial],
    );
    store.insert_events(&[shipment]).await.unwrap();
    assert_eq!(store.claim_shipped_devices().await.unwrap(), 1);
    assert_eq!(store.counts().await.unwrap().unattributed_events, 0);
    // Idempotent.
    assert_eq!(store.claim_shipped_devices().await.unwrap(), 0);
}
