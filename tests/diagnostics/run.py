#!/usr/bin/env python3
"""Runtime test of keras-lsp's diagnostics: real Keras decides.

Usage (with the interpreter of the Keras venv):
    KERAS_BACKEND=numpy .venv-keras/bin/python tests/diagnostics/run.py
    .venv-keras/bin/python tests/diagnostics/run.py --flavor keras2     # tf_keras, runs .venv-tf/bin/python

Runs the oracle (tests/oracle/oracle.py --digests --fork) on the fixture folder and
`keras-lsp check FOLDER --format json --keras N --select unresolved-initializer`, then checks every
diagnostic against what the runtime did. A diagnostic belongs to the layer call of `check` in the
same file with the greatest start (line, column) at or before the diagnostic's position, and so to
the runtime call site starting exactly there (a layer call the runtime never constructed fails).

  error (unknown-initializer, unknown-keyword, invalid-initializer)
      its construction raised, at construction when the message says "is constructed", with the
      exception type the message names; and no call site raised (nor the script outside any call
      site) without an error diagnostic. An error on an initializer object ("the `C` object is
      constructed") instead matches an exception raised outside any layer construction on its line.
  shared-initializer (grouped by the object's construction, the related entry "constructed once")
      the weights named (the diagnostic's own and its related weights) exist at run time, and in
      every script run those of equal shape have identical initial values (sha256 of the values);
      at least one such same-shape pair must exist over all fixtures. Recall is printed, not
      enforced: two weights with identical values, the same shape and a random initializer that no
      group names together
  ignored-initializer
      the weight named does not exist at run time (the layer was built, or its construction raised)
  unresolved-initializer (hint)
      the weight named exists at run time, or its construction raised

A mismatch that keras-lsp is known to make is declared in the fixture, on the line of the call
site (or, for an exception raised outside any layer, the line that raised):
    # diagnostics-exception: missed-error: <reason>      Keras raises, keras-lsp reports no error
    # diagnostics-exception: false-error: <reason>       keras-lsp reports an error, Keras does not raise
It is printed as KNOWN and does not fail the run; an exception that matches nothing fails it (STALE).

Exit status: 0 when nothing contradicts the runtime, 1 on any FAIL or STALE, 2 when the oracle or
keras-lsp could not run. With --flavor keras2 and no .venv-tf: a SKIP message and exit 0.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from itertools import combinations

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORACLE = os.path.join(ROOT, "tests", "oracle", "oracle.py")

ERROR_CODES = ("unknown-initializer", "unknown-keyword", "invalid-initializer")
CODES = ERROR_CODES + ("shared-initializer", "ignored-initializer", "unresolved-initializer")
EXCEPTION_RE = re.compile(r"#\s*diagnostics-exception:\s*(missed-error|false-error)\s*:\s*(.*)$")

FLAVORS = {
    # flavor: fixture folder, interpreter of the oracle, oracle options, `check --keras`
    "keras3": ("tests/fixtures/diagnostics", None, [], "3"),
    "keras2": ("tests/fixtures/diagnostics-keras2", ".venv-tf/bin/python", ["--flavor", "keras2"], "2"),
}


class Report:
    def __init__(self):
        self.counts = defaultdict(lambda: {"reported": 0, "checked": 0, "failed": 0, "known": 0})
        self.failures = 0
        self.lines = []

    def fail(self, code, text):
        self.failures += 1
        if code:
            self.counts[code]["failed"] += 1
        self.lines.append(f"FAIL  [{code or 'runtime'}] {text}")

    def ok(self, code):
        self.counts[code]["checked"] += 1

    def known(self, code, text):
        self.counts[code]["known"] += 1
        self.lines.append(f"KNOWN [{code}] {text}")

    def note(self, text):
        self.lines.append(f"NOTE  {text}")


def scan_exceptions(root):
    """{(file, line): (kind, reason)} of the `# diagnostics-exception:` comments under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__pycache__")))
        for fn in sorted(filenames):
            if not fn.endswith(".py"):
                continue
            path = os.path.join(dirpath, fn)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    m = EXCEPTION_RE.search(line)
                    if m:
                        out[(rel, lineno)] = (m.group(1), m.group(2).strip())
    return out


def run_oracle(python, root, opts, jobs, out):
    cmd = [python, ORACLE, root, "--digests", "--fork", "-q", "-j", str(jobs), "--out", out] + opts
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "numpy")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    # Exit 1 means some fixture raised: expected here (each error case raises).
    if proc.returncode not in (0, 1) or not os.path.exists(out):
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        return None
    with open(out) as f:
        return json.load(f)


def run_check(keras_lsp, root, keras):
    cmd = [keras_lsp, "check", ".", "--format", "json", "--keras", keras, "--select", "unresolved-initializer"]
    proc = subprocess.run(cmd, cwd=os.path.join(ROOT, root), capture_output=True, text=True)
    # Exit 1: an error-level diagnostic was reported (expected with the error fixtures).
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        sys.stderr.write(proc.stderr[-3000:])
        return None
    return json.loads(proc.stdout)


class Runtime:
    """The oracle's sites, looked up by file and position."""

    def __init__(self, oracle, check):
        self.sites = []
        for kind in ("layers", "weightless", "unbuilt"):
            for s in oracle.get(kind, []):
                self.sites.append(dict(s, kind=kind))
        self.by_file = defaultdict(list)
        for s in self.sites:
            self.by_file[s["file"]].append(s)
        for lst in self.by_file.values():
            lst.sort(key=lambda s: (s["line"], s["column"]))
        self.errors = oracle.get("errors", [])
        self.exact = {(s["file"], s["line"], s["column"]): s for s in self.sites}
        # keras-lsp's own layer calls (their start is the oracle's site position).
        self.calls = defaultdict(list)
        for c in check.get("layers", []):
            self.calls[c["file"]].append((c["line"], c["column"]))
        for lst in self.calls.values():
            lst.sort()

    def site_at(self, file, line, column):
        """The runtime site a position belongs to: the layer call of `check` in `file` with the
        greatest start <= (line, column), and the runtime site that starts exactly there (None
        when the runtime never constructed it). Without such a layer call: the runtime site with
        the greatest (line, column) <= (line, column)."""
        starts = [p for p in self.calls.get(file, []) if p <= (line, column)]
        if starts:
            return self.exact.get((file,) + starts[-1]) or {
                "file": file, "line": starts[-1][0], "column": starts[-1][1], "never": True}
        best = None
        for s in self.by_file.get(file, []):
            if (s["line"], s["column"]) <= (line, column):
                best = s
        return best

    @staticmethod
    def weight(site, name):
        for w in site.get("weights", []):
            if w["weight"] == name:
                return w
        return None


def where(site):
    return f"{site['file']}:{site['line']}:{site['column']} {site.get('layer', '')}".rstrip()


def absent(site, file, line, column):
    """Why there is no runtime site for a position, or None."""
    if site is None:
        return f"no layer was constructed at or before {file}:{line}:{column} at run time"
    if site.get("never"):
        return f"the layer call at {where(site)} was never constructed at run time"
    return None


def check_errors(diags, rt, exceptions, used, rep):
    """(a) error diagnostics <-> constructions that raised."""
    flagged = set()
    matched_errors = set()
    for d in diags:
        if d["severity"] != "error":
            continue
        code = d["code"]
        rep.counts[code]["reported"] += 1
        here = f"{d['file']}:{d['line']}:{d['column']}"
        # An initializer object whose construction raises (`VarianceScaling(mode="fan_inn")`):
        # the script raised outside any layer construction, on the diagnostic's line.
        if "object is constructed" in d["message"]:
            hit = [e for e in rt.errors if not (e.get("at") or {}).get("site")
                   and ((e.get("at") or {}).get("file"), (e.get("at") or {}).get("line")) == (d["file"], d["line"])]
            if hit and hit[0]["error"].split(":", 1)[0].strip() in d["message"]:
                matched_errors.add(id(hit[0]))
                rep.ok(code)
                continue
            problem = (f"no exception naming its type was raised on line {d['line']} outside a layer construction"
                       f" (raised: {[e['error'][:120] for e in hit]})")
            key = (d["file"], d["line"])
            if exceptions.get(key, ("",))[0] == "false-error":
                used.add(key)
                rep.known(code, f"{here}: {problem} -- declared: {exceptions[key][1]}")
            else:
                rep.fail(code, f"{here}: {d['message']}\n      but {problem}")
            continue
        site = rt.site_at(d["file"], d["line"], d["column"])
        problem = absent(site, d["file"], d["line"], d["column"])
        if problem is None:
            flagged.add(id(site))
            raised = site.get("raised") or []
            phases = site.get("raised_phase") or []
            cls = re.search(r"when `([^`]+)` is constructed", d["message"])
            if not raised:
                problem = f"{where(site)} did not raise at run time"
            elif cls and "construction" not in phases:
                problem = f"{where(site)} raised during {'/'.join(phases)}, not when constructed: {raised[0]}"
            elif cls and cls.group(1) != site["layer"]:
                problem = f"the message names `{cls.group(1)}`, the runtime constructed {site['layer']}"
            else:
                exc_type = raised[0].split(":", 1)[0]
                if exc_type not in d["message"]:
                    problem = f"Keras raised {raised[0]!r}, the message does not name {exc_type}"
        if problem is None:
            rep.ok(code)
            continue
        # Declared on the line of the call site (or of the diagnostic).
        keys = [(site["file"], site["line"])] if site else []
        keys.append((d["file"], d["line"]))
        key = next((k for k in keys if exceptions.get(k, ("",))[0] == "false-error"), None)
        if key is not None:
            used.add(key)
            rep.known(code, f"{here}: {problem} -- declared: {exceptions[key][1]}")
        else:
            rep.fail(code, f"{here}: {d['message']}\n      but {problem}")
    # Every construction that raised has an error diagnostic.
    attributed = set()
    for s in rt.sites:
        if not s.get("raised"):
            continue
        attributed.add((s["file"], s["line"], s["column"]))
        if id(s) in flagged:
            continue
        text = f"{where(s)} raised during {'/'.join(s.get('raised_phase') or ['?'])}: {s['raised'][0]}"
        exc = exceptions.get((s["file"], s["line"]))
        if exc and exc[0] == "missed-error":
            used.add((s["file"], s["line"]))
            rep.known("missed-error", f"{text} -- no error diagnostic; declared: {exc[1]}")
        else:
            rep.fail("missed-error", f"{text}\n      but keras-lsp reports no error there")
    # A script that raised outside any recorded construction.
    for e in rt.errors:
        at = e.get("at") or {}
        site = at.get("site")
        if site and (site["file"], site["line"], site["column"]) in attributed:
            continue
        if id(e) in matched_errors:
            continue
        key = (at.get("file"), at.get("line"))
        text = f"{e['script']} raised outside any layer construction ({key[0]}:{key[1]}): {e['error']}"
        exc = exceptions.get(key)
        if exc and exc[0] == "missed-error":
            used.add(key)
            rep.known("missed-error", f"{text} -- declared: {exc[1]}")
        else:
            rep.fail("missed-error", f"{text}\n      (a fixture must raise only in a layer construction, or declare it)")


def named_weight(rt, file, line, column, name, layer, code, rep, label):
    """The runtime (site, weight) a diagnostic names, or None after a FAIL."""
    site = rt.site_at(file, line, column)
    if absent(site, file, line, column):
        rep.fail(code, f"{label}: {absent(site, file, line, column)}")
        return None
    if layer and layer != site["layer"]:
        rep.fail(code, f"{label}: names `{layer}`, the runtime constructed {where(site)}")
        return None
    w = rt.weight(site, name)
    if w is None:
        state = "raised" if site.get("raised") else ("was not built" if site["kind"] == "unbuilt" else "has no such weight")
        rep.fail(code, f"{label}: `{name}` of {where(site)}: the runtime layer {state} "
                 f"(weights: {', '.join(x['weight'] for x in site.get('weights', [])) or 'none'})")
        return None
    return site, w


def check_shared(diags, rt, rep):
    """(b) shared-initializer groups: same-shape weights start identical."""
    groups = defaultdict(list)
    for d in diags:
        if d["code"] != "shared-initializer":
            continue
        rep.counts["shared-initializer"]["reported"] += 1
        obj = [r for r in d["related"] if "constructed once" in r["message"]]
        if len(obj) != 1:
            rep.fail("shared-initializer", f"{d['file']}:{d['line']}:{d['column']}: no single 'constructed once' related entry")
            continue
        o = obj[0]
        groups[(o["file"], o["line"], o["column"])].append(d)
    pairs_checked = 0
    flagged = set()  # frozensets of two (site key, weight) named by one group, and each one named
    for (ofile, oline, ocol), ds in sorted(groups.items()):
        members = {}  # (file, line, column, weight) -> (site, weight json)
        bad = False
        for d in ds:
            label = f"{d['file']}:{d['line']}:{d['column']}"
            m = re.match(r"`([^`]+)` shares one", d["message"])
            entries = [(d["file"], d["line"], d["column"], m.group(1) if m else None, None)]
            for r in d["related"]:
                if "constructed once" in r["message"]:
                    continue
                rm = re.match(r"`([^`]+)` of `([^`]+)`", r["message"])
                entries.append((r["file"], r["line"], r["column"], rm.group(1) if rm else None, rm.group(2) if rm else None))
            for file, line, column, name, layer in entries:
                if name is None:
                    rep.fail("shared-initializer", f"{label}: cannot read the weight in {d['message']!r}")
                    bad = True
                    continue
                found = named_weight(rt, file, line, column, name, layer, "shared-initializer", rep, label)
                if found is None:
                    bad = True
                    continue
                site, w = found
                members[(site["file"], site["line"], site["column"], name)] = (site, w)
        group = f"object at {ofile}:{oline}:{ocol}"
        keys = sorted(members)
        for a, b in combinations(keys, 2):
            flagged.add(frozenset((a, b)))
        flagged.update(frozenset((k,)) for k in keys)  # its instances (a helper called twice) too
        # Per script run (one process), same-shape instances must have one digest.
        per_run = defaultdict(list)
        for key in keys:
            site, w = members[key]
            for inst in w.get("digests", []):
                per_run[inst["script"]].append((tuple(inst["shape"] or ()), inst["digest"], key))
        group_pairs = 0
        for script, insts in sorted(per_run.items()):
            by_shape = defaultdict(list)
            for shape, digest, key in insts:
                by_shape[shape].append((digest, key))
            for shape, lst in by_shape.items():
                if len(lst) < 2:
                    continue
                group_pairs += len(lst) * (len(lst) - 1) // 2
                if len({dg for dg, _ in lst}) != 1 or lst[0][0] is None:
                    names = ", ".join(f"{k[0]}:{k[1]} {k[3]}={dg[:10] if dg else None}" for dg, k in lst)
                    rep.fail("shared-initializer", f"{group}: in {script}, weights of shape {list(shape)} "
                             f"start with different values: {names}")
                    bad = True
        pairs_checked += group_pairs
        if group_pairs and not bad:
            rep.lines.append(f"OK    [shared-initializer] {group}: {len(keys)} weights named, {group_pairs} "
                             "same-shape pair(s) with identical initial values")
        if group_pairs == 0:
            rep.note(f"shared-initializer {group}: no two named weights of one shape in one run "
                     f"({len(keys)} weights; nothing to compare, only their existence checked)")
        if not bad:
            rep.counts["shared-initializer"]["checked"] += len(ds)
    if groups and pairs_checked == 0:
        rep.fail("shared-initializer", "no shared-initializer group names two weights of one shape built in one run")
    return groups, pairs_checked, flagged


def random_init(w_init):
    return isinstance(w_init, dict) and isinstance(w_init.get("config"), dict) and "seed" in w_init["config"]


def shared_recall(rt, flagged, rep):
    """Weights with identical initial values that no shared-initializer group names together."""
    per_run = defaultdict(list)
    for s in rt.sites:
        for w in s.get("weights", []):
            for inst in w.get("digests", []):
                per_run[inst["script"]].append((s, w, inst))
    missed, seeds, deterministic = defaultdict(int), defaultdict(int), 0
    for script, insts in sorted(per_run.items()):
        for (s1, w1, i1), (s2, w2, i2) in combinations(insts, 2):
            if i1["digest"] is None or i1["digest"] != i2["digest"] or i1["shape"] != i2["shape"]:
                continue
            k1 = (s1["file"], s1["line"], s1["column"], w1["weight"])
            k2 = (s2["file"], s2["line"], s2["column"], w2["weight"])
            if k1 != k2 and (w1["weight"].endswith("/" + w2["weight"]) or w2["weight"].endswith("/" + w1["weight"])):
                continue  # one variable seen from a nested site and its parent
            if frozenset((k1, k2)) in flagged:
                continue
            inits = [w1.get("initializer"), w2.get("initializer")]
            if not all(random_init(i) for i in inits):
                deterministic += 1
                continue
            seeds_of = [i["config"].get("seed") for i in inits]
            text = (f"{script}: {k1[0]}:{k1[1]} {k1[3]} and {k2[0]}:{k2[1]} {k2[3]} "
                    f"(shape {i1['shape']}, {inits[0]['class']})")
            if k1 == k2:
                text = (f"{script}: {k1[0]}:{k1[1]} {k1[3]}, instances of one call site "
                        f"(shape {i1['shape']}, {inits[0]['class']})")
            if seeds_of[0] is not None and seeds_of[0] == seeds_of[1]:
                seeds[text + f" [equal explicit seeds {seeds_of[0]}: not necessarily one object]"] += 1
            else:
                missed[text] += 1
    return missed, seeds, deterministic


def check_ignored(diags, rt, rep):
    """(c) ignored-initializer: the weight does not exist at run time."""
    for d in diags:
        if d["code"] != "ignored-initializer":
            continue
        code = "ignored-initializer"
        rep.counts[code]["reported"] += 1
        label = f"{d['file']}:{d['line']}:{d['column']}"
        m = re.search(r"`([^`]+)` creates no `([^`]+)` weight", d["message"])
        site = rt.site_at(d["file"], d["line"], d["column"])
        why = absent(site, d["file"], d["line"], d["column"]) if m else "cannot read the weight"
        if why:
            rep.fail(code, f"{label}: {d['message']}\n      but {why}")
            continue
        layer, name = m.groups()
        if layer != site["layer"]:
            rep.fail(code, f"{label}: names `{layer}`, the runtime constructed {where(site)}")
        elif rt.weight(site, name) is not None:
            rep.fail(code, f"{label}: {d['message']}\n      but {where(site)} created `{name}` at run time")
        elif site.get("raised"):
            rep.ok(code)
            rep.note(f"ignored-initializer {label}: {where(site)} raised, so no `{name}` (nothing built)")
        elif site["kind"] == "unbuilt":
            rep.fail(code, f"{label}: {where(site)} was never built (the fixture must build it)")
        else:
            rep.ok(code)


def check_unresolved(diags, rt, rep):
    """unresolved-initializer hints: the weight exists at run time (or the construction raised)."""
    for d in diags:
        if d["code"] != "unresolved-initializer":
            continue
        code = "unresolved-initializer"
        rep.counts[code]["reported"] += 1
        label = f"{d['file']}:{d['line']}:{d['column']}"
        m = re.search(r"the initializer of `([^`]+)` of `([^`]+)`", d["message"])
        site = rt.site_at(d["file"], d["line"], d["column"])
        why = absent(site, d["file"], d["line"], d["column"]) if m else "cannot read the weight"
        if why:
            rep.fail(code, f"{label}: {d['message']}\n      but {why}")
            continue
        name, layer = m.groups()
        if layer != site["layer"]:
            rep.fail(code, f"{label}: names `{layer}`, the runtime constructed {where(site)}")
        elif site.get("raised") or rt.weight(site, name) is not None:
            rep.ok(code)
        else:
            rep.fail(code, f"{label}: `{name}` of {where(site)} does not exist at run time")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flavor", choices=sorted(FLAVORS), default="keras3")
    ap.add_argument("--fixtures", help="fixture folder (default: by flavor)")
    ap.add_argument("--python", help="interpreter with Keras for the oracle (default: this one; .venv-tf for keras2)")
    ap.add_argument("--keras-lsp", default=os.environ.get("KERAS_LSP", "target/release/keras-lsp"))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--keep", help="write the oracle and check outputs to this folder")
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    folder, default_python, opts, keras = FLAVORS[args.flavor]
    root = args.fixtures or folder
    python = args.python or (os.path.join(ROOT, default_python) if default_python else sys.executable)
    if not os.path.exists(python):
        print(f"SKIP: {python} not found (the TensorFlow venv is not installed); {root} not run")
        return 0
    keras_lsp = os.path.join(ROOT, args.keras_lsp)
    if not os.path.exists(keras_lsp):
        print(f"FAIL: {keras_lsp} not found (build it with: cargo build --release)")
        return 2

    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        oracle = run_oracle(python, root, opts, args.jobs, os.path.join(args.keep or tmp, "oracle.json"))
        t_oracle = time.monotonic() - t0
        check = run_check(keras_lsp, root, keras)
    if oracle is None or check is None:
        print(f"FAIL: the {'oracle' if oracle is None else 'keras-lsp check'} did not run")
        return 2
    if args.keep:
        with open(os.path.join(args.keep, "check.json"), "w") as f:
            json.dump(check, f, indent=1)
    if "diagnostics" not in check:
        print("FAIL: keras-lsp check --format json gave no 'diagnostics'")
        return 2

    rt = Runtime(oracle, check)
    diags = check["diagnostics"]
    exceptions = scan_exceptions(os.path.join(ROOT, root))
    used = set()
    rep = Report()

    check_errors(diags, rt, exceptions, used, rep)
    groups, pairs, flagged = check_shared(diags, rt, rep)
    missed, seeds, deterministic = shared_recall(rt, flagged, rep)
    check_ignored(diags, rt, rep)
    check_unresolved(diags, rt, rep)
    others = defaultdict(int)
    for d in diags:
        if d["code"] not in CODES:
            others[d["code"]] += 1
    for key in sorted(set(exceptions) - used):
        rep.failures += 1
        rep.lines.append(f"STALE {key[0]}:{key[1]}: the declared {exceptions[key][0]} ({exceptions[key][1]}) "
                         "matches nothing: keras-lsp and Keras agree there now; remove the comment")

    print(f"== diagnostics vs the runtime: {root} (Keras {oracle.get('keras_version')}, check --keras {keras})")
    for line in rep.lines:
        print(line)
    print(f"recall of shared-initializer: {sum(missed.values())} pair(s) of weights with identical initial "
          "values and a random initializer that no warning names together" + (":" if missed else ""))
    for m, n in missed.items():
        print(f"  NOT FLAGGED {m}" + (f" ({n} pairs)" if n > 1 else ""))
    for m, n in seeds.items():
        print(f"  also identical, by seed: {m}" + (f" ({n} pairs)" if n > 1 else ""))
    print(f"  ({deterministic} identical same-shape pair(s) from deterministic initializers not counted)")
    print("summary:")
    print(f"  {'code':<24} {'reported':>8} {'checked':>8} {'known':>6} {'failed':>7}")
    for code in CODES + ("missed-error",):
        c = rep.counts[code]
        print(f"  {code:<24} {c['reported'] if code != 'missed-error' else '-':>8} {c['checked'] if code != 'missed-error' else '-':>8} "
              f"{c['known']:>6} {c['failed']:>7}")
    for code, n in sorted(others.items()):
        print(f"  {code:<24} {n:>8} (not checked)")
    print(f"  scripts {len(oracle.get('scripts', []))} (raised {len(rt.errors)}), runtime call sites {len(rt.sites)}, "
          f"shared groups {len(groups)}, same-shape pairs compared {pairs}, declared exceptions {len(exceptions)} "
          f"(used {len(used)})")
    print(f"  time {time.monotonic() - t0:.1f} s (oracle {t_oracle:.1f} s)")
    if rep.failures:
        print(f"FAILED: {rep.failures} contradiction(s) with the runtime")
        return 1
    print("OK: every checked diagnostic agrees with the runtime")
    return 0


if __name__ == "__main__":
    sys.exit(main())
