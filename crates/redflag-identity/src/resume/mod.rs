//! Resumes: text extraction, light section parsing, MinHash/LSH near-duplicate search, and reused phrase
//! blocks (winnowing fingerprints).

mod extract;
mod minhash;
mod passages;
pub mod sections;

pub use extract::{ExtractLimits, ResumeFormat, ResumeText, extract_text};
pub use minhash::{
    LshIndex, MinHashConfig, MinHasher, Signature, matched_passages, shingles, words,
};
pub use passages::{
    PassageConfig, PassageIndex, SharedPassage, fingerprints, shared_passages_with,
};
