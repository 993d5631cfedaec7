use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{FactValue, ModelError};

/// The type of a registered fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactType {
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `float`
    Float,
    /// `string`
    String,
    /// `list<string>`
    StringList,
    /// `list<int>`
    IntList,
}

impl FactType {
    /// The name used in `docs/FACTS.md` and by [`FactValue::type_name`].
    pub fn as_str(self) -> &'static str {
        match self {
            FactType::Bool => "bool",
            FactType::Int => "int",
            FactType::Float => "float",
            FactType::String => "string",
            FactType::StringList => "list<string>",
            FactType::IntList => "list<int>",
        }
    }

    /// Whether a value has this type.
    pub fn accepts(self, value: &FactValue) -> bool {
        value.type_name() == self.as_str()
    }
}

/// The declaration of one fact an engine produces: the registry entry rules are checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactSpec {
    /// Dotted name, `domain.name` (e.g. `net.vpn_share`).
    pub name: &'static str,
    /// Its type.
    pub fact_type: FactType,
    /// The crate (engine) that produces it.
    pub producer: &'static str,
    /// What it means, in one or two sentences.
    pub meaning: &'static str,
    /// An example value, as text.
    pub example: &'static str,
    /// A protected or proxy attribute (claimed nationality, name origin, language): no rule may fire on
    /// protected facts alone, without evidence of the subject's own contradiction (the fairness lint).
    pub protected: bool,
}

/// Every fact the engines can produce, by name. Built by whoever assembles the engines (the pipeline);
/// rules may read only facts registered here, so a typo in a rule is a load error, not a silent miss.
#[derive(Debug, Clone, Default)]
pub struct FactRegistry {
    specs: BTreeMap<&'static str, FactSpec>,
}

impl FactRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the facts of one engine. Two engines may not register the same name.
    pub fn register(
        &mut self,
        specs: impl IntoIterator<Item = FactSpec>,
    ) -> Result<(), ModelError> {
        for spec in specs {
            if let Some(existing) = self.specs.get(spec.name) {
                return Err(ModelError::Invalid {
                    field: "fact name",
                    value: spec.name.to_string(),
                    reason: format!(
                        "registered by both {} and {}",
                        existing.producer, spec.producer
                    ),
                });
            }
            self.specs.insert(spec.name, spec);
        }
        Ok(())
    }

    /// The spec of a fact.
    pub fn get(&self, name: &str) -> Option<&FactSpec> {
        self.specs.get(name)
    }

    /// All specs, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &FactSpec> {
        self.specs.values()
    }

    /// The number of registered facts.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: FactSpec = FactSpec {
        name: "email.is_disposable",
        fact_type: FactType::Bool,
        producer: "redflag-identity",
        meaning: "The email's domain is on the disposable-domain list.",
        example: "true",
        protected: false,
    };

    #[test]
    fn duplicate_names_are_refused() {
        let mut registry = FactRegistry::new();
        registry.register([SPEC]).unwrap();
        let err = registry
            .register([FactSpec {
                producer: "other",
                ..SPEC
            }])
            .unwrap_err();
        assert!(err.to_string().contains("registered by both"));
        assert!(FactType::Bool.accepts(&FactValue::Bool(true)));
        assert!(!FactType::Bool.accepts(&FactValue::Int(1)));
    }
}
