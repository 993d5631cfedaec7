//! Sanctions and watchlist screening: parses the official list files, normalises names, builds an
//! in-memory index and returns explained matches. Filled by issue #4.
//!
//! Must never: touch the store, the server or the network at match time.
