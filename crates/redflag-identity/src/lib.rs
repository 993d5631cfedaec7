//! Identity signals: phones, emails and their domains, documents, resumes, photos, references, payouts
//! and shipping. Filled by issue #6.
//!
//! Must never: touch the store, the server or the network.
