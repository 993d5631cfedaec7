use std::fmt;

/// Where in a rule file something is: the file (as given to the loader), a 1-based line and column, and
/// the rule id when it is known. Written `file:line:column [RF-XXX-NNN]`, the form editors jump to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file, as named to the loader (`rules/network/RF-NET-004.yaml`, `builtin:endpoint/…`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The rule's id, once it was read.
    pub rule_id: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)?;
        if let Some(id) = &self.rule_id {
            write!(f, " [{id}]")?;
        }
        Ok(())
    }
}

/// Why a rule file was refused. Every variant names the field or fact and the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(String),
    /// The YAML is malformed, a field is missing, unknown or of the wrong shape.
    #[error("YAML: {0}")]
    Yaml(String),
    /// A field has a value the format does not allow.
    #[error("field `{field}` = {value:?}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// Its value as written.
        value: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// The condition is not valid CEL.
    #[error("CEL syntax error in `condition`: {0}")]
    CelSyntax(String),
    /// A fact that no engine registers.
    #[error(
        "unknown fact `{fact}` in `{field}` (not in the facts registry, see docs/FACTS.md){hint}"
    )]
    UnknownFact {
        /// The field it was read in (`condition`, `evidence`, `tests`).
        field: &'static str,
        /// The name as written.
        fact: String,
        /// `; did you mean …?`, when a registered name is close.
        hint: String,
    },
    /// The condition does not type-check against the registered fact types.
    #[error("type error in `condition`: {0}")]
    Type(String),
    /// The fairness lint refused the rule.
    #[error("fairness: {0}")]
    Fairness(String),
    /// Two rules share an id within one source (builtin pack or one directory).
    #[error("duplicate rule id `{id}`, already defined in {other}")]
    DuplicateId {
        /// The id.
        id: String,
        /// The other file.
        other: String,
    },
    /// A test case is malformed (unknown fact, value of the wrong type).
    #[error("test {test:?}: {reason}")]
    Test {
        /// The test's name.
        test: String,
        /// What is wrong.
        reason: String,
    },
}

/// A rule that could not be loaded: where, and why. The loader keeps going with the other files.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct RuleError {
    /// Where.
    pub location: Location,
    /// Why (boxed: keeps `Result<_, RuleError>` small).
    pub kind: Box<RuleErrorKind>,
}

impl RuleError {
    pub(crate) fn new(file: &str, line: usize, column: usize, kind: RuleErrorKind) -> Self {
        Self {
            location: Location {
                file: file.to_string(),
                line,
                column,
                rule_id: None,
            },
            kind: Box::new(kind),
        }
    }

    pub(crate) fn with_rule(mut self, id: &str) -> Self {
        if !id.is_empty() {
            self.location.rule_id = Some(id.to_string());
        }
        self
    }
}
