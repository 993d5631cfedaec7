//! Positions of keys and values in a rule file. serde gives no spans for values, and rule files are flat
//! one-document mappings, so a line scan finds a top-level key, a needle after it, and maps an offset inside
//! a (possibly multi-line, quoted or block) scalar back to the file's line and column.

/// A 1-based (line, column) position.
pub(crate) type Pos = (usize, usize);

/// The position of the top-level `key:` (column 1), if the file has it.
pub(crate) fn key(text: &str, key: &str) -> Option<Pos> {
    text.lines().enumerate().find_map(|(i, line)| {
        let rest = line.strip_prefix(key)?;
        rest.trim_start().starts_with(':').then_some((i + 1, 1))
    })
}

/// The first occurrence of `needle` at or after the top-level `key:` line; the key's position otherwise;
/// (1, 1) when the file lacks the key.
pub(crate) fn find_after(text: &str, key_name: &str, needle: &str) -> Pos {
    let Some((key_line, _)) = key(text, key_name) else {
        return (1, 1);
    };
    for (i, line) in text.lines().enumerate().skip(key_line - 1) {
        if let Some(col) = line.find(needle) {
            return (i + 1, line[..col].chars().count() + 1);
        }
    }
    (key_line, 1)
}

/// Where the characters of a top-level scalar value sit in the file: one segment per source line.
#[derive(Debug, Clone)]
pub(crate) struct ValueMap {
    /// (line, first column, length in chars) of each line of the value.
    segments: Vec<(usize, usize, usize)>,
    fallback: Pos,
}

impl ValueMap {
    /// Maps the value of top-level `key`. Handles `key: plain`, `key: 'quoted'`, `key: "quoted"` and block
    /// scalars (`|`, `>`, with indicators). Escapes inside quoted values may shift a column by a few.
    pub(crate) fn of(text: &str, key_name: &str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let Some((key_line, _)) = key(text, key_name) else {
            return Self {
                segments: Vec::new(),
                fallback: (1, 1),
            };
        };
        let first = lines[key_line - 1];
        let after_colon = first.find(':').map_or(first.len(), |i| i + 1);
        let rest = &first[after_colon..];
        let value_start = after_colon + (rest.len() - rest.trim_start().len());
        let value = rest.trim();
        let mut segments = Vec::new();
        if value.starts_with('|') || value.starts_with('>') {
            // block scalar: the following more-indented lines
            for (i, line) in lines.iter().enumerate().skip(key_line) {
                if line.trim().is_empty() {
                    segments.push((i + 1, 1, 0));
                    continue;
                }
                let indent = line.len() - line.trim_start().len();
                if indent == 0 {
                    break;
                }
                segments.push((i + 1, indent + 1, line.trim_start().chars().count()));
            }
            while segments.last().is_some_and(|s| s.2 == 0) {
                segments.pop();
            }
        } else {
            let quoted = value.starts_with('\'') || value.starts_with('"');
            let col = first[..value_start].chars().count() + 1 + usize::from(quoted);
            let len = value
                .chars()
                .count()
                .saturating_sub(2 * usize::from(quoted));
            segments.push((key_line, col, len));
            // continuation lines of a multi-line plain or quoted scalar
            for (i, line) in lines.iter().enumerate().skip(key_line) {
                let indent = line.len() - line.trim_start().len();
                if indent == 0 || line.trim().is_empty() {
                    break;
                }
                segments.push((i + 1, indent + 1, line.trim_start().chars().count()));
            }
        }
        Self {
            segments,
            fallback: (key_line, value_start + 1),
        }
    }

    /// The file position of the value's character at `offset` (0-based, lines joined by one character).
    pub(crate) fn position(&self, offset: usize) -> Pos {
        let mut remaining = offset;
        for &(line, col, len) in &self.segments {
            if remaining <= len {
                return (line, col + remaining);
            }
            remaining -= len + 1;
        }
        self.segments
            .last()
            .map_or(self.fallback, |&(line, col, len)| (line, col + len))
    }
}

/// The 0-based character offset of a 1-based (line, column) inside `source`.
pub(crate) fn offset_of(source: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in source.split('\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1);
        }
        offset += l.chars().count() + 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, key_name: &str, offset: usize, expect: Pos) {
        assert_eq!(
            ValueMap::of(text, key_name).position(offset),
            expect,
            "{text}"
        );
    }

    #[test]
    fn values_map_back_to_the_file() {
        check("id: X\ncondition: 'a.b > 1'\n", "condition", 0, (2, 13));
        check("id: X\ncondition: 'a.b > 1'\n", "condition", 4, (2, 17));
        check("condition: a.b > 1\n", "condition", 2, (1, 14));
        check(
            "condition: >\n  a.b > 1 &&\n  c.d\nnext: 1\n",
            "condition",
            11,
            (3, 3),
        );
        check("condition: |\n    a.b\n", "condition", 1, (2, 6));
        assert_eq!(key("x: 1\ncondition: 2\n", "condition"), Some((2, 1)));
        assert_eq!(key("conditions: 2\n", "condition"), None);
        assert_eq!(
            find_after("evidence:\n  - a.b\n  - c.d\n", "evidence", "c.d"),
            (3, 5)
        );
        assert_eq!(offset_of("ab\ncd", 2, 2), 4);
    }
}
