//! A small, owned intermediate representation of a Python module: the bindings, functions, classes
//! and calls that matter for following initializer values. It is built from the rustpython AST by
//! [`crate::syntax::lower`] and is bounded in depth, so it can be dropped on any thread.

use std::sync::Arc;

/// The maps of the IR: names to bindings, methods and attributes. Fx hashing (rustc-hash):
/// keys are short identifiers, looked up on every name the evaluator follows.
pub type NameMap<V> = rustc_hash::FxHashMap<Name, V>;

/// An identifier in the IR (a name, an attribute, a keyword): shared text, one allocation per
/// distinct identifier of a file ([`Interner`]), 16 bytes where a `String` took 24 plus its own
/// allocation. Compares and hashes as its text.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(Arc::from(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(Arc::from(s))
    }
}

impl From<Name> for String {
    fn from(n: Name) -> Self {
        n.0.to_string()
    }
}

/// Gives one [`Name`] per distinct identifier (per file: the lowering of one module).
#[derive(Default)]
pub struct Interner(rustc_hash::FxHashSet<Name>);

impl Interner {
    pub fn name(&mut self, s: &str) -> Name {
        if let Some(n) = self.0.get(s) {
            return n.clone();
        }
        let n = Name::from(s);
        self.0.insert(n.clone());
        n
    }
}

/// A byte range `[start, end)` in the file text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }
    pub fn contains(&self, off: u32) -> bool {
        self.start <= off && off <= self.end
    }
}

/// A Python number literal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

/// An expression, reduced to the forms the value resolver understands. Everything else is
/// [`Expr::Other`], which resolves to "unresolved: depends on a runtime value".
#[derive(Clone, Debug)]
pub enum Expr {
    Name {
        id: Name,
        span: Span,
    },
    Attr {
        value: Box<Expr>,
        attr: Name,
        attr_span: Span,
        span: Span,
    },
    Call(Arc<Call>),
    Str {
        value: String,
        span: Span,
    },
    Num {
        value: Number,
        span: Span,
    },
    Bool {
        value: bool,
        span: Span,
    },
    NoneLit {
        span: Span,
    },
    /// `{k: v, **spread}`; a `None` key is a `**` spread.
    Dict {
        items: Vec<(Option<Expr>, Expr)>,
        span: Span,
    },
    List {
        elts: Vec<Expr>,
        span: Span,
    },
    Tuple {
        elts: Vec<Expr>,
        span: Span,
    },
    Starred {
        value: Box<Expr>,
        span: Span,
    },
    /// `body if test else orelse`; also `x or y` (test and body `x`) and `x and y` (test `x`,
    /// body `y`, orelse `x`).
    IfExp {
        test: Box<Expr>,
        body: Box<Expr>,
        orelse: Box<Expr>,
        span: Span,
    },
    /// `left op right` for one comparison operator.
    Compare {
        left: Box<Expr>,
        op: CmpOp,
        right: Box<Expr>,
        span: Span,
    },
    /// `left op right` for arithmetic on numbers (`+ - * / // % **`); folded when both sides are
    /// number literals or names bound to them.
    BinOp {
        left: Box<Expr>,
        op: char,
        right: Box<Expr>,
        span: Span,
    },
    /// `not value`.
    Not {
        value: Box<Expr>,
        span: Span,
    },
    Lambda {
        params: Vec<String>,
        body: Box<Expr>,
        span: Span,
    },
    Subscript {
        value: Box<Expr>,
        index: Box<Expr>,
        span: Span,
    },
    /// A form we do not follow (arithmetic, comprehension, f-string, ...).
    Other {
        what: &'static str,
        span: Span,
    },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Name { span, .. }
            | Expr::Attr { span, .. }
            | Expr::Str { span, .. }
            | Expr::Num { span, .. }
            | Expr::Bool { span, .. }
            | Expr::NoneLit { span }
            | Expr::Dict { span, .. }
            | Expr::List { span, .. }
            | Expr::Tuple { span, .. }
            | Expr::Starred { span, .. }
            | Expr::IfExp { span, .. }
            | Expr::Compare { span, .. }
            | Expr::Not { span, .. }
            | Expr::BinOp { span, .. }
            | Expr::Lambda { span, .. }
            | Expr::Subscript { span, .. }
            | Expr::Other { span, .. } => *span,
            Expr::Call(c) => c.span,
        }
    }

    /// The dotted name of `a.b.c`, if the expression is one.
    pub fn dotted(&self) -> Option<String> {
        match self {
            Expr::Name { id, .. } => Some(id.to_string()),
            Expr::Attr { value, attr, .. } => Some(format!("{}.{attr}", value.dotted()?)),
            _ => None,
        }
    }
}

/// A comparison operator the resolver can decide on literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Is,
    IsNot,
    In,
    NotIn,
}

/// A branch condition: the binding below it holds only if `test` has truthiness `polarity`
/// (and the parent condition holds).
#[derive(Clone, Debug)]
pub struct Cond {
    pub test: Expr,
    pub polarity: bool,
    pub parent: Option<usize>,
    pub scope: ScopeId,
}

/// A keyword argument; `name == None` is a `**spread`.
#[derive(Clone, Debug)]
pub struct Keyword {
    pub name: Option<Name>,
    pub value: Expr,
    pub span: Span,
}

/// A call expression `func(args..., keywords...)`.
#[derive(Clone, Debug)]
pub struct Call {
    pub func: Expr,
    pub args: Vec<Expr>,
    pub keywords: Vec<Keyword>,
    /// The whole call, from the start of `func` to the closing parenthesis.
    pub span: Span,
}

impl Call {
    pub fn keyword(&self, name: &str) -> Option<&Keyword> {
        self.keywords
            .iter()
            .find(|k| k.name.as_deref() == Some(name))
    }
    /// The span to hover on: the last name of the callee (`Dense` in `layers.Dense(...)`) or the
    /// whole callee for other forms.
    pub fn callee_name_span(&self) -> Span {
        match &self.func {
            Expr::Attr { attr_span, .. } => *attr_span,
            f => f.span(),
        }
    }
}

pub type ScopeId = usize;
pub type FuncId = usize;
pub type ClassId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function(FuncId),
    Class(ClassId),
    Comprehension,
}

/// What a name is bound to.
#[derive(Clone, Debug)]
pub enum BindingKind {
    Value(Expr),
    /// `import a.b as c` binds `c` to module `a.b`; `import a.b` binds `a` to module `a`.
    Import {
        module: Name,
    },
    /// `from .mod import name`: `level` leading dots.
    ImportFrom {
        module: Name,
        level: u32,
        name: Name,
    },
    Function(FuncId),
    Class(ClassId),
    Param {
        func: FuncId,
        index: usize,
    },
    /// One element of an iterable (`for x in [a, b]`), or `index` of a tuple (`a, b = f()`).
    Element {
        of: Box<Expr>,
        index: Option<u32>,
    },
    /// A binding we cannot follow, with the reason.
    Unknown(&'static str),
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub kind: BindingKind,
    /// Span of the bound name (the target).
    pub span: Span,
    /// Inside `if`/`for`/`while`/`try`/`match`: it may or may not have run.
    pub conditional: bool,
    /// The innermost `if` condition guarding it (index into [`ModuleIr::conds`]).
    pub cond: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    pub bindings: NameMap<Vec<Binding>>,
    /// Calls `name.update(...)`, `name.setdefault(...)`, `name[k] = v` on names of this scope.
    pub mutations: NameMap<Vec<Mutation>>,
}

/// A change made to a dict held in a name.
#[derive(Clone, Debug)]
pub enum Mutation {
    Update(Arc<Call>),
    SetDefault(Arc<Call>),
    SetItem { key: Expr, value: Expr, span: Span },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    Positional,
    KeywordOnly,
    VarArgs,
    VarKeywords,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub default: Option<Expr>,
    pub kind: ParamKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub span: Span,
    pub name_span: Span,
    pub params: Vec<Param>,
    /// The function's own scope.
    pub scope: ScopeId,
    /// The scope the `def` is in.
    pub parent_scope: ScopeId,
    pub returns: Vec<Expr>,
    pub class: Option<ClassId>,
    /// The first line of the docstring.
    pub doc: Option<String>,
    pub decorators: Vec<Expr>,
}

#[derive(Clone, Debug)]
pub struct Class {
    pub name: String,
    pub span: Span,
    pub name_span: Span,
    pub bases: Vec<Expr>,
    pub scope: ScopeId,
    pub parent_scope: ScopeId,
    pub methods: NameMap<FuncId>,
    /// `self.attr = value` inside methods: (value, scope of the method).
    pub self_attrs: NameMap<Vec<(Expr, ScopeId)>>,
    /// The first line of the docstring.
    pub doc: Option<String>,
    pub decorators: Vec<Expr>,
}

/// A call expression and the scope it is evaluated in.
#[derive(Clone, Debug)]
pub struct CallSite {
    pub call: Arc<Call>,
    pub scope: ScopeId,
}

/// The lowered module.
#[derive(Clone, Debug, Default)]
pub struct ModuleIr {
    pub scopes: Vec<Scope>,
    pub functions: Vec<Function>,
    pub classes: Vec<Class>,
    /// Every call in the file, in source order.
    pub calls: Vec<CallSite>,
    /// `from m import *` (module, level).
    pub star_imports: Vec<(String, u32)>,
    /// Conditions of `if` statements that some binding depends on (see [`Binding::cond`]); the
    /// others are dropped after lowering, so only [`Binding::cond`] and [`Cond::parent`] may hold
    /// indices into this list.
    pub conds: Vec<Cond>,
    /// `__all__`, when it is a literal list or tuple of strings.
    pub all: Option<Vec<String>>,
}

impl ModuleIr {
    /// Releases the spare capacity of every vector and map, once lowering is done. Most names have
    /// one binding, and a `Vec` grown by `push` holds four: without this, binding vectors alone
    /// are a third of the IR's memory.
    pub fn shrink_to_fit(&mut self) {
        for s in &mut self.scopes {
            for v in s.bindings.values_mut() {
                v.shrink_to_fit();
            }
            s.bindings.shrink_to_fit();
            for v in s.mutations.values_mut() {
                v.shrink_to_fit();
            }
            s.mutations.shrink_to_fit();
        }
        for f in &mut self.functions {
            f.params.shrink_to_fit();
            f.returns.shrink_to_fit();
            f.decorators.shrink_to_fit();
        }
        for c in &mut self.classes {
            for v in c.self_attrs.values_mut() {
                v.shrink_to_fit();
            }
            c.self_attrs.shrink_to_fit();
            c.methods.shrink_to_fit();
            c.bases.shrink_to_fit();
            c.decorators.shrink_to_fit();
        }
        self.scopes.shrink_to_fit();
        self.functions.shrink_to_fit();
        self.classes.shrink_to_fit();
        self.calls.shrink_to_fit();
        self.star_imports.shrink_to_fit();
        self.conds.shrink_to_fit();
    }

    /// Innermost scope whose defining statement contains `offset`.
    pub fn scope_at(&self, offset: u32) -> ScopeId {
        let mut best = 0;
        let mut best_len = u32::MAX;
        for f in &self.functions {
            if f.span.contains(offset) && f.span.end - f.span.start < best_len {
                best = f.scope;
                best_len = f.span.end - f.span.start;
            }
        }
        for c in &self.classes {
            if c.span.contains(offset) && c.span.end - c.span.start < best_len {
                best = c.scope;
                best_len = c.span.end - c.span.start;
            }
        }
        best
    }
}
