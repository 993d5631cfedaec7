//! Network intelligence: where each sign-in comes from, VPN and hosting use, impossible travel and
//! activity-hours time-zone inference. Filled by issue #5.
//!
//! Must never: touch the store, the server or the network.
