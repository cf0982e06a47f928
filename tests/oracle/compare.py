#!/usr/bin/env python3
"""Compare the runtime oracle with `keras-lsp check --format json`.

Usage:
    python3 tests/oracle/compare.py --expected tests/fixtures/keras3.oracle.json --actual CHECK.json

Weights are matched per (file, line, column, weight path).  Prints every disagreement,
missing and extra sites, and a final line exactly `N/N weights agree` (agreeing/total).
Exit status 1 when a disagreement is not covered by an `# oracle-exception:` comment
(collected by oracle.py into the oracle file), 2 on bad input.  Rules: tests/oracle/README.md.
Needs only the Python standard library.
"""

import argparse
import json
import math
import sys


def fmt_init(init):
    if init is None:
        return "null"
    cfg = init.get("config") or {}
    args = ", ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(cfg.items()))
    return f"{init.get('class')}({args})"


def values_equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b:
            return True
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    return a == b


def strip_keys(init, ignore):
    if init is None or not ignore:
        return init
    cfg = {k: v for k, v in (init.get("config") or {}).items() if k not in ignore}
    return {"class": init.get("class"), "config": cfg}


def inits_equal(expected, actual, ignore):
    expected = strip_keys(expected, ignore)
    actual = strip_keys(actual, ignore)
    if expected is None or actual is None:
        return expected is None and actual is None
    return expected.get("class") == actual.get("class") and values_equal(
        expected.get("config") or {}, actual.get("config") or {}
    )


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"compare.py: cannot read {path}: {e}\n")
        sys.exit(2)


def make_file_normalizer(known_files, strip_prefix):
    known = set(known_files)

    def norm(path):
        p = path.replace("\\", "/")
        if strip_prefix and p.startswith(strip_prefix):
            p = p[len(strip_prefix):].lstrip("/")
        if p in known:
            return p
        while p.startswith("./"):
            p = p[2:]
        # `check tests/fixtures/keras3` may print paths relative to the cwd or absolute:
        # drop leading components until the rest is a known fixture path.
        parts = p.split("/")
        for i in range(1, len(parts)):
            cand = "/".join(parts[i:])
            if cand in known:
                return cand
        return p

    return norm


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--expected", required=True, help="oracle JSON (tests/oracle/oracle.py)")
    ap.add_argument("--actual", required=True, help="keras-lsp check --format json output")
    ap.add_argument("--strip-prefix", default="", help="prefix to remove from the actual file paths")
    ap.add_argument("--quiet", "-q", action="store_true", help="print only problems and the summary")
    args = ap.parse_args(argv)

    expected = load(args.expected)
    actual = load(args.actual)
    if not isinstance(actual, dict) or not isinstance(actual.get("layers"), list):
        sys.stderr.write("compare.py: actual JSON has no `layers` list\n")
        return 2

    exp_keras, act_keras = expected.get("keras"), actual.get("keras")
    if exp_keras is not None and act_keras is not None and str(exp_keras) != str(act_keras):
        sys.stderr.write(
            f"compare.py: the oracle ran Keras {exp_keras} but check answered for Keras {act_keras} "
            f"(run check with --keras {exp_keras})\n"
        )
        return 2

    known_files = set(expected.get("scripts", []))
    for key in ("layers", "weightless", "unbuilt"):
        known_files.update(s["file"] for s in expected.get(key, []))
    norm = make_file_normalizer(known_files, args.strip_prefix)

    exc = {}
    for e in expected.get("exceptions", []):
        exc.setdefault((e["file"], e["line"]), {})[e["weight"]] = e["reason"]
    used_exc = set()

    def exception_for(file, line, weight):
        table = exc.get((file, line), {})
        for key in (weight, "*"):
            if key in table:
                used_exc.add((file, line, key))
                return table[key]
        return None

    exp_sites = {(s["file"], s["line"], s["column"]): s for s in expected.get("layers", [])}
    unbuilt = {(s["file"], s["line"], s["column"]): s for s in expected.get("unbuilt", [])}
    weightless = {(s["file"], s["line"], s["column"]): s for s in expected.get("weightless", [])}
    act_sites = {}
    for s in actual["layers"]:
        key = (norm(s.get("file", "")), s.get("line"), s.get("column"))
        if key in act_sites:
            print(f"WARNING duplicate actual site {key[0]}:{key[1]}:{key[2]}; keeping the first")
            continue
        act_sites[key] = s

    total = agree = excepted = failures = 0
    missing_sites, extra_sites, notes = [], [], []

    def created(w):
        return w.get("created", True) is not False

    def report(kind, where, weight, message, allow_exc=True):
        nonlocal excepted, failures
        reason = exception_for(where[0], where[1], weight) if allow_exc else None
        loc = f"{where[0]}:{where[1]}:{where[2]}"
        if reason is not None:
            excepted += 1
            print(f"EXCEPTED {loc} {weight}: {message} [oracle-exception: {reason}]")
        else:
            failures += 1
            print(f"{kind} {loc} {weight}: {message}")

    for key in sorted(exp_sites):
        site = exp_sites[key]
        act = act_sites.get(key)
        if act is None:
            missing_sites.append(site)
        elif act.get("layer") and act.get("layer") != site.get("layer"):
            notes.append(f"NOTE {key[0]}:{key[1]}:{key[2]} layer class: oracle {site['layer']}, check {act.get('layer')}")
        act_weights = {}
        if act is not None:
            for w in act.get("weights", []):
                act_weights.setdefault(w.get("weight"), w)
        for w in site["weights"]:
            total += 1
            name = w["weight"]
            ignore = w.get("ignore", [])
            aw = act_weights.get(name)
            if act is None:
                report("DISAGREE", key, name, f"site missing from check (expected {fmt_init(w['initializer'])})")
                continue
            if w.get("partial") and (aw is None or not created(aw) or aw.get("initializer") is None):
                agree += 1  # created by some instances only: either answer is acceptable
                continue
            if aw is None or not created(aw):
                what = "missing" if aw is None else "reported as not created"
                report("DISAGREE", key, name, f"weight {what} (expected {fmt_init(w['initializer'])})")
                continue
            if "shape" in w and "shape" in aw and list(aw["shape"]) != list(w["shape"]):
                # keras-lsp gives a shape only when it can derive it; when it does, it must be right.
                report("DISAGREE", key, name, f"shape: expected {w['shape']}, check says {aw['shape']}")
                continue
            got = aw.get("initializer")
            if w.get("initializer") is None:
                alts = " | ".join(fmt_init(a) for a in w.get("alternatives", []))
                if got is None:
                    agree += 1
                else:
                    report("DISAGREE", key, name, f"runtime gives several answers ({alts}); check says {fmt_init(got)}")
                continue
            if inits_equal(w["initializer"], got, ignore):
                agree += 1
                continue
            extra = f" ({aw['reason']})" if got is None and aw.get("reason") else ""
            report("DISAGREE", key, name, f"expected {fmt_init(w['initializer'])}, check says {fmt_init(got)}{extra}")
        if act is not None:
            expected_names = {w["weight"] for w in site["weights"]}
            for name, aw in sorted(act_weights.items(), key=lambda kv: str(kv[0])):
                if name in expected_names or not created(aw):
                    continue
                total += 1
                report("DISAGREE", key, name, f"extra weight {fmt_init(aw.get('initializer'))}, not created at runtime")

    for key in sorted(k for k in act_sites if k not in exp_sites):
        act = act_sites[key]
        made = [w for w in act.get("weights", []) if created(w)]
        loc = f"{key[0]}:{key[1]}:{key[2]}"
        if key in unbuilt:
            if made:
                notes.append(f"NOTE {loc} {act.get('layer')}: constructed but never built at runtime; check lists {len(made)} weights")
            continue
        if key in weightless and not made:
            continue
        if not made:
            if key[0] not in known_files:
                notes.append(f"NOTE {loc} {act.get('layer')}: file not run by the oracle")
            continue
        extra_sites.append((key, act))
        for w in made:
            total += 1
            report("DISAGREE", key, w.get("weight"), f"extra site {act.get('layer')}: weight {fmt_init(w.get('initializer'))} never created at runtime")

    for site in missing_sites:
        print(f"MISSING SITE {site['file']}:{site['line']}:{site['column']} {site['layer']} ({len(site['weights'])} weights)")
    for key, act in extra_sites:
        print(f"EXTRA SITE {key[0]}:{key[1]}:{key[2]} {act.get('layer')}")
    for (file, line), table in sorted(exc.items()):
        for weight in sorted(table):
            if (file, line, weight) not in used_exc:
                print(f"UNUSED EXCEPTION {file}:{line} {weight}: {table[weight]}")
    if not args.quiet:
        for n in notes:
            print(n)
    if excepted:
        print(f"{excepted} disagreements covered by oracle-exception comments")
    print(f"{agree}/{total} weights agree")
    if "helper_calls" in expected:
        layer_sites = set(act_sites) | set(exp_sites) | set(weightless) | set(unbuilt)
        failures += compare_helpers(
            expected["helper_calls"], actual.get("helper_calls") or [], norm, layer_sites
        )
    return 1 if failures else 0


def compare_helpers(expected, actual, norm, layer_sites):
    """Helper call lines (oracle `--helpers`): every user call around a layer construction at run
    time must be a helper call of `check` with, per construction (site and chain of nested
    helper calls), each weight exactly as Keras created it in that call (several runtime values:
    check gives no single one). A layer `check` lists as surely built must be built. Prints the
    disagreements and `N/N helper call weights agree`, `N/N helper call lines answered`;
    returns the number of failures. A call that is itself a layer construction (a subclassed
    layer or model whose `__init__` builds sublayers) is answered as a layer call, not here."""
    def loc(o):
        return (norm(o.get("file", "")), o.get("line"), o.get("column"))

    act_calls = {loc(h): h for h in actual}
    failures = agree = total = lines = answered = 0
    for h in expected:
        key = loc(h)
        where = f"{key[0]}:{key[1]}:{key[2]}"
        built = [l for l in h["layers"] if l["weights"]]
        if not built or key in layer_sites:
            continue
        lines += 1
        act = act_calls.get(key)
        if act is None:
            failures += 1
            total += sum(len(l["weights"]) for l in built)
            print(f"MISSING HELPER CALL {where} ({len(built)} layers with weights at run time)")
            continue
        answered += 1
        act_layers = {}
        for l in act.get("layers", []):
            act_layers[(loc(l), tuple(loc(v) for v in l.get("via", [])))] = l
        seen = set()
        for l in h["layers"]:
            lkey = (loc(l), tuple(loc(v) for v in l.get("via", [])))
            seen.add(lkey)
            lwhere = f"{where} -> {lkey[0][0]}:{lkey[0][1]}:{lkey[0][2]}" + "".join(
                f" via {v[1]}:{v[2]}" for v in lkey[1]
            )
            al = act_layers.get(lkey)
            if al is None:
                if l["weights"]:
                    failures += 1
                    total += len(l["weights"])
                    print(f"DISAGREE {lwhere} {l['layer']}: built at run time, not listed by check")
                continue
            aw = {w.get("weight"): w for w in al.get("weights", [])}
            for w in l["weights"]:
                total += 1
                a = aw.get(w["weight"])
                made = a is not None and a.get("created", True) is not False
                if w.get("partial") and (not made or a.get("initializer") is None):
                    agree += 1
                    continue
                if not made:
                    failures += 1
                    print(f"DISAGREE {lwhere} {w['weight']}: created at run time, check says not created")
                    continue
                got = a.get("initializer")
                if w.get("initializer") is None:
                    if got is None:
                        agree += 1
                    else:
                        failures += 1
                        print(f"DISAGREE {lwhere} {w['weight']}: several values at run time, check says {fmt_init(got)}")
                    continue
                if inits_equal(w["initializer"], got, w.get("ignore", [])):
                    agree += 1
                else:
                    failures += 1
                    print(f"DISAGREE {lwhere} {w['weight']}: expected {fmt_init(w['initializer'])}, check says {fmt_init(got)}")
            names = {w["weight"] for w in l["weights"]}
            for name, a in aw.items():
                if name not in names and a.get("created", True) is True and l.get("built"):
                    failures += 1
                    total += 1
                    print(f"DISAGREE {lwhere} {name}: check lists a weight not created at run time")
        for lkey, al in act_layers.items():
            if lkey not in seen and al.get("built") is True and any(
                w.get("created", True) is True for w in al.get("weights", [])
            ):
                failures += 1
                print(f"DISAGREE {where}: check says it surely builds {al.get('layer')} at {lkey[0][1]}:{lkey[0][2]}, not built at run time")
    print(f"{agree}/{total} helper call weights agree")
    print(f"{answered}/{lines} helper call lines answered")
    return failures


if __name__ == "__main__":
    sys.exit(main())
