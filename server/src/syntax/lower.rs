//! Lowers the rustpython AST into [`ModuleIr`]. Expressions deeper than [`MAX_EXPR_DEPTH`] become
//! [`Expr::Other`], so the IR never recurses deeply.

use super::ir::*;
use rustpython_parser::ast::{self, Ranged};
use std::sync::Arc;

/// Expression nesting kept in the IR; deeper parts are cut off.
pub const MAX_EXPR_DEPTH: usize = 64;
/// Statement nesting followed (blocks inside blocks).
pub const MAX_STMT_DEPTH: usize = 100;

fn span(r: rustpython_parser::text_size::TextRange) -> Span {
    Span::new(r.start().to_u32(), r.end().to_u32())
}

struct Lowerer {
    m: ModuleIr,
    /// One [`Name`] per distinct identifier of the module.
    names: Interner,
    /// Names declared `global` in each function scope.
    globals: std::collections::HashMap<ScopeId, Vec<String>>,
}

#[derive(Clone, Copy)]
struct Ctx {
    scope: ScopeId,
    conditional: bool,
    cond: Option<usize>,
    func: Option<FuncId>,
    class: Option<ClassId>,
    /// Name of the method's first parameter (`self`), inside methods.
    in_method: bool,
    depth: usize,
}

/// Lowers a parsed module.
pub fn lower(suite: &[ast::Stmt]) -> ModuleIr {
    let mut l = Lowerer {
        m: ModuleIr::default(),
        names: Interner::default(),
        globals: Default::default(),
    };
    l.m.scopes.push(Scope {
        kind: ScopeKind::Module,
        parent: None,
        bindings: Default::default(),
        mutations: Default::default(),
    });
    let ctx = Ctx {
        scope: 0,
        conditional: false,
        cond: None,
        func: None,
        class: None,
        in_method: false,
        depth: 0,
    };
    l.stmts(suite, ctx);
    prune_conds(&mut l.m);
    l.m.shrink_to_fit();
    l.m
}

/// Drops the `if` conditions that no binding refers to (directly or as a parent): most branches
/// bind nothing, and each condition holds a copy of its test. The rest are renumbered.
fn prune_conds(m: &mut ModuleIr) {
    let n = m.conds.len();
    let mut used = vec![false; n];
    for b in m.scopes.iter().flat_map(|s| s.bindings.values().flatten()) {
        let mut cur = b.cond;
        while let Some(i) = cur {
            if i >= n || used[i] {
                break;
            }
            used[i] = true;
            cur = m.conds[i].parent;
        }
    }
    if used.iter().all(|u| *u) {
        return;
    }
    let mut remap = vec![None; n];
    let mut next = 0;
    for (i, u) in used.iter().enumerate() {
        if *u {
            remap[i] = Some(next);
            next += 1;
        }
    }
    let old = std::mem::take(&mut m.conds);
    m.conds = old
        .into_iter()
        .zip(&used)
        .filter(|(_, u)| **u)
        .map(|(mut c, _)| {
            c.parent = c.parent.and_then(|p| remap[p]);
            c
        })
        .collect();
    for s in &mut m.scopes {
        for b in s.bindings.values_mut().flatten() {
            b.cond = b.cond.and_then(|i| remap.get(i).copied().flatten());
        }
    }
}

fn docstring(body: &[ast::Stmt]) -> Option<String> {
    if let Some(ast::Stmt::Expr(e)) = body.first() {
        if let ast::Expr::Constant(c) = &*e.value {
            if let ast::Constant::Str(s) = &c.value {
                // Only the summary line is shown; a whole docstring per class and function was
                // 12.7 MB of the IR on the keras + tf_keras + tensorflow corpus.
                return s.trim().lines().next().map(str::to_string);
            }
        }
    }
    None
}

impl Lowerer {
    fn new_scope(&mut self, kind: ScopeKind, parent: ScopeId) -> ScopeId {
        self.m.scopes.push(Scope {
            kind,
            parent: Some(parent),
            bindings: Default::default(),
            mutations: Default::default(),
        });
        self.m.scopes.len() - 1
    }

    fn bind(&mut self, ctx: Ctx, name: &str, kind: BindingKind, sp: Span) {
        // `global name` in a function: the assignment rebinds the module's name, whenever the
        // function runs (so it may or may not have happened).
        if self
            .globals
            .get(&ctx.scope)
            .is_some_and(|g| g.iter().any(|n| n == name))
        {
            self.m.scopes[0]
                .bindings
                .entry(self.names.name(name))
                .or_default()
                .push(Binding {
                    kind,
                    span: sp,
                    conditional: true,
                    cond: None,
                });
            return;
        }
        self.m.scopes[ctx.scope]
            .bindings
            .entry(self.names.name(name))
            .or_default()
            .push(Binding {
                kind,
                span: sp,
                conditional: ctx.conditional,
                cond: ctx.cond,
            });
    }

    fn stmts(&mut self, body: &[ast::Stmt], ctx: Ctx) {
        if ctx.depth > MAX_STMT_DEPTH {
            return;
        }
        for s in body {
            self.stmt(s, ctx);
        }
    }

    fn bind_target(
        &mut self,
        ctx: Ctx,
        target: &ast::Expr,
        value: Option<&Expr>,
        index: Option<usize>,
    ) {
        match target {
            ast::Expr::Name(n) => {
                let kind = match (value, index) {
                    (Some(v), None) => BindingKind::Value(v.clone()),
                    (Some(v), Some(i)) => BindingKind::Element {
                        of: Box::new(v.clone()),
                        index: Some(i as u32),
                    },
                    (None, _) => BindingKind::Unknown("assigned from a form that is not followed"),
                };
                self.bind(ctx, n.id.as_str(), kind, span(n.range));
            }
            ast::Expr::Tuple(t) => {
                for (i, e) in t.elts.iter().enumerate() {
                    if index.is_some() {
                        self.bind_target(ctx, e, None, None);
                    } else {
                        self.bind_target(ctx, e, value, Some(i));
                    }
                }
            }
            ast::Expr::List(t) => {
                for (i, e) in t.elts.iter().enumerate() {
                    if index.is_some() {
                        self.bind_target(ctx, e, None, None);
                    } else {
                        self.bind_target(ctx, e, value, Some(i));
                    }
                }
            }
            ast::Expr::Attribute(a) => {
                // self.x = value inside a method.
                if let (ast::Expr::Name(n), Some(cls), true) = (&*a.value, ctx.class, ctx.in_method)
                {
                    if n.id.as_str() == "self" {
                        if let Some(v) = value {
                            let v = match index {
                                Some(i) => element(v, i),
                                None => v.clone(),
                            };
                            self.m.classes[cls]
                                .self_attrs
                                .entry(self.names.name(&a.attr))
                                .or_default()
                                .push((v, ctx.scope));
                        }
                    }
                }
            }
            ast::Expr::Subscript(s) => {
                // name[key] = value: a dict mutation.
                if let (ast::Expr::Name(n), Some(v)) = (&*s.value, value) {
                    let key = self.expr(&s.slice, ctx, 0);
                    self.m.scopes[ctx.scope]
                        .mutations
                        .entry(self.names.name(&n.id))
                        .or_default()
                        .push(Mutation::SetItem {
                            key,
                            value: v.clone(),
                            span: span(s.range),
                        });
                }
            }
            ast::Expr::Starred(s) => self.bind_target(ctx, &s.value, None, None),
            _ => {}
        }
    }

    fn stmt(&mut self, s: &ast::Stmt, ctx: Ctx) {
        let inner = Ctx {
            depth: ctx.depth + 1,
            ..ctx
        };
        let cond = Ctx {
            conditional: true,
            depth: ctx.depth + 1,
            ..ctx
        };
        match s {
            ast::Stmt::FunctionDef(f) => self.function(
                ctx,
                f.name.as_str(),
                &f.args,
                &f.body,
                &f.decorator_list,
                span(f.range),
            ),
            ast::Stmt::AsyncFunctionDef(f) => self.function(
                ctx,
                f.name.as_str(),
                &f.args,
                &f.body,
                &f.decorator_list,
                span(f.range),
            ),
            ast::Stmt::ClassDef(c) => {
                let bases: Vec<Expr> = c.bases.iter().map(|b| self.expr(b, ctx, 0)).collect();
                let decorators = c
                    .decorator_list
                    .iter()
                    .map(|d| self.expr(d, ctx, 0))
                    .collect();
                for k in &c.keywords {
                    self.expr(&k.value, ctx, 0);
                }
                let id = self.m.classes.len();
                let scope = self.new_scope(ScopeKind::Class(id), ctx.scope);
                let sp = span(c.range);
                let name_span = name_span_after(sp, "class", c.name.as_str());
                self.m.classes.push(Class {
                    name: c.name.to_string(),
                    span: sp,
                    name_span,
                    bases,
                    scope,
                    parent_scope: ctx.scope,
                    methods: Default::default(),
                    self_attrs: Default::default(),
                    doc: docstring(&c.body),
                    decorators,
                });
                self.bind(ctx, c.name.as_str(), BindingKind::Class(id), name_span);
                let cctx = Ctx {
                    scope,
                    conditional: false,
                    cond: None,
                    func: None,
                    class: Some(id),
                    in_method: false,
                    depth: ctx.depth + 1,
                };
                self.stmts(&c.body, cctx);
            }
            ast::Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    let e = self.expr(v, ctx, 0);
                    if let Some(f) = ctx.func {
                        self.m.functions[f].returns.push(e);
                    }
                }
            }
            ast::Stmt::Assign(a) => {
                let v = self.expr(&a.value, ctx, 0);
                if ctx.scope == 0 && a.targets.len() == 1 {
                    if let ast::Expr::Name(n) = &a.targets[0] {
                        if n.id.as_str() == "__all__" {
                            self.m.all = string_list(&v);
                        }
                    }
                }
                for t in &a.targets {
                    self.bind_target(ctx, t, Some(&v), None);
                }
            }
            ast::Stmt::AnnAssign(a) => {
                if let Some(val) = &a.value {
                    let v = self.expr(val, ctx, 0);
                    self.bind_target(ctx, &a.target, Some(&v), None);
                }
            }
            ast::Stmt::AugAssign(a) => {
                self.expr(&a.value, ctx, 0);
                if let ast::Expr::Name(n) = &*a.target {
                    self.bind(
                        ctx,
                        n.id.as_str(),
                        BindingKind::Unknown("changed by an augmented assignment"),
                        span(n.range),
                    );
                }
            }
            ast::Stmt::For(f) => {
                let it = self.expr(&f.iter, ctx, 0);
                self.bind_loop_target(cond, &f.target, &it);
                self.stmts(&f.body, cond);
                self.stmts(&f.orelse, cond);
            }
            ast::Stmt::AsyncFor(f) => {
                let it = self.expr(&f.iter, ctx, 0);
                self.bind_loop_target(cond, &f.target, &it);
                self.stmts(&f.body, cond);
                self.stmts(&f.orelse, cond);
            }
            ast::Stmt::While(w) => {
                self.expr(&w.test, ctx, 0);
                self.stmts(&w.body, cond);
                self.stmts(&w.orelse, cond);
            }
            ast::Stmt::If(i) => {
                let test = self.expr(&i.test, ctx, 0);
                let branch = |l: &mut Lowerer, polarity: bool| {
                    l.m.conds.push(Cond {
                        test: test.clone(),
                        polarity,
                        parent: ctx.cond,
                        scope: ctx.scope,
                    });
                    Ctx {
                        cond: Some(l.m.conds.len() - 1),
                        ..cond
                    }
                };
                let yes = branch(self, true);
                self.stmts(&i.body, yes);
                let no = branch(self, false);
                self.stmts(&i.orelse, no);
            }
            ast::Stmt::With(w) => {
                for item in &w.items {
                    let v = self.expr(&item.context_expr, ctx, 0);
                    if let Some(t) = &item.optional_vars {
                        let _ = v;
                        self.bind_target(ctx, t, None, None);
                    }
                }
                self.stmts(&w.body, inner);
            }
            ast::Stmt::AsyncWith(w) => {
                for item in &w.items {
                    self.expr(&item.context_expr, ctx, 0);
                    if let Some(t) = &item.optional_vars {
                        self.bind_target(ctx, t, None, None);
                    }
                }
                self.stmts(&w.body, inner);
            }
            ast::Stmt::Try(t) => {
                self.stmts(&t.body, cond);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    self.stmts(&h.body, cond);
                }
                self.stmts(&t.orelse, cond);
                self.stmts(&t.finalbody, inner);
            }
            ast::Stmt::TryStar(t) => {
                self.stmts(&t.body, cond);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    self.stmts(&h.body, cond);
                }
                self.stmts(&t.orelse, cond);
                self.stmts(&t.finalbody, inner);
            }
            ast::Stmt::Match(m) => {
                self.expr(&m.subject, ctx, 0);
                for c in &m.cases {
                    self.stmts(&c.body, cond);
                }
            }
            ast::Stmt::Import(i) => {
                for a in &i.names {
                    let full = a.name.to_string();
                    match &a.asname {
                        Some(asn) => {
                            let module = self.names.name(&full);
                            self.bind(
                                ctx,
                                asn.as_str(),
                                BindingKind::Import { module },
                                span(a.range),
                            )
                        }
                        None => {
                            let first = full.split('.').next().unwrap_or("").to_string();
                            let module = self.names.name(&first);
                            self.bind(ctx, &first, BindingKind::Import { module }, span(a.range))
                        }
                    }
                }
            }
            ast::Stmt::ImportFrom(i) => {
                let module = i.module.as_ref().map(|m| m.to_string()).unwrap_or_default();
                let level = i.level.as_ref().map(|l| l.to_u32()).unwrap_or(0);
                for a in &i.names {
                    if a.name.as_str() == "*" {
                        if ctx.scope == 0 {
                            self.m.star_imports.push((module.clone(), level));
                        }
                        continue;
                    }
                    let local = a.asname.as_ref().unwrap_or(&a.name).to_string();
                    let kind = BindingKind::ImportFrom {
                        module: self.names.name(&module),
                        level,
                        name: self.names.name(&a.name),
                    };
                    self.bind(ctx, &local, kind, span(a.range));
                }
            }
            ast::Stmt::Expr(e) => {
                let v = self.expr(&e.value, ctx, 0);
                // d.update(...) / d.setdefault(...) on a name.
                if let Expr::Call(c) = &v {
                    if let Expr::Attr { value, attr, .. } = &c.func {
                        if let Expr::Name { id, .. } = &**value {
                            let m = match attr.as_str() {
                                "update" => Some(Mutation::Update(c.clone())),
                                "setdefault" => Some(Mutation::SetDefault(c.clone())),
                                _ => None,
                            };
                            if let Some(m) = m {
                                self.m.scopes[ctx.scope]
                                    .mutations
                                    .entry(id.clone())
                                    .or_default()
                                    .push(m);
                            }
                        }
                    }
                }
            }
            ast::Stmt::Global(g) => {
                let names = g.names.iter().map(|n| n.to_string());
                self.globals.entry(ctx.scope).or_default().extend(names);
            }
            ast::Stmt::Delete(d) => {
                for t in &d.targets {
                    if let ast::Expr::Name(n) = t {
                        self.bind(
                            ctx,
                            n.id.as_str(),
                            BindingKind::Unknown("deleted"),
                            span(n.range),
                        );
                    }
                }
            }
            ast::Stmt::Raise(r) => {
                if let Some(e) = &r.exc {
                    self.expr(e, ctx, 0);
                }
            }
            ast::Stmt::Assert(a) => {
                self.expr(&a.test, ctx, 0);
            }
            _ => {}
        }
    }

    fn bind_loop_target(&mut self, ctx: Ctx, target: &ast::Expr, it: &Expr) {
        match target {
            ast::Expr::Name(n) => self.bind(
                ctx,
                n.id.as_str(),
                BindingKind::Element {
                    of: Box::new(it.clone()),
                    index: None,
                },
                span(n.range),
            ),
            other => self.bind_target(ctx, other, None, None),
        }
    }

    fn function(
        &mut self,
        ctx: Ctx,
        name: &str,
        args: &ast::Arguments,
        body: &[ast::Stmt],
        decorators: &[ast::Expr],
        sp: Span,
    ) {
        let decorators: Vec<Expr> = decorators.iter().map(|d| self.expr(d, ctx, 0)).collect();
        let id = self.m.functions.len();
        let scope = self.new_scope(ScopeKind::Function(id), ctx.scope);
        let mut params = Vec::new();
        for a in args.posonlyargs.iter().chain(args.args.iter()) {
            let default = a.default.as_ref().map(|d| self.expr(d, ctx, 0));
            params.push(Param {
                name: a.def.arg.to_string(),
                default,
                kind: ParamKind::Positional,
                span: span(a.def.range),
            });
        }
        if let Some(v) = &args.vararg {
            params.push(Param {
                name: v.arg.to_string(),
                default: None,
                kind: ParamKind::VarArgs,
                span: span(v.range),
            });
        }
        for a in &args.kwonlyargs {
            let default = a.default.as_ref().map(|d| self.expr(d, ctx, 0));
            params.push(Param {
                name: a.def.arg.to_string(),
                default,
                kind: ParamKind::KeywordOnly,
                span: span(a.def.range),
            });
        }
        if let Some(v) = &args.kwarg {
            params.push(Param {
                name: v.arg.to_string(),
                default: None,
                kind: ParamKind::VarKeywords,
                span: span(v.range),
            });
        }
        let is_method = matches!(self.m.scopes[ctx.scope].kind, ScopeKind::Class(_));
        let class = if is_method { ctx.class } else { None };
        let name_span = name_span_after(sp, "def", name);
        self.m.functions.push(Function {
            name: name.to_string(),
            span: sp,
            name_span,
            params: params.clone(),
            scope,
            parent_scope: ctx.scope,
            returns: Vec::new(),
            class,
            doc: docstring(body),
            decorators,
        });
        if let (true, Some(c)) = (is_method, class) {
            let name = self.names.name(name);
            self.m.classes[c].methods.insert(name, id);
        }
        self.bind(ctx, name, BindingKind::Function(id), name_span);
        let fctx = Ctx {
            scope,
            conditional: false,
            cond: None,
            func: Some(id),
            class: if is_method { class } else { ctx.class },
            in_method: is_method || ctx.in_method,
            depth: ctx.depth + 1,
        };
        for (i, p) in params.iter().enumerate() {
            self.bind(
                fctx,
                &p.name,
                BindingKind::Param { func: id, index: i },
                p.span,
            );
        }
        self.stmts(body, fctx);
    }

    fn keywordize(&mut self, k: &ast::Keyword, ctx: Ctx, depth: usize) -> Keyword {
        Keyword {
            name: k.arg.as_ref().map(|a| self.names.name(a)),
            value: self.expr(&k.value, ctx, depth + 1),
            span: span(k.range),
        }
    }

    fn comprehension(
        &mut self,
        gens: &[ast::Comprehension],
        elts: &[&ast::Expr],
        ctx: Ctx,
        depth: usize,
    ) {
        let scope = self.new_scope(ScopeKind::Comprehension, ctx.scope);
        let cctx = Ctx {
            scope,
            conditional: true,
            cond: None,
            ..ctx
        };
        for g in gens {
            let it = self.expr(&g.iter, cctx, depth + 1);
            self.bind_loop_target(cctx, &g.target, &it);
            for c in &g.ifs {
                self.expr(c, cctx, depth + 1);
            }
        }
        for e in elts {
            self.expr(e, cctx, depth + 1);
        }
    }

    /// Lowers an expression; records every call in it.
    fn expr(&mut self, e: &ast::Expr, ctx: Ctx, depth: usize) -> Expr {
        let sp = span(e.range());
        if depth > MAX_EXPR_DEPTH {
            return Expr::Other {
                what: "an expression nested too deeply",
                span: sp,
            };
        }
        let d = depth + 1;
        match e {
            ast::Expr::Name(n) => Expr::Name {
                id: self.names.name(&n.id),
                span: sp,
            },
            ast::Expr::Attribute(a) => {
                let value = self.expr(&a.value, ctx, d);
                let attr_len = a.attr.as_str().len() as u32;
                Expr::Attr {
                    value: Box::new(value),
                    attr: self.names.name(&a.attr),
                    attr_span: Span::new(sp.end.saturating_sub(attr_len), sp.end),
                    span: sp,
                }
            }
            ast::Expr::Call(c) => {
                let func = self.expr(&c.func, ctx, d);
                let args = c.args.iter().map(|a| self.expr(a, ctx, d)).collect();
                let keywords = c
                    .keywords
                    .iter()
                    .map(|k| self.keywordize(k, ctx, d))
                    .collect();
                let call = Arc::new(Call {
                    func,
                    args,
                    keywords,
                    span: sp,
                });
                self.m.calls.push(CallSite {
                    call: call.clone(),
                    scope: ctx.scope,
                });
                Expr::Call(call)
            }
            ast::Expr::Constant(c) => match &c.value {
                ast::Constant::Str(s) => Expr::Str {
                    value: s.clone(),
                    span: sp,
                },
                ast::Constant::Int(i) => match i.to_string().parse::<i64>() {
                    Ok(v) => Expr::Num {
                        value: Number::Int(v),
                        span: sp,
                    },
                    Err(_) => Expr::Other {
                        what: "a very large integer",
                        span: sp,
                    },
                },
                ast::Constant::Float(f) => Expr::Num {
                    value: Number::Float(*f),
                    span: sp,
                },
                ast::Constant::Bool(b) => Expr::Bool {
                    value: *b,
                    span: sp,
                },
                ast::Constant::None => Expr::NoneLit { span: sp },
                _ => Expr::Other {
                    what: "a constant of another type",
                    span: sp,
                },
            },
            ast::Expr::UnaryOp(u) => {
                let v = self.expr(&u.operand, ctx, d);
                match (u.op, &v) {
                    (ast::UnaryOp::USub, Expr::Num { value, .. }) => Expr::Num {
                        value: match value {
                            Number::Int(i) => Number::Int(-i),
                            Number::Float(f) => Number::Float(-f),
                        },
                        span: sp,
                    },
                    (ast::UnaryOp::UAdd, Expr::Num { value, .. }) => Expr::Num {
                        value: *value,
                        span: sp,
                    },
                    (ast::UnaryOp::Not, _) => Expr::Not {
                        value: Box::new(v),
                        span: sp,
                    },
                    _ => Expr::Other {
                        what: "a unary operation",
                        span: sp,
                    },
                }
            }
            ast::Expr::Dict(dct) => {
                let mut items = Vec::new();
                for (k, v) in dct.keys.iter().zip(dct.values.iter()) {
                    let k = k.as_ref().map(|k| self.expr(k, ctx, d));
                    let v = self.expr(v, ctx, d);
                    items.push((k, v));
                }
                Expr::Dict { items, span: sp }
            }
            ast::Expr::List(l) => Expr::List {
                elts: l.elts.iter().map(|x| self.expr(x, ctx, d)).collect(),
                span: sp,
            },
            ast::Expr::Tuple(l) => Expr::Tuple {
                elts: l.elts.iter().map(|x| self.expr(x, ctx, d)).collect(),
                span: sp,
            },
            ast::Expr::Set(l) => {
                for x in &l.elts {
                    self.expr(x, ctx, d);
                }
                Expr::Other {
                    what: "a set",
                    span: sp,
                }
            }
            ast::Expr::Starred(s) => Expr::Starred {
                value: Box::new(self.expr(&s.value, ctx, d)),
                span: sp,
            },
            ast::Expr::IfExp(i) => {
                let test = self.expr(&i.test, ctx, d);
                Expr::IfExp {
                    test: Box::new(test),
                    body: Box::new(self.expr(&i.body, ctx, d)),
                    orelse: Box::new(self.expr(&i.orelse, ctx, d)),
                    span: sp,
                }
            }
            ast::Expr::BoolOp(b) => {
                // `x or y` is `x if x else y`; `x and y` is `y if x else x`.
                let is_or = matches!(b.op, ast::BoolOp::Or);
                let vals: Vec<Expr> = b.values.iter().map(|v| self.expr(v, ctx, d)).collect();
                let mut it = vals.into_iter().rev();
                let mut acc = it.next().unwrap_or(Expr::Other {
                    what: "an empty boolean operation",
                    span: sp,
                });
                for v in it {
                    acc = if is_or {
                        Expr::IfExp {
                            test: Box::new(v.clone()),
                            body: Box::new(v),
                            orelse: Box::new(acc),
                            span: sp,
                        }
                    } else {
                        Expr::IfExp {
                            test: Box::new(v.clone()),
                            body: Box::new(acc),
                            orelse: Box::new(v),
                            span: sp,
                        }
                    };
                }
                acc
            }
            ast::Expr::Lambda(l) => {
                let params = l
                    .args
                    .posonlyargs
                    .iter()
                    .chain(l.args.args.iter())
                    .chain(l.args.kwonlyargs.iter())
                    .map(|a| a.def.arg.to_string())
                    .collect();
                let scope = self.new_scope(ScopeKind::Comprehension, ctx.scope);
                let body = self.expr(&l.body, Ctx { scope, ..ctx }, d);
                Expr::Lambda {
                    params,
                    body: Box::new(body),
                    span: sp,
                }
            }
            ast::Expr::Subscript(s) => Expr::Subscript {
                value: Box::new(self.expr(&s.value, ctx, d)),
                index: Box::new(self.expr(&s.slice, ctx, d)),
                span: sp,
            },
            ast::Expr::ListComp(c) => {
                self.comprehension(&c.generators, &[&c.elt], ctx, d);
                Expr::Other {
                    what: "a comprehension",
                    span: sp,
                }
            }
            ast::Expr::SetComp(c) => {
                self.comprehension(&c.generators, &[&c.elt], ctx, d);
                Expr::Other {
                    what: "a comprehension",
                    span: sp,
                }
            }
            ast::Expr::GeneratorExp(c) => {
                self.comprehension(&c.generators, &[&c.elt], ctx, d);
                Expr::Other {
                    what: "a comprehension",
                    span: sp,
                }
            }
            ast::Expr::DictComp(c) => {
                self.comprehension(&c.generators, &[&c.key, &c.value], ctx, d);
                Expr::Other {
                    what: "a comprehension",
                    span: sp,
                }
            }
            ast::Expr::BinOp(b) => {
                let left = self.expr(&b.left, ctx, d);
                let right = self.expr(&b.right, ctx, d);
                let op = match b.op {
                    ast::Operator::Add => Some('+'),
                    ast::Operator::Sub => Some('-'),
                    ast::Operator::Mult => Some('*'),
                    ast::Operator::Div => Some('/'),
                    ast::Operator::FloorDiv => Some('f'),
                    ast::Operator::Mod => Some('%'),
                    ast::Operator::Pow => Some('^'),
                    _ => None,
                };
                match op {
                    Some(op) => Expr::BinOp {
                        left: Box::new(left),
                        op,
                        right: Box::new(right),
                        span: sp,
                    },
                    None => Expr::Other {
                        what: "an arithmetic expression",
                        span: sp,
                    },
                }
            }
            ast::Expr::Compare(c) => {
                let left = self.expr(&c.left, ctx, d);
                let rights: Vec<Expr> =
                    c.comparators.iter().map(|x| self.expr(x, ctx, d)).collect();
                let op = match c.ops.as_slice() {
                    [ast::CmpOp::Eq] => Some(CmpOp::Eq),
                    [ast::CmpOp::NotEq] => Some(CmpOp::NotEq),
                    [ast::CmpOp::Is] => Some(CmpOp::Is),
                    [ast::CmpOp::IsNot] => Some(CmpOp::IsNot),
                    [ast::CmpOp::In] => Some(CmpOp::In),
                    [ast::CmpOp::NotIn] => Some(CmpOp::NotIn),
                    _ => None,
                };
                match (op, rights.into_iter().next()) {
                    (Some(op), Some(right)) => Expr::Compare {
                        left: Box::new(left),
                        op,
                        right: Box::new(right),
                        span: sp,
                    },
                    _ => Expr::Other {
                        what: "a comparison",
                        span: sp,
                    },
                }
            }
            ast::Expr::NamedExpr(n) => {
                let v = self.expr(&n.value, ctx, d);
                self.bind_target(ctx, &n.target, Some(&v), None);
                v
            }
            ast::Expr::Await(a) => {
                self.expr(&a.value, ctx, d);
                Expr::Other {
                    what: "an await",
                    span: sp,
                }
            }
            ast::Expr::JoinedStr(_) | ast::Expr::FormattedValue(_) => Expr::Other {
                what: "an f-string",
                span: sp,
            },
            _ => Expr::Other {
                what: "an expression that is not followed",
                span: sp,
            },
        }
    }
}

/// Element `i` of `v`: the element itself for a literal tuple or list, else `v[i]`.
fn element(v: &Expr, i: usize) -> Expr {
    match v {
        Expr::Tuple { elts, .. } | Expr::List { elts, .. } if elts.len() > i => elts[i].clone(),
        other => {
            let sp = other.span();
            Expr::Subscript {
                value: Box::new(other.clone()),
                index: Box::new(Expr::Num {
                    value: Number::Int(i as i64),
                    span: sp,
                }),
                span: sp,
            }
        }
    }
}

/// The span of `name` after the keyword (`def`/`class`) at the start of a definition. Decorators
/// come before the keyword, so we search for the keyword followed by the name.
fn name_span_after(def: Span, _kw: &str, name: &str) -> Span {
    // Resolved precisely by `fix_name_spans` with the source text; this is a placeholder covering
    // the definition's start.
    Span::new(def.start, def.start + name.len() as u32)
}

/// Replaces the placeholder name spans of functions and classes with the exact span of the name.
pub fn fix_name_spans(m: &mut ModuleIr, text: &str) {
    let find = |sp: Span, kw: &str, name: &str| -> Span {
        let hay = &text[sp.start as usize..(sp.end as usize).min(text.len())];
        let mut from = 0;
        while let Some(i) = hay[from..].find(kw) {
            let at = from + i + kw.len();
            let rest = &hay[at..];
            let trimmed = rest.trim_start();
            if trimmed.starts_with(name) && rest.len() > trimmed.len() {
                let s = sp.start + (at + rest.len() - trimmed.len()) as u32;
                return Span::new(s, s + name.len() as u32);
            }
            from = at;
        }
        sp
    };
    for f in &mut m.functions {
        f.name_span = find(f.span, "def", &f.name);
    }
    for c in &mut m.classes {
        c.name_span = find(c.span, "class", &c.name);
    }
    // Bindings of defs and classes carry the name span too.
    let fspans: Vec<Span> = m.functions.iter().map(|f| f.name_span).collect();
    let cspans: Vec<Span> = m.classes.iter().map(|c| c.name_span).collect();
    for s in &mut m.scopes {
        for bs in s.bindings.values_mut() {
            for b in bs {
                match b.kind {
                    BindingKind::Function(f) => b.span = fspans[f],
                    BindingKind::Class(c) => b.span = cspans[c],
                    _ => {}
                }
            }
        }
    }
}

fn string_list(v: &Expr) -> Option<Vec<String>> {
    match v {
        Expr::List { elts, .. } | Expr::Tuple { elts, .. } => elts
            .iter()
            .map(|e| match e {
                Expr::Str { value, .. } => Some(value.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}
