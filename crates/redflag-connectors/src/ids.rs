//! Hot-path helpers for building the domain model: event ids hashed without intermediate strings, and
//! e-mail validation that skips building an error for logins without an `@`.

use redflag_model::{EventId, Identifier};
use sha2::{Digest, Sha256};

/// Builds the same id as [`EventId::derive`] (SHA-256 of the connector name and each key part after a
/// zero byte, first 16 bytes in lower-case hex), but takes the key parts piece by piece, so a key made
/// of many fields is hashed where it lies instead of being joined into a string first. Ids must never
/// change between versions: re-ingesting a file relies on them.
pub(crate) struct IdHasher(Sha256);

impl IdHasher {
    /// Starts an id for `connector`.
    pub(crate) fn new(connector: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(connector.as_bytes());
        Self(hasher)
    }

    /// Adds one key part (as one element of [`EventId::derive`]'s `key_parts`).
    pub(crate) fn part(&mut self, part: &str) -> &mut Self {
        self.0.update([0u8]);
        self.0.update(part.as_bytes());
        self
    }

    /// Continues the current key part with more bytes (for a part the caller would have concatenated).
    pub(crate) fn more(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(bytes);
        self
    }

    /// The id.
    pub(crate) fn finish(self) -> EventId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = self.0.finalize();
        // the 32 hex digits on the stack, then one exact allocation (no per-character pushes)
        let mut hex = [0u8; 32];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(&digest[..16]) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        // always ASCII
        EventId::from_stored(std::str::from_utf8(&hex).unwrap_or_default().to_owned())
    }
}

/// [`EventId::derive`] through [`IdHasher`].
pub(crate) fn event_id(connector: &str, key_parts: &[&str]) -> EventId {
    let mut hasher = IdHasher::new(connector);
    for part in key_parts {
        hasher.part(part);
    }
    hasher.finish()
}

/// [`Identifier::email`], or `None` when the text is not an e-mail address (the callers then treat it
/// as a provider login). Not memoised: a memo of the thousands of logins of a real log outgrows the
/// CPU caches, and its lookups (a cache miss each) cost more than the model's parse of a short address.
/// Text without an `@` is refused here without building the model's error.
pub(crate) fn email(login: &str) -> Option<Identifier> {
    if !login.contains('@') {
        return None;
    }
    Identifier::email(login).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_those_of_the_model() {
        for (connector, parts) in [
            ("okta", vec!["c1e0f3b4-1a2b-11ef-9a1b-0242ac120002"]),
            ("entra", vec![""]),
            (
                "osquery",
                vec!["host-1", "pack_x", "1713258721", "added", "k\u{1f}v\u{1e}"],
            ),
            ("x", vec![]),
            ("日本", vec!["é", "\0", "a\0b"]),
        ] {
            assert_eq!(
                event_id(connector, &parts),
                EventId::derive(connector, &parts)
            );
        }
        // a part fed in pieces hashes as the joined part
        let mut h = IdHasher::new("osquery");
        h.part("host").part("k");
        h.more(b"\x1fv\x1e").more(b"k2\x1fv2\x1e");
        assert_eq!(
            h.finish(),
            EventId::derive("osquery", &["host", "k\u{1f}v\u{1e}k2\u{1f}v2\u{1e}"])
        );
    }

    #[test]
    fn email_gives_what_the_model_gives() {
        for login in [
            "Ann.Lee@Example.com",
            "ann.lee@example.com",
            "not an email",
            "",
            "a@b",
            "user.name",
            " x@y.z ",
            "@",
        ] {
            for _ in 0..2 {
                assert_eq!(email(login), Identifier::email(login).ok(), "{login}");
            }
        }
    }
}
