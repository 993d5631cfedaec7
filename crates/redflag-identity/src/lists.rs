//! Parsing of the small line-oriented data files under `data/` (and their run-time replacements).

use std::collections::HashSet;

use crate::IdentityError;

/// The non-comment, non-blank lines of a list with their 1-based line numbers, split on white space.
pub(crate) fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            None
        } else {
            Some((i + 1, line.split_whitespace().collect()))
        }
    })
}

/// A set of lower-case domain names, one per line. Lines that are not domain names are refused with their
/// line number, so a corrupted download is noticed rather than silently matching nothing.
pub(crate) fn domain_set(list: &str, text: &str) -> Result<HashSet<String>, IdentityError> {
    let mut out = HashSet::new();
    for (line, cols) in rows(text) {
        let value = cols.join(" ");
        let domain = value.trim_end_matches('.').to_lowercase();
        let ok = cols.len() == 1
            && !domain.is_empty()
            && domain
                .split('.')
                .all(|l| !l.is_empty() && !l.starts_with('-') && !l.contains(char::is_whitespace));
        if !ok {
            return Err(IdentityError::BadListLine {
                list: list.to_string(),
                line,
                value,
                reason: "expected one domain name",
            });
        }
        out.insert(domain);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_sets_refuse_bad_lines() {
        let set = domain_set("t", "# c\n\nExample.COM\nmail.example.org.\n").unwrap();
        assert!(set.contains("example.com") && set.contains("mail.example.org"));
        let err = domain_set("t", "ok.com\nnot a domain\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t line 2: expected one domain name: \"not a domain\""
        );
        assert!(domain_set("t", "a..b\n").is_err());
    }
}
