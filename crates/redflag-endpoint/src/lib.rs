//! Endpoint and work-activity facts (being written).
