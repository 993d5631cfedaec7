//! Name normalisation: from a name as written in any script to comparable *units*.
//!
//! Steps: Unicode NFKC; transliteration of non-Latin scripts to ASCII (any_ascii: Hangul to Revised
//! Romanisation, Han to pinyin, Cyrillic, Arabic, …, and diacritics dropped); case folding; apostrophes
//! (McCune-Reischauer's `Hyo'n`) removed; every other punctuation mark a word break; legal forms, honorifics
//! and connectives dropped (data file `data/name_stopwords.txt`); Korean words split into syllables when
//! the whole word spells syllables of `data/korean_romanisation.tsv` (`Sangman` = `Sang-man` = `Sang Man`),
//! else into Chinese syllables when it spells at most two of `data/chinese_romanisation.tsv` (`Zhiming` =
//! `Zhi-ming`, `Chih-ming`).
//! A unit keeps its text and its *keys*: for a Korean syllable, the Hangul syllables it can spell, so that
//! `Hyon`, `Hyun` and `Hyeon` meet on 현; for a Chinese syllable (Pinyin or Wade-Giles), the Pinyin
//! syllables it can spell as `z:<pinyin>` (`Chang` and `Zhang` meet on `z:zhang`, `Hsu` and `Xu` on
//! `z:xu`); for any other word, the word itself.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

const ROMANISATION: &str = include_str!("../data/korean_romanisation.tsv");
const STOPWORDS: &str = include_str!("../data/name_stopwords.txt");
const CHINESE: &str = include_str!("../data/chinese_romanisation.tsv");

/// Most syllables a joined Chinese word is split into (given names have one or two).
const CHINESE_MAX_SYLLABLES: usize = 2;

/// The data tables, parsed once.
struct Tables {
    /// romanised syllable -> Hangul syllables it can spell
    korean: HashMap<String, Vec<char>>,
    /// Hangul syllable -> its first (MR) spelling
    hangul_spelling: HashMap<char, String>,
    longest: usize,
    /// Pinyin or Wade-Giles spelling -> the Pinyin syllables it can spell, as keys (`z:zhang`). Sorted.
    chinese: HashMap<String, Vec<String>>,
    chinese_longest: usize,
    stopwords: HashSet<String>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut korean: HashMap<String, Vec<char>> = HashMap::new();
        let mut hangul_spelling = HashMap::new();
        for line in ROMANISATION.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split('\t');
            let (Some(h), Some(spellings)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Some(hangul) = h.trim().chars().next() else {
                continue;
            };
            for (i, s) in spellings.split_whitespace().enumerate() {
                if i == 0 {
                    hangul_spelling
                        .entry(hangul)
                        .or_insert_with(|| s.to_string());
                }
                let entry = korean.entry(s.to_string()).or_default();
                if !entry.contains(&hangul) {
                    entry.push(hangul);
                    entry.sort_unstable();
                }
            }
        }
        let longest = korean.keys().map(String::len).max().unwrap_or(0);
        let stopwords = STOPWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        let mut chinese: HashMap<String, Vec<String>> = HashMap::new();
        for line in CHINESE.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split('\t');
            let Some(pinyin) = fields.next().map(str::trim).filter(|p| !p.is_empty()) else {
                continue;
            };
            let key = format!("z:{pinyin}");
            let others = fields.next().unwrap_or("").split_whitespace();
            for spelling in std::iter::once(pinyin).chain(others) {
                let entry = chinese.entry(spelling.to_string()).or_default();
                if !entry.contains(&key) {
                    entry.push(key.clone());
                    entry.sort_unstable();
                }
            }
        }
        let chinese_longest = chinese.keys().map(String::len).max().unwrap_or(0);
        Tables {
            korean,
            hangul_spelling,
            longest,
            chinese,
            chinese_longest,
            stopwords,
        }
    })
}

/// One comparable piece of a name: a word, or a Korean syllable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unit {
    /// Lower-case ASCII text.
    pub text: String,
    /// Blocking and equivalence keys: Hangul syllables (as one-char strings) for Korean syllables, the text
    /// itself otherwise. Sorted.
    pub keys: Vec<String>,
    /// Index of the written word this unit came from.
    pub word: usize,
}

impl Unit {
    /// Whether two units are the same name element (equal text or a shared romanisation key).
    pub fn equivalent(&self, other: &Unit) -> bool {
        self.text == other.text
            || self
                .keys
                .iter()
                .any(|k| other.keys.binary_search(k).is_ok())
    }
}

/// A normalised name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormName {
    /// The written words after normalisation (stop words removed).
    pub words: Vec<String>,
    /// Units in order.
    pub units: Vec<Unit>,
}

impl NormName {
    /// All units' text joined, in written order.
    pub fn joined(&self) -> String {
        self.units.iter().map(|u| u.text.as_str()).collect()
    }
}

/// Transliterates and folds a string to lower-case ASCII words separated by single spaces.
pub fn fold(input: &str) -> String {
    let t = tables();
    let mut out = String::with_capacity(input.len());
    let mut prev_hangul = false;
    for c in input.nfkc() {
        if c.is_ascii() {
            prev_hangul = false;
            match c {
                'a'..='z' | '0'..='9' => out.push(c),
                'A'..='Z' => out.push(c.to_ascii_lowercase()),
                '\'' | '`' => {}
                // a hyphen joins the pieces of one name ("Sang-man"); `normalize` splits them into units
                '-' => out.push('-'),
                _ => out.push(' '),
            }
            continue;
        }
        // Hangul syllables: use the list spelling (MR, as sanctions lists write them) and separate
        // syllables with a hyphen-like break inside the word, so the syllable structure survives.
        if ('\u{AC00}'..='\u{D7A3}').contains(&c) {
            if prev_hangul {
                out.push('-');
            }
            match t.hangul_spelling.get(&c) {
                Some(s) => out.push_str(s),
                None => out.push_str(&any_ascii::any_ascii_char(c).to_ascii_lowercase()),
            }
            prev_hangul = true;
            continue;
        }
        prev_hangul = false;
        if matches!(
            c,
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{02BB}' | '\u{00B4}'
        ) {
            continue;
        }
        let is_han =
            ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c);
        let ascii = any_ascii::any_ascii_char(c);
        for a in ascii.chars() {
            match a {
                'a'..='z' | '0'..='9' => out.push(a),
                'A'..='Z' => out.push(a.to_ascii_lowercase()),
                '\'' => {}
                _ => out.push(' '),
            }
        }
        if is_han {
            // Han characters are syllables of one word; the break is kept like Hangul's.
            out.push('-');
        }
    }
    out
}

/// Normalises a name into words and units.
pub fn normalize(input: &str) -> NormName {
    let t = tables();
    let folded = fold(input);
    // A '-' written by `fold` between syllables joins them into one word; the hyphen of "Sang-man" too.
    let raw_words: Vec<String> = folded
        .split(' ')
        .map(|w| w.trim_matches('-').to_string())
        .filter(|w| !w.is_empty())
        .collect();
    let kept: Vec<String> = {
        let without: Vec<String> = raw_words
            .iter()
            .filter(|w| !is_stopword(&w.replace('-', ""), t))
            .cloned()
            .collect();
        if without.is_empty() {
            raw_words
        } else {
            without
        }
    };
    let mut words = Vec::with_capacity(kept.len());
    let mut units = Vec::new();
    // A one-word name ("RIRA", "Mara", "Kimsuky") is not a romanised Korean personal name, which always
    // has a family name and a given name: it is not split into syllables.
    let segmentable = kept.len() > 1 || kept.first().is_some_and(|w| w.contains('-'));
    for (i, word) in kept.iter().enumerate() {
        let joined = word.replace('-', "");
        // Hyphenated pieces are segmented one by one; a piece that does not segment is kept whole.
        let mut word_units = Vec::new();
        for piece in word.split('-').filter(|p| !p.is_empty()) {
            if !segmentable {
                word_units.push(Unit {
                    text: piece.to_string(),
                    keys: vec![piece.to_string()],
                    word: i,
                });
                continue;
            }
            if let Some(syllables) = segment(piece, &t.korean, t.longest) {
                for s in syllables {
                    let mut keys: Vec<String> = t
                        .korean
                        .get(s)
                        .map(|hs| hs.iter().map(|h| h.to_string()).collect())
                        .unwrap_or_else(|| vec![s.to_string()]);
                    // A Korean syllable that is also a Chinese one ("Chang", "Jin") keeps both keys.
                    if let Some(z) = t.chinese.get(s) {
                        keys.extend(z.iter().cloned());
                        keys.sort_unstable();
                    }
                    word_units.push(Unit {
                        text: s.to_string(),
                        keys,
                        word: i,
                    });
                }
            } else if let Some(syllables) = segment(piece, &t.chinese, t.chinese_longest)
                .filter(|s| s.len() <= CHINESE_MAX_SYLLABLES)
            {
                for s in syllables {
                    word_units.push(Unit {
                        text: s.to_string(),
                        keys: t
                            .chinese
                            .get(s)
                            .cloned()
                            .unwrap_or_else(|| vec![s.to_string()]),
                        word: i,
                    });
                }
            } else {
                word_units.push(Unit {
                    text: piece.to_string(),
                    keys: vec![piece.to_string()],
                    word: i,
                });
            }
        }
        units.extend(word_units);
        words.push(joined);
    }
    NormName { words, units }
}

/// A stop word, or a long one (a legal form such as "corporation") with one typo.
fn is_stopword(word: &str, t: &Tables) -> bool {
    t.stopwords.contains(word)
        || (word.len() >= 7
            && t.stopwords.iter().any(|s| {
                s.len() >= 7
                    && s.len().abs_diff(word.len()) <= 1
                    && strsim::osa_distance(s, word) <= 1
            }))
}

/// Splits a word into romanised syllables of `table` (Korean or Chinese), fewest syllables first; `None`
/// when it does not split entirely (then it is not treated as Korean or Chinese).
fn segment<'a, V>(
    word: &'a str,
    table: &HashMap<String, V>,
    longest: usize,
) -> Option<Vec<&'a str>> {
    let n = word.len();
    if n == 0 || n > 24 || !word.is_ascii() {
        return None;
    }
    // best[i] = (syllable count, previous cut) for word[..i]
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0));
    for i in 0..n {
        let Some((count, _)) = best[i] else { continue };
        for len in (1..=longest.min(n - i)).rev() {
            let piece = &word[i..i + len];
            if table.contains_key(piece) {
                let candidate = (count + 1, i);
                match best[i + len] {
                    Some((c, _)) if c <= candidate.0 => {}
                    _ => best[i + len] = Some(candidate),
                }
            }
        }
    }
    let mut cuts = Vec::new();
    let mut end = n;
    while end > 0 {
        let (_, start) = best[end]?;
        cuts.push(&word[start..end]);
        end = start;
    }
    cuts.reverse();
    // A single-letter vowel syllable in the middle of a long word is more likely a Western name ("Maria").
    if cuts.len() > 1 && cuts.iter().any(|c| c.len() == 1) {
        return None;
    }
    Some(cuts)
}

/// Normalises an email address for exact comparison.
pub fn email_key(input: &str) -> Option<String> {
    let s = input
        .trim()
        .trim_matches(['<', '>', ';', ',', '.'])
        .to_lowercase();
    let (local, domain) = s.split_once('@')?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return None;
    }
    Some(s)
}

/// Normalises a phone number for exact comparison: its digits, without the international prefix `00`.
pub fn phone_key(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix("00")
        .map(str::to_string)
        .unwrap_or(digits);
    (digits.len() >= 7).then_some(digits)
}

/// Normalises a website for exact comparison: the host (without `www.`) and path, lower-case.
pub fn website_key(input: &str) -> Option<String> {
    let s = input.trim().to_lowercase();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(&s);
    let s = s.strip_prefix("www.").unwrap_or(s);
    let s = s.trim_end_matches('/');
    (!s.is_empty() && s.contains('.')).then(|| s.to_string())
}

/// Normalises a document number for exact comparison: letters and digits, upper-case.
pub fn document_key(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (s.len() >= 4).then_some(s)
}

/// Normalises a wallet address for exact comparison: EVM addresses lower-case (their case is only a
/// checksum), every other format exactly as written.
pub fn wallet_key(input: &str) -> Option<String> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(w) = redflag_model::CryptoWallet::parse(s) {
        return Some(w.address);
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("0x") && s.len() == 42 && s[2..].bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(lower);
    }
    Some(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &[&str]) {
        let n = normalize(input);
        let got: Vec<&str> = n.units.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(got, expect, "units of {input:?}");
    }

    fn same(a: &str, b: &str) {
        let (x, y) = (normalize(a), normalize(b));
        assert_eq!(
            x.units.len(),
            y.units.len(),
            "{a:?} vs {b:?}: {x:?} / {y:?}"
        );
        for (u, v) in x.units.iter().zip(&y.units) {
            assert!(u.equivalent(v), "{a:?} vs {b:?}: {u:?} / {v:?}");
        }
    }

    #[test]
    fn units() {
        check("SIM, Hyon Sop", &["sim", "hyon", "sop"]);
        check("Kim Sang-man", &["kim", "sang", "man"]);
        check("Kim Sangman", &["kim", "sang", "man"]);
        check("Cho'n Yo'n Ku'n", &["chon", "yon", "kun"]);
        check("Chŏn Yŏn-kŭn", &["chon", "yon", "kun"]);
        check("Maria Rossi", &["maria", "rossi"]);
        check(
            "Yanbian Silverstar Network Technology Co., Ltd.",
            &["yan", "bian", "silverstar", "network", "technology"],
        );
        check("  ", &[]);
        check(
            "Obshchestvo S Ogranichennoi Otvetstvennostyu Mokran",
            &["s", "mok", "ran"],
        );
        check(
            "Общество с ограниченной ответственностью Мокран",
            &["s", "mok", "ran"],
        );
        check("Андреев Виталий", &["andreev", "vitaliy"]);
    }

    #[test]
    fn romanisation_equivalence() {
        same("Sim Hyon Sop", "Shim Hyun Seop");
        same("Ri Jong Chol", "Lee Jeong Cheol");
        same("Pak Kum Hyok", "Park Geum Hyeok");
        same("Choe Song", "Choi Seong");
        same("O Su", "Oh Soo");
        same("김상만", "Kim Sang Man");
        same("심현섭", "Sim Hyon Sop");
    }

    #[test]
    fn chinese_romanisation_equivalence() {
        check("Zhang Zhiming", &["zhang", "zhi", "ming"]);
        check("Chang Chih-ming", &["chang", "chih", "ming"]);
        same("Chang Chih-ming", "Zhang Zhiming");
        same("Chou En-lai", "Zhou Enlai");
        same("Hsu Chien", "Xu Qian");
        same("Chiang Ching-kuo", "Jiang Jingguo");
        same("Chao Tzu-yang", "Zhao Ziyang");
        same("Hsieh Tung", "Xie Dong");
        same("张志明", "Zhang Zhiming");
        // one-word names and long words are not split
        check("Shanghai", &["shanghai"]);
        check("Zhang Xiaoyanming", &["zhang", "xiaoyanming"]);
        // a syllable is not another: Xiuying is not Xiuling
        let (a, b) = (normalize("Xiuying Chen"), normalize("Xiuling Chen"));
        assert!(!a.units[1].equivalent(&b.units[1]), "{a:?} / {b:?}");
    }

    #[test]
    fn identifier_keys() {
        assert_eq!(
            email_key(" Dev@Example.COM ").as_deref(),
            Some("dev@example.com")
        );
        assert_eq!(email_key("nope"), None);
        assert_eq!(phone_key("+850 2 381 8111").as_deref(), Some("85023818111"));
        assert_eq!(phone_key("0085023818111").as_deref(), Some("85023818111"));
        assert_eq!(
            website_key("https://www.Sinbad.io/").as_deref(),
            Some("sinbad.io")
        );
        assert_eq!(
            document_key("PS 472-310-104").as_deref(),
            Some("PS472310104")
        );
        assert_eq!(
            wallet_key("0x4F47BC496083C727C5FBE3CE9CDF2B0F6496270C").as_deref(),
            Some("0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c")
        );
    }
}
