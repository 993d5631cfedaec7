//! Sanctions and watchlist screening: reads the official list files, normalises names across scripts
//! and romanisations, builds an in-memory index, and returns explained, deterministic matches.
//!
//! - [`load_path`] parses a list file ([`ListFormat`], sniffed with [`ListFormat::Auto`]) into a
//!   [`ListSnapshot`] ([`ListInfo`] + [`Entity`]s), streaming: never the whole document in memory, and never
//!   a partial list: a truncated or malformed file is an error naming the file, line, column and element.
//! - [`builtin_snapshots`] gives the lists vendored in `data/sanctions/` (OFAC SDN of 2025-11-19).
//! - [`Index::build`] indexes snapshots; [`Index::screen`] answers a [`Query`] with [`Match`]es, each with
//!   a score in [0, 1] and a field-by-field [`Explanation`].
//! - [`BatchScreener`] screens batches in parallel (rayon), results in input order.
//! - [`fact_specs`] / [`screen_subject`] are the pipeline's entry points (`sanctions.*` facts).
//!
//! **Design decision:** names are compared as *units*, not strings. A unit is a word, or a syllable of a
//! romanised Korean name, carrying the Hangul syllables it can spell (`data/korean_romanisation.tsv`), so
//! `Shim Hyun-seop`, `Sim Hyon Sop` and `심현섭` meet without any Korean special case in the matcher; the
//! same units are the index's blocking keys, so a query looks at a few posting lists instead of the list.
//! Listed names that normalise alike form one *name group*, scored once and then expanded to every entity
//! carrying it, so a common name shared by hundreds of listed people never crowds the true one out.
//! Chinese syllables work the same way through `data/chinese_romanisation.tsv` (`Chang Chih-ming` =
//! `Zhang Zhiming`); a query word that is no syllable and no listed word is looked up one typo away.
//! Wallets, emails, phones, websites and document numbers are decisive: an exact one is a match whatever
//! the name says (EVM addresses compared case-insensitively).
//!
//! ```
//! use redflag_watchlist::{Index, Query, ScreenOptions, builtin_snapshots};
//!
//! let index = Index::build(builtin_snapshots().unwrap());
//! let hits = index.screen(&Query::name("Shim Hyun-seop"), &ScreenOptions::default()).unwrap();
//! assert_eq!(hits[0].entity_id, "42498");
//! let hits = index
//!     .screen(&Query::default().with_wallet("0x4F47BC496083C727C5FBE3CE9CDF2B0F6496270C"), &ScreenOptions::default())
//!     .unwrap();
//! assert!(hits[0].exact_identifier);
//! ```
//!
//! Must never: touch the store, the server or the network (downloads belong to the CLI), flag anyone for
//! a name's origin alone (a match is evidence about a listed party, scored and explained), or make a list
//! active that did not parse completely.

mod batch;
mod builtin;
mod compact;
mod entity;
mod error;
mod facts;
mod index;
pub mod normalize;
mod parse;
mod repository;

pub use batch::BatchScreener;
pub use builtin::builtin_snapshots;
pub use compact::write_compact;
pub use entity::{
    Document, Entity, EntityKind, EntityName, ListInfo, ListSnapshot, NamePart, NamePartKind,
    NameStrength, PartialDate, WalletEntry, country_code_or_text,
};
pub use error::{Location, QueryError, WatchlistError};
pub use facts::{fact_specs, screen_subject, subject_query};
pub use index::{
    DEFAULT_THRESHOLD, DEFAULT_TOP_K, Explanation, Index, Match, Query, ScreenOptions,
};
pub use parse::{ListFormat, load_bytes, load_path, load_reader};
pub use repository::{ImportOutcome, ListOrigin, ListRepository, ListStatus};
