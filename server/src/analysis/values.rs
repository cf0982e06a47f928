//! The values the resolver understands, and where each came from: an expression evaluates to a set
//! of possibilities ([`Cand`]), each with the steps that led to it. Containers (dicts, lists,
//! partials, layer objects) hold their parts as expressions with the context to evaluate them in
//! ([`Cx`]), so a part is evaluated only when it is needed. No evaluation happens here.

use super::{FileAnalysis, InitVal, Step};
use crate::syntax::ir::{Call, ClassId, Expr, FuncId, Number, ScopeId, Span};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// Where an expression is evaluated: the file, the scope, the offset of the evaluation (for
/// searches that need a position; names are looked up at their own offsets), and the frame of
/// the innermost function call being evaluated (its arguments), if any.
#[derive(Clone, Debug)]
pub struct Cx {
    pub file: Arc<FileAnalysis>,
    pub scope: ScopeId,
    pub at: u32,
    pub frame: Option<Arc<Frame>>,
}

impl Cx {
    /// The context of call site `site` of `file`: its scope, just before the call, in `frame`.
    pub fn at_call(file: &Arc<FileAnalysis>, site: &crate::syntax::ir::CallSite) -> Cx {
        Cx {
            file: file.clone(),
            scope: site.scope,
            at: site.call.span.start,
            frame: None,
        }
    }

    /// [`Cx::time`] without noting that the frame's time was read (to hand it on to a frame).
    pub fn time_quiet(&self) -> Option<(Arc<FileAnalysis>, u32)> {
        match &self.frame {
            Some(f) => f.time.clone(),
            None => Cx {
                frame: None,
                ..self.clone()
            }
            .time(),
        }
    }

    /// The module-level point at which this evaluation runs, when it is known: the position in a
    /// module's own code (no frame), or the point of the outermost call of the frame chain.
    pub fn time(&self) -> Option<(Arc<FileAnalysis>, u32)> {
        match &self.frame {
            Some(f) => {
                f.mark(TIME_USED);
                f.time.clone()
            }
            None => {
                // Module code, or a class body or comprehension in it, runs where it is written.
                let mut s = Some(self.scope);
                while let Some(id) = s {
                    let sc = &self.file.ir.scopes[id];
                    match sc.kind {
                        crate::syntax::ir::ScopeKind::Module => {
                            return Some((self.file.clone(), self.at))
                        }
                        crate::syntax::ir::ScopeKind::Class(_)
                        | crate::syntax::ir::ScopeKind::Comprehension => s = sc.parent,
                        _ => return None,
                    }
                }
                None
            }
        }
    }
}

/// One call of a workspace function being evaluated: its arguments bound to its parameters, where
/// it was called from, and the outermost module-level point of the chain of calls.
#[derive(Debug)]
pub struct Frame {
    pub file: Arc<FileAnalysis>,
    pub func: FuncId,
    /// Parameter name -> the argument given at the call (`*args` and `**kwargs` collected).
    pub args: Vec<(String, BoundArg)>,
    /// The call: (file, scope and span of the call expression), `None` for a call made by code
    /// that is not followed (Keras calling `build`, or an unknown caller).
    pub site: Option<(Arc<FileAnalysis>, ScopeId, Span)>,
    /// The frame the call was evaluated in (`None` at module level or when unknown).
    pub caller: Option<Arc<Frame>>,
    /// The frame of the enclosing function when this one is a closure made in it.
    pub closure: Option<Arc<Frame>>,
    /// See [`Cx::time`].
    pub time: Option<(Arc<FileAnalysis>, u32)>,
    /// How many calls deep this frame is (1 for a call made from module code).
    pub depth: u32,
    /// Why the arguments are not known (an unknown caller): parameters without a binding give
    /// their default and this.
    pub unknown_args: Option<String>,
    /// What evaluation in this frame has read of it: bit `i` for parameter `i`, [`TIME_USED`]
    /// for the time of the call or the enclosing function's names (whether an answer depends
    /// on the call at all).
    pub used: std::sync::atomic::AtomicU64,
}

/// See [`Frame::used`].
pub const TIME_USED: u64 = 1 << 63;

impl Frame {
    /// Notes that evaluation read `bits` of this frame (see [`Frame::used`]); time and
    /// enclosing names are noted on the callers too (they are read through the chain).
    pub fn mark(&self, bits: u64) {
        use std::sync::atomic::Ordering;
        self.used.fetch_or(bits, Ordering::Relaxed);
        if bits & TIME_USED != 0 {
            let mut c = self.caller.clone();
            for _ in 0..16 {
                let Some(f) = c else { break };
                f.used.fetch_or(TIME_USED, Ordering::Relaxed);
                c = f.caller.clone();
            }
        }
    }

    /// See [`Frame::used`].
    pub fn used(&self) -> u64 {
        self.used.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Frame {
    /// The call site of this frame: (path, call span).
    pub fn site_span(&self) -> Option<(Arc<Path>, Span)> {
        self.site.as_ref().map(|(f, _, s)| (f.path.clone(), *s))
    }
}

/// An argument with the context it is evaluated in.
#[derive(Clone, Debug)]
pub enum BoundArg {
    Expr(Expr, Cx),
    /// Keyword arguments collected into `**kwargs` (`open`: more keys may be there).
    Kwargs(Vec<(String, Expr, Cx)>, Option<String>),
    /// Positional arguments collected into `*args` (`open`: more elements may follow).
    Args(Vec<(Expr, Cx)>, Option<String>),
    /// A value already known (`self` bound to the instance being analysed).
    Val(Val),
    /// One of the values of the argument, with where it came from (the body evaluated once per
    /// value, see `Evaluator::narrowed_frames`).
    Narrowed(Box<Cand>),
    /// Not known (given through a `*`/`**` of a value not followed): the parameter's default or
    /// anything.
    Unknown(String),
}

/// One set of arguments of a call, after `*` and `**` expansion.
#[derive(Clone, Debug, Default)]
pub struct ArgSet {
    pub args: Vec<(Expr, Cx)>,
    pub kws: Vec<(String, Expr, Cx)>,
    /// Why further keyword arguments may be there (a `**` of a value not followed).
    pub open: Option<String>,
    /// Why further positional arguments may be there (a `*` of a value not followed).
    pub open_pos: Option<String>,
}

/// A value the resolver understands.
#[derive(Clone, Debug)]
pub enum Val {
    /// A Keras or TensorFlow namespace (`keras`, `keras.layers`, `keras.initializers`, `tf`,
    /// `tf.compat.v1`, `functools`).
    Ns(String),
    /// A built-in Keras layer class (canonical class name).
    LayerClass(String),
    /// A Keras initializer class.
    InitClass(String),
    /// A TensorFlow-core initializer (key into the generated `tf_core` data).
    TfInit(String),
    /// `functools.partial`, `dict`, `initializers.get`, `super`, ...
    Builtin(&'static str),
    Init(InitVal),
    Str(String),
    Num(Number),
    Bool(bool),
    NoneV,
    Dict(Box<DictVal>),
    List {
        items: Vec<(Expr, Cx)>,
        /// Why more elements may be there.
        open: Option<String>,
    },
    Partial {
        func: Box<Val>,
        args: Vec<(Expr, Cx)>,
        keywords: Vec<(String, Expr, Cx)>,
    },
    Func {
        file: Arc<FileAnalysis>,
        id: FuncId,
        /// The frame of the enclosing function it was made in (a closure).
        closure: Option<Arc<Frame>>,
    },
    /// A method of a workspace class bound to its receiver (`obj.method`, `self.method`).
    BoundMethod {
        file: Arc<FileAnalysis>,
        id: FuncId,
        receiver: Box<Val>,
    },
    /// A method of a dict or a list bound to it (`d.get`, `d.copy`, `d.items`).
    Method {
        name: &'static str,
        receiver: Box<Val>,
    },
    /// `super()` inside a method of `class`, for `receiver`.
    Super {
        file: Arc<FileAnalysis>,
        class: ClassId,
        receiver: Box<Val>,
    },
    Lambda {
        file: Arc<FileAnalysis>,
        span: Span,
    },
    Class(Arc<FileAnalysis>, ClassId),
    Instance(Box<InstanceVal>),
    Module(Arc<FileAnalysis>),
    /// A layer object: a built-in layer class constructed with these arguments (merged with any
    /// partial's); `open` says why some keyword arguments are unknown.
    Layer(Box<LayerVal>),
    Unknown(String),
}

/// A dict, with its entries in insertion order (a later entry of the same key wins).
#[derive(Clone, Debug)]
pub struct DictVal {
    pub entries: Vec<(String, Expr, Cx)>,
    /// Why more keys may be there (a `**` of a value not followed, a key set at runtime).
    pub open: Option<String>,
    /// Keys known to be absent even when `open` (removed by `pop`/`del`).
    pub removed: Vec<String>,
    /// Why the dict may be changed by code that is not followed (it is also reachable through
    /// another name, an argument, a container): every read of it may see other values.
    pub shared: Option<String>,
}

impl DictVal {
    pub fn new(entries: Vec<(String, Expr, Cx)>) -> DictVal {
        DictVal {
            entries,
            open: None,
            removed: Vec::new(),
            shared: None,
        }
    }
}

/// An instance of a workspace class.
#[derive(Clone, Debug)]
pub struct InstanceVal {
    pub file: Arc<FileAnalysis>,
    pub class: ClassId,
    /// The construction (call and its context), when known.
    pub call: Option<(Arc<Call>, Cx)>,
    /// The construction's arguments, when they are not the call's own (a `functools.partial`, a
    /// `**` dict).
    pub args: Option<Box<ArgSet>>,
    /// Attributes set on this object after its construction, in order (`None`: changed in a way
    /// that is not followed).
    pub attrs: SetAttrs,
}

/// Attributes set on an object after its construction, in order: the attribute and the value
/// expression with where it is read (`None`: changed in a way that is not followed).
pub type SetAttrs = Vec<(String, Option<(Expr, Cx)>)>;

/// A built-in layer object.
#[derive(Clone, Debug)]
pub struct LayerVal {
    pub class: String,
    pub args: Vec<(Expr, Cx)>,
    pub kws: Vec<(String, Expr, Cx)>,
    pub open: Option<String>,
    pub open_pos: Option<String>,
    /// Where it was constructed (file, call span).
    pub site: Option<(Arc<Path>, Span)>,
    /// Attributes set on the object after construction (see [`InstanceVal::attrs`]).
    pub attrs: SetAttrs,
}

/// A value with the steps that led to it.
#[derive(Clone, Debug)]
pub struct Cand {
    pub val: Val,
    pub origin: Vec<Step>,
}

impl Cand {
    pub fn new(val: Val) -> Self {
        Cand {
            val,
            origin: Vec::new(),
        }
    }
    pub fn unknown(reason: impl Into<String>) -> Self {
        Cand::new(Val::Unknown(reason.into()))
    }
    pub fn with_step(mut self, step: Step) -> Self {
        self.origin.insert(0, step);
        self
    }
}

/// A step of an origin at `span` of `file`.
pub fn step(text: String, file: &FileAnalysis, span: Span) -> Step {
    Step {
        text,
        file: Some(file.path.clone()),
        span: Some(span),
    }
}

/// Python arithmetic on two numbers: `int op int` stays an int except `/` (and `**` with a negative
/// exponent); anything with a float is a float. `None` where Python raises.
pub fn arith(a: Number, op: char, b: Number) -> Option<Number> {
    use Number::*;
    let f = |n: Number| match n {
        Int(i) => i as f64,
        Float(x) => x,
    };
    Some(match (a, b) {
        (Int(x), Int(y)) => match op {
            '+' => Int(x.checked_add(y)?),
            '-' => Int(x.checked_sub(y)?),
            '*' => Int(x.checked_mul(y)?),
            '/' if y != 0 => Float(x as f64 / y as f64),
            'f' if y != 0 => Int((x as f64 / y as f64).floor() as i64),
            '%' if y != 0 => Int(((x % y) + y) % y),
            '^' if y >= 0 => Int(x.checked_pow(u32::try_from(y).ok()?)?),
            '^' if x != 0 => Float((x as f64).powf(y as f64)),
            _ => return None,
        },
        _ => {
            let (x, y) = (f(a), f(b));
            match op {
                '+' => Float(x + y),
                '-' => Float(x - y),
                '*' => Float(x * y),
                '/' if y != 0.0 => Float(x / y),
                'f' if y != 0.0 => Float((x / y).floor()),
                '%' if y != 0.0 => Float(x - y * (x / y).floor()),
                '^' if !(x == 0.0 && y < 0.0) => Float(x.powf(y)),
                _ => return None,
            }
        }
    })
}

/// A literal value as JSON, as Keras would put it in a config.
pub fn literal_json(v: &Val) -> Option<Value> {
    Some(match v {
        Val::Str(s) => Value::String(s.clone()),
        Val::Num(Number::Int(i)) => Value::from(*i),
        Val::Num(Number::Float(f)) => serde_json::Number::from_f64(*f).map(Value::Number)?,
        Val::Bool(b) => Value::Bool(*b),
        Val::NoneV => Value::Null,
        _ => return None,
    })
}

/// A short description of a value, for reasons ("the string 'x'", "a dict").
pub fn describe(v: &Val) -> String {
    match v {
        Val::Ns(n) => format!("the namespace `{n}`"),
        Val::LayerClass(l) => format!("the layer class `{l}`"),
        Val::InitClass(c) => format!("the initializer class `{c}`"),
        Val::TfInit(k) => format!("`{k}`"),
        Val::Builtin(b) => format!("`{b}`"),
        Val::Init(i) => format!("the initializer `{}`", i.class),
        Val::Str(s) => format!("the string '{s}'"),
        Val::Num(_) => "a number".into(),
        Val::Bool(_) => "a bool".into(),
        Val::NoneV => "None".into(),
        Val::Dict(_) => "a dict".into(),
        Val::List { .. } => "a list".into(),
        Val::Partial { .. } => "a functools.partial".into(),
        Val::Func { file, id, .. } => format!("the function `{}`", file.ir.functions[*id].name),
        Val::BoundMethod { file, id, .. } => {
            format!("the method `{}`", file.ir.functions[*id].name)
        }
        Val::Super { .. } => "super()".into(),
        Val::Method { name, .. } => format!("the method `{name}`"),
        Val::Lambda { .. } => "a lambda".into(),
        Val::Class(f, id) => format!("the class `{}`", f.ir.classes[*id].name),
        Val::Instance(i) => format!("an instance of `{}`", i.file.ir.classes[i.class].name),
        Val::Module(_) => "a module".into(),
        Val::Layer(l) => format!("a `{}` layer", l.class),
        Val::Unknown(r) => r.clone(),
    }
}

/// Python truthiness of a value, when it is known from the value alone.
pub fn truthiness(v: &Val) -> Option<bool> {
    Some(match v {
        Val::Bool(b) => *b,
        Val::NoneV => false,
        Val::Num(Number::Int(i)) => *i != 0,
        Val::Num(Number::Float(f)) => *f != 0.0,
        Val::Str(s) => !s.is_empty(),
        Val::List { items, open } => {
            if !items.is_empty() {
                true
            } else if open.is_some() {
                return None;
            } else {
                false
            }
        }
        Val::Dict(d) => {
            if d.shared.is_some() {
                return None;
            }
            if !d.entries.is_empty() {
                true
            } else if d.open.is_some() {
                return None;
            } else {
                false
            }
        }
        Val::Init(_)
        | Val::LayerClass(_)
        | Val::InitClass(_)
        | Val::TfInit(_)
        | Val::Func { .. }
        | Val::BoundMethod { .. }
        | Val::Lambda { .. }
        | Val::Class(..)
        | Val::Module(_)
        | Val::Partial { .. }
        | Val::Layer(_) => true,
        // A workspace class may define `__bool__` or `__len__`.
        Val::Instance(_) => return None,
        _ => return None,
    })
}
