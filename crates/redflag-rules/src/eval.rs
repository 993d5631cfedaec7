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

/// FNV-1a: fact names are short and trusted (they come from the registry), so a fast non-keyed hash is
/// fine here; SipHash showed up in profiles of binding a subject's facts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// Fact name → slot, with the registered type of each slot.
#[derive(Debug, Default, Clone)]
pub(crate) struct Slots {
    index: FnvMap<String, usize>,
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

/// A bound CEL value, stored inline (no box per scalar fact).
enum SlotVal<'a> {
    Bool(CelBool),
    Int(CelInt),
    Float(CelDouble),
    Text(CelString<'a>),
    List(CelList<'a>),
}

impl<'a> SlotVal<'a> {
    fn as_val(&self) -> &(dyn Val + 'a) {
        match self {
            SlotVal::Bool(v) => v,
            SlotVal::Int(v) => v,
            SlotVal::Float(v) => v,
            SlotVal::Text(v) => v,
            SlotVal::List(v) => v,
        }
    }
}

/// One subject's facts bound to slots.
pub(crate) struct Bound<'a> {
    slots: &'a Slots,
    values: Vec<Option<SlotVal<'a>>>,
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
fn to_val(value: &FactValue, t: FactType) -> Option<SlotVal<'_>> {
    Some(match (t, value) {
        (FactType::Bool, FactValue::Bool(b)) => SlotVal::Bool(CelBool::from(*b)),
        (FactType::Int, FactValue::Int(i)) => SlotVal::Int(CelInt::from(*i)),
        (FactType::Float, FactValue::Float(x)) => SlotVal::Float(CelDouble::from(*x)),
        #[allow(clippy::cast_precision_loss)]
        (FactType::Float, FactValue::Int(i)) => SlotVal::Float(CelDouble::from(*i as f64)),
        (FactType::String, FactValue::Text(s)) => SlotVal::Text(CelString::from(s.as_str())),
        (FactType::StringList, FactValue::TextList(items)) => SlotVal::List(CelList::from(
            items
                .iter()
                .map(|s| Box::new(CelString::from(s.as_str())) as Box<dyn Val>)
                .collect::<Vec<_>>(),
        )),
        (FactType::IntList, FactValue::IntList(items)) => SlotVal::List(CelList::from(
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

    /// A CEL context resolving this subject's facts; build it once per subject and evaluate every rule in it.
    pub(crate) fn context<'c>(&'c self, env: &Arc<Env>) -> Context<'c, 'c> {
        let mut ctx = Context::with_env(Arc::clone(env));
        ctx.set_variable_resolver(self);
        ctx
    }

    /// Evaluates one condition in a fresh context (load-time checks and rule tests).
    pub(crate) fn fires(&self, env: &Arc<Env>, expr: &Expression) -> bool {
        fires_in(&self.context(env), expr)
    }
}

/// Evaluates a condition; anything but `true` (false, an error from a missing fact) does not fire.
pub(crate) fn fires_in(ctx: &Context<'_, '_>, expr: &Expression) -> bool {
    matches!(ctx.resolve(expr), Ok(Value::Bool(true)))
}

/// The variable name a fact's selection chain is rewritten to once its slot is known: a character the CEL
/// parser never produces in an identifier, then the slot number, so resolving it parses a number instead
/// of hashing the dotted name.
pub(crate) fn slot_ident(slot: usize) -> String {
    format!("{SLOT_MARK}{slot}")
}

const SLOT_MARK: char = '\u{1}';

impl VariableResolver for Bound<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let slot = match variable.strip_prefix(SLOT_MARK) {
            Some(digits) => digits.parse::<usize>().ok()?,
            None => *self.slots.index.get(variable)?,
        };
        self.values
            .get(slot)?
            .as_ref()
            .map(|v| CowVal::Borrowed(v.as_val()))
    }
}
