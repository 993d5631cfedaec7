//! Load-time analysis of a CEL condition against the facts registry: which facts it reads (each with the
//! expression id, for positions), a small static type check (cel-rust has no checker), and the fairness
//! lint. Everything here works on the parsed AST; nothing is evaluated.

use std::collections::BTreeSet;

use cel::common::ast::{Expr, IdedExpr, LiteralValue, operators};
use redflag_model::{FactRegistry, FactSpec, FactType};

/// A static type, as far as the checker can tell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    Bool,
    Int,
    UInt,
    Float,
    String,
    Bytes,
    Null,
    List(Box<Ty>),
    Map,
    /// Unknown until run time (comprehension results, `dyn()`, map values).
    Dyn,
}

impl Ty {
    fn name(&self) -> String {
        match self {
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::UInt => "uint".into(),
            Ty::Float => "double".into(),
            Ty::String => "string".into(),
            Ty::Bytes => "bytes".into(),
            Ty::Null => "null".into(),
            Ty::List(t) => format!("list<{}>", t.name()),
            Ty::Map => "map".into(),
            Ty::Dyn => "dyn".into(),
        }
    }

    fn numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::UInt | Ty::Float | Ty::Dyn)
    }

    fn of_fact(t: FactType) -> Ty {
        match t {
            FactType::Bool => Ty::Bool,
            FactType::Int => Ty::Int,
            FactType::Float => Ty::Float,
            FactType::String => Ty::String,
            FactType::StringList => Ty::List(Box::new(Ty::String)),
            FactType::IntList => Ty::List(Box::new(Ty::Int)),
        }
    }

    /// Whether values of the two types can be compared with `==` or `<`.
    fn comparable(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Dyn, _) | (_, Ty::Dyn) => true,
            (a, b) if a.numeric() && b.numeric() => true,
            (Ty::Null, _) | (_, Ty::Null) => true,
            (Ty::List(a), Ty::List(b)) => a.comparable(b),
            (a, b) => a == b,
        }
    }

    fn join(&self, other: &Ty) -> Ty {
        if self == other { self.clone() } else { Ty::Dyn }
    }
}

/// A problem found in the condition, with the expression it is about.
#[derive(Debug, Clone)]
pub(crate) enum Problem {
    UnknownFact { name: String, expr_id: u64 },
    Type { message: String, expr_id: u64 },
    Fairness { message: String, expr_id: u64 },
}

/// The result of analysing a condition.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    pub facts: Vec<String>,
    pub problems: Vec<Problem>,
}

impl Analysis {
    /// The distinct fact names read, sorted.
    pub fn fact_names(&self) -> BTreeSet<String> {
        self.facts.iter().cloned().collect()
    }
}

/// Functions of the standard environment a condition may call (global or member form).
const KNOWN_FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "type",
    "dyn",
    "max",
    "min",
    "timestamp",
    "duration",
    operators::NOT_STRICTLY_FALSE,
];

struct Checker<'r> {
    registry: &'r FactRegistry,
    scope: Vec<(String, Ty)>,
    out: Analysis,
}

/// Analyses a parsed condition. Problems are collected, not returned early, so a rule author sees all of
/// them at once.
pub(crate) fn analyse(expr: &IdedExpr, registry: &FactRegistry) -> Analysis {
    let mut checker = Checker {
        registry,
        scope: Vec::new(),
        out: Analysis::default(),
    };
    let ty = checker.walk(expr);
    if !matches!(ty, Ty::Bool | Ty::Dyn) {
        checker.type_error(
            expr.id,
            format!("the condition must be a bool, it is a {}", ty.name()),
        );
    }
    checker.out
}

/// The segments of `a.b.c` when the expression is an identifier with plain field selections on it.
fn qualified(expr: &Expr) -> Option<Vec<&str>> {
    let mut segments = Vec::new();
    let mut e = expr;
    loop {
        match e {
            Expr::Ident(name) => {
                segments.push(name.as_str());
                segments.reverse();
                return Some(segments);
            }
            Expr::Select(s) if !s.test => {
                segments.push(s.field.as_str());
                e = &s.operand.expr;
            }
            _ => return None,
        }
    }
}

impl Checker<'_> {
    fn type_error(&mut self, expr_id: u64, message: String) {
        self.out.problems.push(Problem::Type { message, expr_id });
    }

    fn local(&self, name: &str) -> Option<Ty> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }

    /// Resolves `a.b(.c…)` to a registered fact: the shortest registered prefix wins; fields selected
    /// on a scalar fact are a type error; a name with no registered prefix is an unknown fact.
    fn fact(&mut self, expr: &IdedExpr, segments: &[&str]) -> Ty {
        for len in 2..=segments.len() {
            let name = segments[..len].join(".");
            if let Some(spec) = self.registry.get(&name) {
                self.out.facts.push(name.clone());
                if len < segments.len() {
                    self.type_error(
                        expr.id,
                        format!(
                            "fact `{name}` is a {}: it has no field `{}`",
                            spec.fact_type.as_str(),
                            segments[len]
                        ),
                    );
                    return Ty::Dyn;
                }
                return Ty::of_fact(spec.fact_type);
            }
        }
        self.out.problems.push(Problem::UnknownFact {
            name: segments.join("."),
            expr_id: root_id(expr),
        });
        Ty::Dyn
    }

    fn walk(&mut self, expr: &IdedExpr) -> Ty {
        match &expr.expr {
            Expr::Ident(name) => {
                if let Some(t) = self.local(name) {
                    return t;
                }
                match name.as_str() {
                    "true" | "false" => Ty::Bool,
                    "null" => Ty::Null,
                    _ => {
                        self.out.problems.push(Problem::UnknownFact {
                            name: name.clone(),
                            expr_id: expr.id,
                        });
                        Ty::Dyn
                    }
                }
            }
            Expr::Select(select) => {
                if select.test {
                    self.type_error(
                        expr.id,
                        "has() is not supported on facts: a missing fact already makes the condition \
                         not fire, so test the value directly"
                            .into(),
                    );
                    return Ty::Bool;
                }
                match qualified(&expr.expr) {
                    Some(segments) if self.local(segments[0]).is_none() => {
                        self.fact(expr, &segments)
                    }
                    _ => {
                        // a field of a local (comprehension variable) or of a computed value
                        self.walk(&select.operand);
                        Ty::Dyn
                    }
                }
            }
            Expr::Literal(lit) => match lit {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Bytes(_) => Ty::Bytes,
                LiteralValue::Double(_) => Ty::Float,
                LiteralValue::Int(_) => Ty::Int,
                LiteralValue::Null => Ty::Null,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::UInt(_) => Ty::UInt,
            },
            Expr::List(list) => {
                let mut elem: Option<Ty> = None;
                for e in &list.elements {
                    let t = self.walk(e);
                    elem = Some(match elem {
                        None => t,
                        Some(prev) => prev.join(&t),
                    });
                }
                Ty::List(Box::new(elem.unwrap_or(Ty::Dyn)))
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(e) = &entry.expr {
                        self.walk(&e.key);
                        self.walk(&e.value);
                    }
                }
                Ty::Map
            }
            Expr::Struct(_) => {
                self.type_error(
                    expr.id,
                    "message construction is not supported in conditions".into(),
                );
                Ty::Dyn
            }
            Expr::Comprehension(c) => {
                let range = self.walk(&c.iter_range);
                let elem = match &range {
                    Ty::List(t) => (**t).clone(),
                    Ty::Map | Ty::Dyn => Ty::Dyn,
                    other => {
                        self.type_error(
                            c.iter_range.id,
                            format!("cannot iterate over a {}", other.name()),
                        );
                        Ty::Dyn
                    }
                };
                let accu = self.walk(&c.accu_init);
                let depth = self.scope.len();
                self.scope.push((c.iter_var.clone(), elem));
                if let Some(v2) = &c.iter_var2 {
                    self.scope.push((v2.clone(), Ty::Dyn));
                }
                self.scope.push((c.accu_var.clone(), accu));
                self.walk(&c.loop_cond);
                let step = self.walk(&c.loop_step);
                self.scope.truncate(depth);
                self.scope.push((c.accu_var.clone(), step));
                let result = self.walk(&c.result);
                self.scope.truncate(depth);
                result
            }
            Expr::Call(call) => self.call(expr, call),
            Expr::Unspecified => Ty::Dyn,
        }
    }

    fn call(&mut self, expr: &IdedExpr, call: &cel::common::ast::CallExpr) -> Ty {
        let target = call.target.as_ref().map(|t| self.walk(t));
        let args: Vec<Ty> = call.args.iter().map(|a| self.walk(a)).collect();
        let f = call.func_name.as_str();
        let id = expr.id;
        let arg = |i: usize| args.get(i).cloned().unwrap_or(Ty::Dyn);
        match f {
            operators::LOGICAL_AND | operators::LOGICAL_OR | operators::LOGICAL_NOT => {
                for (i, t) in args.iter().enumerate() {
                    if !matches!(t, Ty::Bool | Ty::Dyn) {
                        let at = call.args[i].id;
                        self.type_error(
                            at,
                            format!("`{}` needs bool operands, got a {}", op_symbol(f), t.name()),
                        );
                    }
                }
                Ty::Bool
            }
            operators::EQUALS
            | operators::NOT_EQUALS
            | operators::LESS
            | operators::LESS_EQUALS
            | operators::GREATER
            | operators::GREATER_EQUALS => {
                let (a, b) = (arg(0), arg(1));
                let ordering = !matches!(f, operators::EQUALS | operators::NOT_EQUALS);
                if !a.comparable(&b) || (ordering && matches!(a, Ty::Bool | Ty::List(_) | Ty::Map))
                {
                    self.type_error(
                        id,
                        format!(
                            "cannot compare a {} with a {} using `{}`",
                            a.name(),
                            b.name(),
                            op_symbol(f)
                        ),
                    );
                }
                self.protected_against_literal(call, f);
                Ty::Bool
            }
            operators::ADD
            | operators::SUBSTRACT
            | operators::MULTIPLY
            | operators::DIVIDE
            | operators::MODULO => {
                let (a, b) = (arg(0), arg(1));
                match (&a, &b) {
                    (Ty::Dyn, t) | (t, Ty::Dyn) => t.clone(),
                    (Ty::String, Ty::String) if f == operators::ADD => Ty::String,
                    (Ty::List(x), Ty::List(y)) if f == operators::ADD => {
                        Ty::List(Box::new(x.join(y)))
                    }
                    (x, y) if x.numeric() && y.numeric() && x == y => x.clone(),
                    (x, y) if x.numeric() && y.numeric() => {
                        self.type_error(
                            id,
                            format!(
                                "`{}` on a {} and a {}: CEL does not mix int and double in arithmetic; \
                                 write the literal as {} (e.g. `2.0`) or convert with double()",
                                op_symbol(f),
                                x.name(),
                                y.name(),
                                if matches!(x, Ty::Float) || matches!(y, Ty::Float) { "a double" } else { "an int" }
                            ),
                        );
                        Ty::Dyn
                    }
                    (x, y) => {
                        self.type_error(
                            id,
                            format!(
                                "`{}` is not defined on a {} and a {}",
                                op_symbol(f),
                                x.name(),
                                y.name()
                            ),
                        );
                        Ty::Dyn
                    }
                }
            }
            operators::NEGATE => {
                let a = arg(0);
                if !a.numeric() {
                    self.type_error(id, format!("cannot negate a {}", a.name()));
                }
                a
            }
            operators::CONDITIONAL => {
                if !matches!(arg(0), Ty::Bool | Ty::Dyn) {
                    self.type_error(
                        id,
                        format!(
                            "the `? :` condition must be a bool, got a {}",
                            arg(0).name()
                        ),
                    );
                }
                arg(1).join(&arg(2))
            }
            operators::IN => {
                let (elem, coll) = (arg(0), arg(1));
                match &coll {
                    Ty::List(t) if !elem.comparable(t) => self.type_error(
                        id,
                        format!(
                            "`in`: a {} cannot be an element of a {}",
                            elem.name(),
                            coll.name()
                        ),
                    ),
                    Ty::List(_) | Ty::Map | Ty::Dyn => {}
                    other => self.type_error(
                        id,
                        format!("`in` needs a list or map, got a {}", other.name()),
                    ),
                }
                self.protected_against_literal(call, f);
                Ty::Bool
            }
            operators::INDEX => match arg(0) {
                Ty::List(t) => {
                    if !matches!(arg(1), Ty::Int | Ty::UInt | Ty::Dyn) {
                        self.type_error(
                            id,
                            format!("a list index must be an int, got a {}", arg(1).name()),
                        );
                    }
                    *t
                }
                Ty::Map | Ty::Dyn => Ty::Dyn,
                other => {
                    self.type_error(id, format!("cannot index a {}", other.name()));
                    Ty::Dyn
                }
            },
            "size" => {
                let subject = target.clone().unwrap_or_else(|| arg(0));
                if !matches!(
                    subject,
                    Ty::List(_) | Ty::String | Ty::Bytes | Ty::Map | Ty::Dyn
                ) {
                    self.type_error(id, format!("size() of a {}", subject.name()));
                }
                Ty::Int
            }
            "contains" | "startsWith" | "endsWith" | "matches" => {
                let recv = target.clone().unwrap_or(Ty::Dyn);
                if !matches!(recv, Ty::String | Ty::Dyn) || !matches!(arg(0), Ty::String | Ty::Dyn)
                {
                    self.type_error(
                        id,
                        format!(
                            "{f}() works on strings, got {}.{f}({}) (for lists use `x in list`)",
                            recv.name(),
                            arg(0).name()
                        ),
                    );
                }
                self.protected_against_literal(call, f);
                Ty::Bool
            }
            "int" => Ty::Int,
            "uint" => Ty::UInt,
            "double" => Ty::Float,
            "string" => Ty::String,
            "bool" => Ty::Bool,
            "bytes" => Ty::Bytes,
            "max" | "min" => args.first().cloned().unwrap_or(Ty::Dyn),
            other if KNOWN_FUNCTIONS.contains(&other) => Ty::Dyn,
            other => {
                self.type_error(id, format!("unknown function `{other}`"));
                Ty::Dyn
            }
        }
    }

    /// The fairness lint's second half: a protected attribute compared with a fixed value (a country, a
    /// language, a name pattern) is a stereotype, not the subject's own contradiction.
    fn protected_against_literal(&mut self, call: &cel::common::ast::CallExpr, f: &str) {
        let mut operands: Vec<&IdedExpr> = call.args.iter().collect();
        if let Some(t) = &call.target {
            operands.push(t);
        }
        let protected: Vec<String> = operands
            .iter()
            .filter_map(|e| qualified(&e.expr))
            .filter_map(|segs| self.protected_fact(&segs))
            .collect();
        let literal = operands
            .iter()
            .any(|e| matches!(&e.expr, Expr::Literal(_)) || is_literal_list(e));
        if let (Some(name), true) = (protected.first(), literal) {
            self.out.problems.push(Problem::Fairness {
                message: format!(
                    "`{name}` is a protected attribute compared with a fixed value using `{}`; compare it \
                     only with the subject's own evidence (e.g. a claim against the observed sign-in country), \
                     never with a list of nationalities, languages or names",
                    op_symbol(f)
                ),
                expr_id: operands.first().map_or(0, |e| e.id),
            });
        }
    }

    fn protected_fact(&self, segments: &[&str]) -> Option<String> {
        if segments.first().is_some_and(|s| self.local(s).is_some()) {
            return None;
        }
        (2..=segments.len()).find_map(|len| {
            let name = segments[..len].join(".");
            self.registry
                .get(&name)
                .filter(|s: &&FactSpec| s.protected)
                .map(|_| name)
        })
    }
}

/// The id of the identifier at the root of a selection chain (where the dotted name starts in the source).
fn root_id(expr: &IdedExpr) -> u64 {
    let mut e = expr;
    while let Expr::Select(s) = &e.expr {
        e = &s.operand;
    }
    e.id
}

fn is_literal_list(e: &IdedExpr) -> bool {
    match &e.expr {
        Expr::List(l) => {
            !l.elements.is_empty()
                && l.elements
                    .iter()
                    .all(|x| matches!(x.expr, Expr::Literal(_)))
        }
        _ => false,
    }
}

fn op_symbol(f: &str) -> &str {
    match f {
        operators::LOGICAL_AND => "&&",
        operators::LOGICAL_OR => "||",
        operators::LOGICAL_NOT => "!",
        operators::EQUALS => "==",
        operators::NOT_EQUALS => "!=",
        operators::LESS => "<",
        operators::LESS_EQUALS => "<=",
        operators::GREATER => ">",
        operators::GREATER_EQUALS => ">=",
        operators::ADD => "+",
        operators::SUBSTRACT => "-",
        operators::MULTIPLY => "*",
        operators::DIVIDE => "/",
        operators::MODULO => "%",
        operators::IN => "in",
        other => other,
    }
}

/// The fairness lint's first half, over the whole rule: a condition that reads protected facts must also
/// read a non-protected fact (the subject's own evidence), and the rule must show one as evidence.
pub(crate) fn fairness(
    condition_facts: &BTreeSet<String>,
    evidence: &[String],
    registry: &FactRegistry,
) -> Option<String> {
    let is_protected = |n: &String| registry.get(n).is_some_and(|s| s.protected);
    let protected: Vec<&String> = condition_facts.iter().filter(|n| is_protected(n)).collect();
    if protected.is_empty() {
        return None;
    }
    let names = protected
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if condition_facts.iter().all(is_protected) {
        return Some(format!(
            "the condition reads only protected attributes ({names}); no rule may fire on nationality, name \
             origin or language alone — add the subject's own contradicting evidence (network, documents, \
             payment)"
        ));
    }
    if !evidence
        .iter()
        .any(|e| registry.get(e).is_some_and(|s| !s.protected))
    {
        return Some(format!(
            "the condition reads protected attributes ({names}) but `evidence` shows none of the subject's \
             own non-protected evidence; list the contradicting fact(s) in `evidence`"
        ));
    }
    None
}

/// Rewrites every selection chain that names a registered fact into a single identifier given by `ident`
/// (the evaluator's slot name), so evaluation resolves one name instead of splitting and joining segments.
/// Locals (comprehension variables) are left alone.
pub(crate) fn rewrite_facts(expr: &mut IdedExpr, ident: &dyn Fn(&str) -> Option<String>) {
    fn walk(expr: &mut IdedExpr, locals: &mut Vec<String>, ident: &dyn Fn(&str) -> Option<String>) {
        if let Some(segments) = qualified(&expr.expr)
            && !locals.iter().any(|l| l == segments[0])
        {
            let found = (2..=segments.len()).find_map(|len| {
                (len == segments.len())
                    .then(|| ident(&segments[..len].join(".")))
                    .flatten()
            });
            if let Some(name) = found {
                expr.expr = Expr::Ident(name);
                return;
            }
        }
        match &mut expr.expr {
            Expr::Select(s) => walk(&mut s.operand, locals, ident),
            Expr::Call(c) => {
                if let Some(t) = c.target.as_mut() {
                    walk(t, locals, ident);
                }
                for a in &mut c.args {
                    walk(a, locals, ident);
                }
            }
            Expr::List(l) => {
                for e in &mut l.elements {
                    walk(e, locals, ident);
                }
            }
            Expr::Map(m) => {
                for entry in &mut m.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(e) = &mut entry.expr {
                        walk(&mut e.key, locals, ident);
                        walk(&mut e.value, locals, ident);
                    }
                }
            }
            Expr::Comprehension(c) => {
                walk(&mut c.iter_range, locals, ident);
                walk(&mut c.accu_init, locals, ident);
                let depth = locals.len();
                locals.push(c.iter_var.clone());
                if let Some(v2) = &c.iter_var2 {
                    locals.push(v2.clone());
                }
                locals.push(c.accu_var.clone());
                walk(&mut c.loop_cond, locals, ident);
                walk(&mut c.loop_step, locals, ident);
                walk(&mut c.result, locals, ident);
                locals.truncate(depth);
            }
            _ => {}
        }
    }
    walk(expr, &mut Vec::new(), ident);
}
