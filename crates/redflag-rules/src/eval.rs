//! Binding one subject's facts for CEL. Each fact the pack reads gets a slot; a subject's facts are
//! converted once into CEL values (strings borrowed, not copied) and resolved by their full dotted name,
//! which cel-rust tries first for a qualified name such as `net.vpn_share`. No per-domain maps are built.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::types::{CelBool, CelDouble, CelInt, CelList, CelString};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::parser::Expression;
use cel::{Context, Env, Value};
use redflag_model::{Fact, FactType, FactValue};

/// Fact name → slot, with the registered type of each slot.
#[derive(Debug, Default, Clone)]
pub(crate) struct Slots {
    index: HashMap<String, usize>,
    types: Vec<FactType>,
}

impl Slots {
    pub(crate) fn intern(&mut self, name: &str, t: FactType) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.types.push(t);
        self.index.insert(name.to_string(), self.types.len() - 1);
        self.types.len() - 1
    }

    pub(crate) fn slot(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.types.len()
    }
}

/// One subject's facts bound to slots.
pub(crate) struct Bound<'a> {
    slots: &'a Slots,
    values: Vec<Option<Box<dyn Val + 'a>>>,
    /// Index into the subject's fact slice of the fact bound to each slot.
    origin: Vec<Option<usize>>,
}

impl std::fmt::Debug for Bound<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("origin", &self.origin)
            .finish()
    }
}

/// A fact value as a CEL value of the registered type; `None` when the value does not fit the type
/// (such a fact is treated as missing). An int is accepted where a float is registered.
fn to_val(value: &FactValue, t: FactType) -> Option<Box<dyn Val + '_>> {
    Some(match (t, value) {
        (FactType::Bool, FactValue::Bool(b)) => Box::new(CelBool::from(*b)),
        (FactType::Int, FactValue::Int(i)) => Box::new(CelInt::from(*i)),
        (FactType::Float, FactValue::Float(x)) => Box::new(CelDouble::from(*x)),
        #[allow(clippy::cast_precision_loss)]
        (FactType::Float, FactValue::Int(i)) => Box::new(CelDouble::from(*i as f64)),
        (FactType::String, FactValue::Text(s)) => Box::new(CelString::from(s.as_str())),
        (FactType::StringList, FactValue::TextList(items)) => Box::new(CelList::from(
            items
                .iter()
                .map(|s| Box::new(CelString::from(s.as_str())) as Box<dyn Val>)
                .collect::<Vec<_>>(),
        )),
        (FactType::IntList, FactValue::IntList(items)) => Box::new(CelList::from(
            items
                .iter()
                .map(|i| Box::new(CelInt::from(*i)) as Box<dyn Val>)
                .collect::<Vec<_>>(),
        )),
        _ => return None,
    })
}

impl<'a> Bound<'a> {
    pub(crate) fn empty(slots: &'a Slots) -> Self {
        Self {
            slots,
            values: (0..slots.len()).map(|_| None).collect(),
            origin: vec![None; slots.len()],
        }
    }

    /// Binds the facts the pack reads; the first fact of a name wins.
    pub(crate) fn bind(slots: &'a Slots, facts: &'a [Fact]) -> Self {
        let mut bound = Self::empty(slots);
        for (i, fact) in facts.iter().enumerate() {
            let Some(slot) = slots.slot(&fact.name) else {
                continue;
            };
            if bound.values[slot].is_some() {
                continue;
            }
            if let Some(v) = to_val(&fact.value, slots.types[slot]) {
                bound.values[slot] = Some(v);
                bound.origin[slot] = Some(i);
            }
        }
        bound
    }

    pub(crate) fn has(&self, slot: usize) -> bool {
        self.values.get(slot).is_some_and(Option::is_some)
    }

    /// The index of the fact bound to `slot`.
    pub(crate) fn fact(&self, slot: usize) -> Option<usize> {
        self.origin.get(slot).copied().flatten()
    }

    /// Evaluates a condition; anything but `true` (false, an error from a missing fact) does not fire.
    pub(crate) fn fires(&self, env: &Arc<Env>, expr: &Expression) -> bool {
        let mut ctx = Context::with_env(Arc::clone(env));
        ctx.set_variable_resolver(self);
        matches!(ctx.resolve(expr), Ok(Value::Bool(true)))
    }
}

impl VariableResolver for Bound<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let slot = self.slots.index.get(variable)?;
        self.values[*slot].as_deref().map(CowVal::Borrowed)
    }
}
