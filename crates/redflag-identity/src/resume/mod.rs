//! Resumes: text extraction, light section parsing, and MinHash/LSH near-duplicate search.

mod extract;
mod minhash;
pub mod sections;

pub use extract::{ExtractLimits, ResumeFormat, ResumeText, extract_text};
pub use minhash::{
    LshIndex, MinHashConfig, MinHasher, Signature, matched_passages, shingles, words,
};
