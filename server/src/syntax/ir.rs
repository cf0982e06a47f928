//! A small, owned intermediate representation of a Python module: the bindings, functions, classes
//! and calls that matter for following initializer values. It is built from the rustpython AST by
//! [`crate::syntax::lower`] and is bounded in depth, so it can be dropped on any thread.

use std::sync::Arc;

/// The maps of the IR: names to bindings, methods and attributes. Fx hashing (rustc-hash):
/// keys are short identifiers, looked up on every name the evaluator follows.
pub type NameMap<V> = rustc_hash::FxHashMap<Name, V>;

/// An identifier in the IR (a name, an attribute, a keyword): shared text, one allocation per
/// distinct identifier of a file ([`Interner`]). A thin pointer (8 bytes, where `Arc<str>` took
/// 16 and a `String` 24 plus its own allocation), so that an [`Expr`] fits in 32 bytes. Compares
/// and hashes as its text (names of one file are compared by address first).
#[derive(Clone, Hash, PartialOrd, Ord)]
pub struct Name(Arc<Box<str>>);

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl Eq for Name {}

/// The order of names in a scope's sorted tables (timeline, definitions, `anytime`, mutated
/// names): by length, then bytes. A binary search then compares lengths, which a `&str` carries,
/// and reads the text only of names of the same length.
pub fn name_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

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
        std::fmt::Debug::fmt(&**self.0, f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &**self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &**self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        **self.0 == **other
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(Arc::new(Box::from(s)))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(Arc::new(s.into_boxed_str()))
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
    /// `value.attr`; the attribute name ends the expression (see [`Expr::attr_span`]).
    Attr {
        value: Box<Expr>,
        attr: Name,
        span: Span,
    },
    Call(Arc<Call>),
    Str {
        value: Box<str>,
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
        items: Box<[(Option<Expr>, Expr)]>,
        span: Span,
    },
    List {
        elts: Box<[Expr]>,
        span: Span,
    },
    Tuple {
        elts: Box<[Expr]>,
        span: Span,
    },
    Starred {
        value: Box<Expr>,
        span: Span,
    },
    /// `body if test else orelse`; also `x or y` (test and body `x`) and `x and y` (test `x`,
    /// body `y`, orelse `x`).
    IfExp(Box<IfExp>),
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
    Lambda(Box<Lambda>),
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
            | Expr::Compare { span, .. }
            | Expr::Not { span, .. }
            | Expr::BinOp { span, .. }
            | Expr::Subscript { span, .. }
            | Expr::Other { span, .. } => *span,
            Expr::Call(c) => c.span,
            Expr::IfExp(x) => x.span,
            Expr::Lambda(x) => x.span,
        }
    }

    /// The span of the attribute name of `value.attr` (it ends the expression).
    pub fn attr_span(&self) -> Option<Span> {
        match self {
            Expr::Attr { attr, span, .. } => Some(Span::new(
                span.end.saturating_sub(attr.len() as u32),
                span.end,
            )),
            _ => None,
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

/// `body if test else orelse`; also `x or y` (test and body `x`) and `x and y` (test `x`, body
/// `y`, orelse `x`). Boxed in [`Expr::IfExp`] to keep [`Expr`] at 32 bytes.
#[derive(Clone, Debug)]
pub struct IfExp {
    pub test: Expr,
    pub body: Expr,
    pub orelse: Expr,
    pub span: Span,
}

/// `lambda params: body`. Boxed in [`Expr::Lambda`] to keep [`Expr`] at 32 bytes.
#[derive(Clone, Debug)]
pub struct Lambda {
    pub params: Vec<String>,
    pub body: Expr,
    pub span: Span,
}

// The IR holds millions of expressions on a large workspace: keep them small.
const _: () = assert!(std::mem::size_of::<Expr>() == 32);
const _: () = assert!(std::mem::size_of::<Name>() == 8);

/// A comparison operator the resolver can decide on literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Is,
    IsNot,
    In,
    NotIn,
    Lt,
    LtE,
    Gt,
    GtE,
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
    pub args: Box<[Expr]>,
    pub keywords: Box<[Keyword]>,
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
        self.func.attr_span().unwrap_or_else(|| self.func.span())
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
    /// A comprehension: its variables, evaluated where it is written.
    Comprehension,
    /// A lambda: its parameters, evaluated when it is called.
    Lambda,
}

/// A scope index stored in 4 bytes.
pub type ScopeId32 = u32;

/// Index of a [`Def`] in [`ModuleIr::defs`].
pub type DefId = u32;
/// Index of a live set in [`ModuleIr::lives`].
pub type LiveId = u32;
/// Index of a path condition in [`ModuleIr::preds`]; [`TRUE`] is the empty conjunction.
pub type PredId = u32;
/// Index of a [`Cond`] in [`ModuleIr::conds`].
pub type CondId = u32;

/// In a live set: the name may be unbound on some path (Python raises `NameError` or
/// `UnboundLocalError` there, or falls back to builtins in module and class scopes).
pub const UNBOUND: DefId = u32::MAX >> 1;
/// The live set `{UNBOUND}`: nothing is bound.
pub const NOTHING: LiveId = ONE | UNBOUND;
/// A [`LiveId`] with this bit set is the set of one definition (the other bits), reached on every
/// path: no table entry is kept for it.
pub const ONE: LiveId = 1 << 31;
/// The path condition that always holds.
pub const TRUE: PredId = 0;

/// A definition reaching a point, under the path condition `pred` (a conjunction of branch
/// conditions, see [`Pred`]): the definition reaches only along paths on which `pred` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reach {
    pub def: DefId,
    pub pred: PredId,
}

/// One link of a path condition: `cond` has truthiness `polarity`, and `parent` holds too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pred {
    pub cond: CondId,
    pub polarity: bool,
    pub parent: PredId,
}

/// The test of an `if`, `elif` or conditional branch, evaluated in `scope` at the test's position.
#[derive(Clone, Debug)]
pub struct Cond {
    pub test: Expr,
    pub scope: ScopeId,
}

/// Something that gives a name a value, or changes the object the name holds, at one point of a
/// scope's control flow (the flow is what [`Scope::timeline`] records).
#[derive(Clone, Debug)]
pub struct Def {
    /// The name defined (`*` for a star import that may define any name).
    pub name: Name,
    pub scope: ScopeId32,
    /// The target: the name in `x = ...`, the imported name, the `def`/`class` name.
    pub span: Span,
    pub kind: DefKind,
}

/// How a [`Def`] gives its value.
#[derive(Clone, Debug)]
pub enum DefKind {
    /// `x = expr` (also annotated and `:=` assignments).
    Value(Expr),
    /// Part of a value: with `each`, one element of the iterable `of` (a `for` target or a
    /// comprehension variable); then, for each index of `path`, that element of it (unpacking
    /// `a, b = of`, or `for i, v in of`).
    Element {
        of: Box<Expr>,
        each: bool,
        path: Box<[u32]>,
    },
    /// `import a.b as c` binds `c` to module `a.b`; `import a.b` binds `a` to module `a` (and
    /// imports `a.b`: `full`).
    Import {
        module: Name,
        full: Name,
    },
    /// `from .mod import name`: `level` leading dots.
    ImportFrom {
        module: Name,
        level: u32,
        name: Name,
    },
    /// `from mod import *`: the name, if `mod` defines it; else the definitions of `prev`.
    StarImport {
        module: Name,
        level: u32,
        prev: LiveId,
    },
    Function(FuncId),
    Class(ClassId),
    Param {
        func: FuncId,
        index: usize,
    },
    /// The object the name holds is changed in place (`d[k] = v`, `d.update(...)`, `x.attr = v`):
    /// its value is that of the definitions of `prev`, changed by `op`.
    Mutation {
        op: Box<Mutation>,
        prev: LiveId,
    },
    /// The head of a loop: the definitions live before the loop and at the end of each iteration.
    Phi {
        sources: Box<[LiveId]>,
    },
    /// A binding we do not follow, with the reason.
    Unknown(&'static str),
}

/// A change made in place to the object a name holds.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// `name[key] = value`
    SetItem { key: Expr, value: Expr },
    /// `del name[key]`
    DelItem { key: Expr },
    /// `name.update(...)`, `name.setdefault(...)`, `name.pop(...)`, `name.popitem()`,
    /// `name.clear()`, `name.append(...)`, `name.extend(...)`, `name.insert(...)`, ...: the call.
    Method(Arc<Call>),
    /// `name.attr = value` (`None`: deleted, or changed by an augmented assignment).
    SetAttr { attr: Name, value: Option<Expr> },
    /// A part of the object is changed (`name.a[k] = v`, `name[0].update(...)`, ...).
    Deep(Span),
}

/// Where the object a definition binds may be reached by other code than through its name (so
/// it may be changed there): the first few such uses of each definition.
#[derive(Clone, Debug)]
pub struct Escape {
    pub def: DefId,
    /// The use of the name.
    pub span: Span,
    pub kind: EscapeKind,
}

#[derive(Clone, Copy, Debug)]
pub enum EscapeKind {
    /// `other = name`: the object is also held by definition `DefId`.
    Alias(DefId),
    /// Passed as an argument of call `call` (index into [`ModuleIr::calls`]): positional
    /// argument `slot`, or keyword argument `slot & !KEYWORD` (index into its keywords) when
    /// [`KEYWORD`] is set.
    Arg { call: u32, slot: u32 },
    /// Returned from its function.
    Return,
    /// Stored in a container or an attribute, captured, yielded, or used in a way not followed
    /// (also: more uses than are recorded).
    Other,
}

/// A use of `base.attr` that lets the object reach other code (see [`ModuleIr::attr_escapes`]).
#[derive(Clone, Debug)]
pub struct AttrEscape {
    /// The name read (`mod` of `mod.CFG`).
    pub base: Name,
    pub attr: Name,
    /// The scope of the use.
    pub scope: ScopeId32,
    /// The span of `base.attr`.
    pub span: Span,
    pub kind: EscapeKind,
}

/// See [`EscapeKind::Arg`].
pub const KEYWORD: u32 = 1 << 31;

/// A use of a name as the callee of a call (`layer(x)`): for a layer object, where it is built.
#[derive(Clone, Copy, Debug)]
pub struct Apply {
    pub def: DefId,
    pub span: Span,
    /// The path condition of the call.
    pub pred: PredId,
}

/// `base.attr = value` anywhere (also `setattr(base, "attr", value)`, `del base.attr`, and
/// `base.attr[k] = v`, which changes the object in `base.attr`: `value` is `None`).
#[derive(Clone, Debug)]
pub struct AttrStore {
    pub base: Expr,
    pub attr: Name,
    pub value: Option<Expr>,
    pub scope: ScopeId,
    /// The whole statement; the store takes effect at its end.
    pub span: Span,
    /// The path condition of the statement in its scope.
    pub pred: PredId,
    /// Inside a loop of its scope (it may run again after any later statement of the loop).
    pub looped: bool,
    /// The base is the first parameter of the method the store is in (`self.x = ...`): a
    /// store on the instance itself (see [`Class::self_attrs`]).
    pub on_self: bool,
    /// For `setattr(obj, name, value)` with a name that is not a literal (`attr` is `*`): what
    /// the source says of the name.
    pub dyn_name: Option<Box<DynName>>,
}

/// The name expression of a `setattr` whose name is not a string literal, and the constant
/// text an f-string name starts and ends with (`f"{name}_id"`: suffix `_id`), which every name
/// it makes has.
#[derive(Clone, Debug)]
pub struct DynName {
    pub expr: Expr,
    pub prefix: String,
    pub suffix: String,
}

/// One entry of [`Scope::timeline`]: from offset `at` on, `name` has the live set `live`.
#[derive(Clone, Debug)]
pub struct TimelineEntry {
    pub name: Name,
    pub at: u32,
    pub live: LiveId,
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    /// The byte range of the scope's body (the whole module, the `def` or `class` statement, the
    /// comprehension or lambda).
    pub span: Span,
    /// For each name: from which offset on which definitions are live, sorted by (name in
    /// [`name_order`], offset) (the last entry of a name at or before a point gives the live set
    /// there, in the flow order of the scope). For a function scope the names are its local names.
    pub timeline: Box<[TimelineEntry]>,
    /// The live set of names with no entry of their own before a point: [`NOTHING`], then the
    /// star imports (`from m import *`) made so far.
    pub default_timeline: Box<[(u32, LiveId)]>,
    /// Definitions made by other scopes at times the flow does not order: `global x` or
    /// `nonlocal x` assignments in functions. Sorted by name ([`name_order`]).
    pub anytime: Box<[(Name, DefId)]>,
    /// Names of this scope whose object is changed in place from a nested scope (`d[k] = v` in a
    /// function on a module-level `d`), with where. Sorted by name ([`name_order`]).
    pub mutated_elsewhere: Box<[(Name, Span)]>,
    /// This scope's range of [`ModuleIr::def_index`].
    pub def_range: (u32, u32),
    /// Names declared `global` (or `nonlocal`) in this scope.
    pub declared: Box<[Name]>,
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
    /// Each `return value` with its path condition (a function that may end without a return
    /// also returns None: see `falls_off`).
    pub returns: Vec<(Expr, PredId)>,
    /// The end of the body may be reached (an implicit `return None`).
    pub falls_off: bool,
    /// The body contains `yield`: calling it makes a generator.
    pub generator: bool,
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
    /// `metaclass=` and other class keywords are not followed: their presence is recorded.
    pub has_keywords: bool,
    pub scope: ScopeId,
    pub parent_scope: ScopeId,
    /// Methods by name (the last `def` of each name in the class body).
    pub methods: NameMap<FuncId>,
    /// `self.attr = value` inside methods: indices into [`ModuleIr::stores`] by attribute.
    pub self_attrs: NameMap<Vec<u32>>,
    /// The first line of the docstring.
    pub doc: Option<String>,
    pub decorators: Vec<Expr>,
}

/// A call expression, the scope it is evaluated in, and the path condition under which it runs.
#[derive(Clone, Debug)]
pub struct CallSite {
    pub call: Arc<Call>,
    pub scope: ScopeId,
    pub pred: PredId,
    /// What is done with the value the call gives.
    pub value_use: CallUse,
    /// Inside a loop of its scope (it may run more than once per run of the scope).
    pub looped: bool,
}

/// What is done with the value a call gives (for an object made there: whether code elsewhere
/// can reach it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallUse {
    /// Read and dropped (an expression statement, `f().attr`, `f()[k]`).
    Read,
    /// Called at once (`Layer(...)(x)`).
    Called,
    /// Bound to one name (`x = f()`): see that name's definition.
    Bound,
    /// Handed on (an argument, a container, a return, an attribute).
    Escapes,
}

/// A live set (see [`ModuleIr::live`]): a slice of [`Reach`].
pub enum Live<'a> {
    One([Reach; 1]),
    Many(&'a [Reach]),
}

impl std::ops::Deref for Live<'_> {
    type Target = [Reach];
    fn deref(&self) -> &[Reach] {
        match self {
            Live::One(a) => a,
            Live::Many(s) => s,
        }
    }
}

/// The lowered module.
#[derive(Clone, Debug, Default)]
pub struct ModuleIr {
    pub scopes: Vec<Scope>,
    pub functions: Vec<Function>,
    pub classes: Vec<Class>,
    /// Every call in the file, in source order.
    pub calls: Vec<CallSite>,
    /// Every definition (see [`Scope::defs`] and [`Scope::timeline`]).
    pub defs: Vec<Def>,
    /// Sets of definitions reaching a point, with more than one definition or a condition:
    /// `(start, len)` into `reaches` (see [`ModuleIr::live`]; a single unconditional
    /// definition is encoded in its [`LiveId`], see [`ONE`]).
    pub lives: Vec<(u32, u32)>,
    pub reaches: Vec<Reach>,
    /// Every definition by (scope, name in [`name_order`], id): each scope's are `def_range` of it.
    pub def_index: Box<[DefId]>,
    /// Path conditions; `preds[0]` is [`TRUE`] (its fields are not used).
    pub preds: Vec<Pred>,
    pub conds: Vec<Cond>,
    /// Uses that let a definition's object be reached elsewhere, sorted by definition.
    pub escapes: Vec<Escape>,
    /// Uses of `name.attr` (a name's attribute, such as a module's global read from another
    /// module) that let that object be reached elsewhere (`change(mod.CFG)`, `x = mod.CFG`),
    /// in source order. An alias is [`EscapeKind::Other`].
    pub attr_escapes: Vec<AttrEscape>,
    /// Calls of a name's object (`layer(x)`), sorted by definition.
    pub applies: Vec<Apply>,
    /// Attribute stores, in source order.
    pub stores: Vec<AttrStore>,
    /// `from m import *` at module level (module, level), in source order.
    pub star_imports: Vec<(String, u32)>,
    /// Where the module's globals may be rebound by name at run time (`globals()[...] = ...`,
    /// `vars()`, `sys.modules[...]`): every module-level name may then have another value.
    pub dynamic_globals: Option<Span>,
    /// `__all__`, when it is a literal list or tuple of strings.
    pub all: Option<Vec<String>>,
}

impl ModuleIr {
    /// Releases the spare capacity of the vectors grown while lowering.
    pub fn shrink_to_fit(&mut self) {
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
        self.defs.shrink_to_fit();
        self.lives.shrink_to_fit();
        self.reaches.shrink_to_fit();
        self.preds.shrink_to_fit();
        self.conds.shrink_to_fit();
        self.escapes.shrink_to_fit();
        self.attr_escapes.shrink_to_fit();
        self.applies.shrink_to_fit();
        self.stores.shrink_to_fit();
        self.star_imports.shrink_to_fit();
    }

    /// The live set `live`.
    pub fn live(&self, live: LiveId) -> Live<'_> {
        if live & ONE != 0 {
            Live::One([Reach {
                def: live & !ONE,
                pred: TRUE,
            }])
        } else {
            let (start, len) = self.lives[live as usize];
            Live::Many(&self.reaches[start as usize..(start + len) as usize])
        }
    }

    /// The entries of `name` in `scope`'s timeline.
    fn timeline_of(&self, scope: ScopeId, name: &str) -> &[TimelineEntry] {
        let tl = &self.scopes[scope].timeline;
        let i = tl.partition_point(|e| name_order(&e.name, name).is_lt());
        let j = i + tl[i..].partition_point(|e| &*e.name == name);
        &tl[i..j]
    }

    /// The definitions of `name` live at offset `at` of `scope` (in the scope's flow: `at` is a
    /// position of its own code, not of a nested scope). `u32::MAX` gives the end of the scope.
    pub fn live_at(&self, scope: ScopeId, name: &str, at: u32) -> Live<'_> {
        let tl = self.timeline_of(scope, name);
        let i = tl.partition_point(|e| e.at <= at);
        let live = if i > 0 {
            tl[i - 1].live
        } else {
            let d = &self.scopes[scope].default_timeline;
            let k = d.partition_point(|(off, _)| *off <= at);
            if k > 0 {
                d[k - 1].1
            } else {
                NOTHING
            }
        };
        self.live(live)
    }

    /// Every definition of `name` in `scope` (anytime ones included), in source order.
    pub fn defs_of(&self, scope: ScopeId, name: &str) -> &[DefId] {
        let (a, b) = self.scopes[scope].def_range;
        let ix = &self.def_index[a as usize..b as usize];
        let i = ix.partition_point(|d| name_order(&self.defs[*d as usize].name, name).is_lt());
        let j = i + ix[i..].partition_point(|d| &*self.defs[*d as usize].name == name);
        &ix[i..j]
    }

    /// Every definition of `scope` (by name, then source order).
    pub fn defs_in(&self, scope: ScopeId) -> &[DefId] {
        let (a, b) = self.scopes[scope].def_range;
        &self.def_index[a as usize..b as usize]
    }

    /// The definitions of `name` made in `scope` by other scopes (see [`Scope::anytime`]).
    pub fn anytime_of(&self, scope: ScopeId, name: &str) -> impl Iterator<Item = DefId> + '_ {
        let a = &self.scopes[scope].anytime;
        let i = a.partition_point(|(n, _)| name_order(n, name).is_lt());
        let j = i + a[i..].partition_point(|(n, _)| &**n == name);
        a[i..j].iter().map(|(_, d)| *d)
    }

    /// Where `name` of `scope` is changed in place by a nested scope (see
    /// [`Scope::mutated_elsewhere`]).
    pub fn mutated_elsewhere_of(&self, scope: ScopeId, name: &str) -> Option<Span> {
        let m = &self.scopes[scope].mutated_elsewhere;
        let i = m.partition_point(|(n, _)| name_order(n, name).is_lt());
        m.get(i).filter(|(n, _)| &**n == name).map(|(_, s)| *s)
    }

    /// Whether `name` is a local name of function scope `scope` (bound anywhere in it, not
    /// declared `global`/`nonlocal`); for module and class scopes, whether it is bound there.
    pub fn is_local(&self, scope: ScopeId, name: &str) -> bool {
        let sc = &self.scopes[scope];
        if sc.declared.iter().any(|d| d == name) {
            return false;
        }
        // A star import (module level) may bind any name.
        !self.timeline_of(scope, name).is_empty() || !sc.default_timeline.is_empty()
    }

    /// The escapes of definition `def` (see [`Escape`]).
    pub fn escapes_of(&self, def: DefId) -> &[Escape] {
        let i = self.escapes.partition_point(|e| e.def < def);
        let j = self.escapes.partition_point(|e| e.def <= def);
        &self.escapes[i..j]
    }

    /// The calls of definition `def`'s object (`layer(x)`).
    pub fn applies_of(&self, def: DefId) -> &[Apply] {
        let i = self.applies.partition_point(|e| e.def < def);
        let j = self.applies.partition_point(|e| e.def <= def);
        &self.applies[i..j]
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
