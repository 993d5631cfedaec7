//! Event files: IdP sign-ins, osquery results, payroll changes, laptop shipments and resumes.

use std::net::Ipv4Addr;
use std::path::Path;

use crate::config::WorldConfig;
use crate::error::SynthError;
use crate::person::Person;
use crate::world::{World, WrittenFile};

/// The home connection address of a facilitator's laptop farm.
pub(crate) fn facilitator_ip(config: &WorldConfig, id: u32) -> Ipv4Addr {
    let x = crate::rng::mix(config.seed ^ u64::from(id));
    Ipv4Addr::new(73, (x >> 8) as u8, (x >> 16) as u8, (x >> 24) as u8 | 1)
}

/// Streaming writers of the event files.
pub(crate) struct EventWriters {}

impl EventWriters {
    pub(crate) fn create(_dir: &Path, _config: &WorldConfig) -> Result<Self, SynthError> {
        Ok(Self {})
    }

    pub(crate) fn write_person(
        &mut self,
        _world: &World,
        _person: &Person,
    ) -> Result<(), SynthError> {
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<Vec<WrittenFile>, SynthError> {
        Ok(Vec::new())
    }
}
