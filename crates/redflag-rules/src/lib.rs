//! Red-flag rules as data (YAML with CEL conditions), evaluation of facts into findings, and scoring.
//! Filled by issue #7.
//!
//! Must never: compute facts itself, touch the store, the server or the network.
