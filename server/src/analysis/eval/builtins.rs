//! Python built-ins and scalar `math` / `numpy` functions on constants: `max`, `min`, `abs`,
//! `round`, `float`, `int`, `getattr(obj, "name")`, and `math.log`, `np.sqrt`, ... on numbers
//! (`-np.log((1 - 0.01) / 0.01)`, a bias prior). Every rule follows CPython exactly (round half
//! to even, `int()` truncating toward zero, `max` keeping the first of equal values); anything
//! else (keyword arguments, a string `float()` does not take literally, a result that is not a
//! finite number) is an unknown with its reason. Both `math` and numpy call the C library's
//! functions for these, as Rust's `f64` methods do on the same machine.

use super::*;

/// The built-in names handled here (see [`Evaluator::scalar_builtin`]).
pub(crate) fn builtin_value(name: &str) -> Option<Val> {
    Some(Val::Builtin(match name {
        "max" => "max",
        "min" => "min",
        "abs" => "abs",
        "round" => "round",
        "float" => "float",
        "int" => "int",
        "getattr" => "getattr",
        _ => return None,
    }))
}

/// `math.<attr>` and `numpy.<attr>` (`ns` is "math" or "numpy").
pub(crate) fn math_attr(ns: &str, attr: &str) -> Val {
    let f: &'static str = match attr {
        "pi" => return Val::Num(Number::Float(std::f64::consts::PI)),
        "e" => return Val::Num(Number::Float(std::f64::consts::E)),
        "log" => "log",
        "log2" => "log2",
        "log10" => "log10",
        "exp" => "exp",
        "sqrt" => "sqrt",
        _ => return Val::Unknown(format!("`{ns}.{attr}` is not followed")),
    };
    Val::Builtin(match (ns, f) {
        ("math", "log") => "math.log",
        ("math", "log2") => "math.log2",
        ("math", "log10") => "math.log10",
        ("math", "exp") => "math.exp",
        ("math", "sqrt") => "math.sqrt",
        (_, "log") => "numpy.log",
        (_, "log2") => "numpy.log2",
        (_, "log10") => "numpy.log10",
        (_, "exp") => "numpy.exp",
        _ => "numpy.sqrt",
    })
}

/// Whether `b` is one of the functions of this module.
pub(crate) fn is_scalar_builtin(b: &str) -> bool {
    builtin_value(b).is_some() || b.starts_with("math.") || b.starts_with("numpy.")
}

/// A number as Python sees it in arithmetic (a bool is an int).
fn num(v: &Val) -> Option<Number> {
    match v {
        Val::Num(n) => Some(*n),
        Val::Bool(b) => Some(Number::Int(*b as i64)),
        _ => None,
    }
}

/// Integers that convert to `f64` exactly, so comparisons with floats through `f64` are exact.
const EXACT_INT: i64 = 1 << 53;

fn as_f64(n: Number) -> Option<f64> {
    match n {
        Number::Int(i) if i.abs() <= EXACT_INT => Some(i as f64),
        Number::Int(_) => None,
        Number::Float(f) => Some(f),
    }
}

impl<'w> Evaluator<'w> {
    /// A call of built-in `b` (see [`is_scalar_builtin`]) with the argument set `set`: one result
    /// per combination of the arguments' possibilities; nothing where Python raises.
    pub(crate) fn scalar_builtin(&mut self, b: &'static str, set: &ArgSet) -> Vec<Cand> {
        if set.open.is_some() || set.open_pos.is_some() {
            return vec![Cand::unknown(format!(
                "`{b}()` with arguments that are not known"
            ))];
        }
        if !set.kws.is_empty() {
            return vec![Cand::unknown(format!(
                "`{b}()` with keyword arguments is not followed"
            ))];
        }
        if b == "getattr" {
            return self.getattr_const(set);
        }
        // The values of each argument; `max([a, b])` takes the elements of its one list.
        let mut args: Vec<Vec<Cand>> = Vec::new();
        for (e, c) in set.args.clone() {
            args.push(self.eval(&e, &c));
        }
        if (b == "max" || b == "min") && args.len() == 1 {
            let one = std::mem::take(&mut args[0]);
            let [c] = one.as_slice() else {
                return vec![Cand::unknown(format!(
                    "`{b}()` of a value with several possibilities"
                ))];
            };
            let Val::List { items, open: None } = &c.val else {
                return vec![Cand::unknown(format!("`{b}()` of {}", describe(&c.val)))];
            };
            for (e, ec) in items.clone() {
                args.push(self.eval(&e, &ec));
            }
        }
        let combos: usize = args.iter().map(Vec::len).product();
        if combos > MAX_CANDIDATES {
            return vec![Cand::unknown(format!(
                "`{b}()` of arguments with too many possible values"
            ))];
        }
        // Every combination of the arguments' values.
        let mut sets: Vec<Vec<Val>> = vec![Vec::new()];
        for a in &args {
            let mut next = Vec::new();
            for s in &sets {
                for c in a {
                    let mut s = s.clone();
                    s.push(c.val.clone());
                    next.push(s);
                }
            }
            sets = next;
        }
        let mut out = Vec::new();
        for vals in sets {
            if let Some(Val::Unknown(r)) = vals.iter().find(|v| matches!(v, Val::Unknown(_))) {
                out.push(Cand::unknown(r.clone()));
                continue;
            }
            match scalar(b, &vals) {
                Ok(Some(v)) => out.push(Cand::new(v)),
                Ok(None) => {} // Python raises: no value on this path
                Err(r) => out.push(Cand::unknown(r)),
            }
        }
        out
    }

    /// `getattr(obj, "name")` with a constant name: `obj.name`.
    fn getattr_const(&mut self, set: &ArgSet) -> Vec<Cand> {
        let [(obj, ocx), (name, ncx)] = set.args.as_slice() else {
            return vec![Cand::unknown(
                "`getattr()` with a default or without two arguments is not followed",
            )];
        };
        let (obj, ocx, name, ncx) = (obj.clone(), ocx.clone(), name.clone(), ncx.clone());
        let Some(attr) = self.single_str(&name, &ncx) else {
            return vec![Cand::unknown(
                "`getattr()` with a name that is not a constant",
            )];
        };
        let mut out = Vec::new();
        for b in self.eval(&obj, &ocx) {
            for mut c in self.attr(&b.val, &attr, &ocx) {
                let mut o = b.origin.clone();
                o.append(&mut c.origin);
                c.origin = o;
                out.push(c);
            }
        }
        out
    }
}

/// `b(*vals)` on known values: `Ok(None)` when Python raises, `Err` when not followed.
fn scalar(b: &str, vals: &[Val]) -> Result<Option<Val>, String> {
    let not = || Err(format!("`{b}()` of these arguments is not followed"));
    match (b, vals) {
        ("abs", [v]) => match num(v) {
            Some(Number::Int(i)) => {
                Ok(i.checked_abs().map(|i| Val::Num(Number::Int(i)))).and_then(|r| {
                    r.map(Some)
                        .ok_or_else(|| "an integer too large to follow".to_string())
                })
            }
            Some(Number::Float(f)) => Ok(Some(Val::Num(Number::Float(f.abs())))),
            None => not(),
        },
        ("max" | "min", vs) if !vs.is_empty() => {
            let mut best: Option<(f64, &Val)> = None;
            for v in vs {
                let Some(x) = num(v).and_then(as_f64) else {
                    return not();
                };
                if x.is_nan() {
                    return not();
                }
                // CPython keeps the first of equal values.
                let better = match best {
                    None => true,
                    Some((y, _)) => (b == "max" && x > y) || (b == "min" && x < y),
                };
                if better {
                    best = Some((x, v));
                }
            }
            let (_, v) = best.expect("not empty");
            Ok(Some(match v {
                Val::Bool(_) => v.clone(),
                other => other.clone(),
            }))
        }
        ("max" | "min", []) => Ok(None),
        ("round", [v]) => match num(v) {
            Some(Number::Int(i)) => Ok(Some(Val::Num(Number::Int(i)))),
            Some(Number::Float(f)) if !f.is_finite() => Ok(None),
            Some(Number::Float(f)) => {
                let r = f.round_ties_even();
                if r.abs() < EXACT_INT as f64 {
                    Ok(Some(Val::Num(Number::Int(r as i64))))
                } else {
                    Err("an integer too large to follow".into())
                }
            }
            None => not(),
        },
        ("int", [v]) => match (num(v), v) {
            (Some(Number::Int(i)), _) => Ok(Some(Val::Num(Number::Int(i)))),
            (Some(Number::Float(f)), _) if !f.is_finite() => Ok(None),
            (Some(Number::Float(f)), _) => {
                let t = f.trunc();
                if t.abs() < EXACT_INT as f64 {
                    Ok(Some(Val::Num(Number::Int(t as i64))))
                } else {
                    Err("an integer too large to follow".into())
                }
            }
            (None, Val::Str(s)) => match plain_int(s) {
                Some(i) => Ok(Some(Val::Num(Number::Int(i)))),
                None => not(),
            },
            _ => not(),
        },
        ("float", [v]) => match (num(v), v) {
            (Some(Number::Int(i)), _) => Ok(Some(Val::Num(Number::Float(i as f64)))),
            (Some(Number::Float(f)), _) => Ok(Some(Val::Num(Number::Float(f)))),
            (None, Val::Str(s)) => match plain_float(s) {
                Some(f) => Ok(Some(Val::Num(Number::Float(f)))),
                None => not(),
            },
            _ => not(),
        },
        (f, [v]) if f.starts_with("math.") || f.starts_with("numpy.") => {
            let Some(x) = num(v).and_then(as_f64) else {
                return not();
            };
            let math = f.starts_with("math.");
            let y = match &f[f.find('.').unwrap_or(0) + 1..] {
                "log" if math && x <= 0.0 => return Ok(None), // ValueError
                "log2" | "log10" if math && x <= 0.0 => return Ok(None),
                "sqrt" if math && x < 0.0 => return Ok(None),
                "log" => x.ln(),
                "log2" => x.log2(),
                "log10" => x.log10(),
                "exp" => x.exp(),
                "sqrt" => x.sqrt(),
                _ => return not(),
            };
            if !y.is_finite() {
                // math raises OverflowError; numpy gives inf or nan with a warning.
                return if math { Ok(None) } else { not() };
            }
            Ok(Some(Val::Num(Number::Float(y))))
        }
        _ => not(),
    }
}

/// `int(s)` for a plain decimal literal (optional sign and surrounding whitespace).
fn plain_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok().filter(|i: &i64| i.abs() < EXACT_INT)
}

/// `float(s)` for a plain decimal literal (`1.5`, `-2e-3`; no `inf`, `nan` or underscores).
fn plain_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        && t.bytes().any(|c| c.is_ascii_digit());
    ok.then(|| t.parse::<f64>().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> Val {
        Val::Num(Number::Float(x))
    }
    fn i(x: i64) -> Val {
        Val::Num(Number::Int(x))
    }
    fn show(r: Result<Option<Val>, String>) -> String {
        match r {
            Ok(Some(Val::Num(Number::Int(i)))) => format!("int {i}"),
            Ok(Some(Val::Num(Number::Float(x)))) => format!("float {x:?}"),
            Ok(Some(Val::Bool(b))) => format!("bool {b}"),
            Ok(Some(_)) => "other".into(),
            Ok(None) => "raises".into(),
            Err(_) => "unknown".into(),
        }
    }

    #[test]
    fn builtins_follow_cpython() {
        // round: half to even, an int.
        assert_eq!(show(scalar("round", &[f(2.5)])), "int 2");
        assert_eq!(show(scalar("round", &[f(-0.5)])), "int 0");
        assert_eq!(show(scalar("round", &[f(3.5)])), "int 4");
        // int truncates toward zero.
        assert_eq!(show(scalar("int", &[f(-2.7)])), "int -2");
        assert_eq!(show(scalar("int", &[Val::Str(" 42 ".into())])), "int 42");
        assert_eq!(show(scalar("int", &[Val::Str("4.2".into())])), "unknown");
        assert_eq!(show(scalar("float", &[i(3)])), "float 3.0");
        // max keeps the first of equal values: max(1, 1.0) is 1, max(True, 1) is True.
        assert_eq!(show(scalar("max", &[i(1), f(1.0)])), "int 1");
        assert_eq!(show(scalar("max", &[Val::Bool(true), i(1)])), "bool true");
        assert_eq!(show(scalar("min", &[f(0.5), i(-2)])), "int -2");
        assert_eq!(show(scalar("abs", &[f(-0.25)])), "float 0.25");
        assert_eq!(show(scalar("abs", &[Val::Bool(true)])), "int 1");
        // -np.log((1 - 0.01) / 0.01), the usual bias prior.
        let prior = match scalar("numpy.log", &[f((1.0 - 0.01) / 0.01)]) {
            Ok(Some(Val::Num(Number::Float(x)))) => -x,
            _ => panic!(),
        };
        assert_eq!(prior, -4.59511985013459);
        assert_eq!(show(scalar("math.log", &[i(0)])), "raises");
        assert_eq!(show(scalar("numpy.log", &[i(0)])), "unknown");
        assert_eq!(
            show(scalar("math.sqrt", &[i(2)])),
            "float 1.4142135623730951"
        );
    }
}
