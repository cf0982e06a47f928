#!/usr/bin/env python3
"""Differential program generator: random Keras programs (gen.py) run under the real Keras runtime
(the recorder of tests/oracle/oracle.py) and under `keras-lsp check`; every weight is classified.

Usage (with the interpreter of the Keras venv, see tests/generator/README.md):
    KERAS_BACKEND=numpy .venv-keras/bin/python tests/generator/run.py --seed 1 --programs 200

Per weight of every layer the runtime constructed:
    exact       one definite answer, and it is what Keras did
    one-of      several possibilities (or a possibility of "created or not"), the truth among them
    unresolved  no definite answer (unresolved, or one of several with an unresolved part)
    missing     keras-lsp reports no such weight (or no such layer call)
    WRONG       a definite answer, or "one of" without the truth, that the runtime contradicts:
                another initializer, "not created" for a created weight, "created" for a weight that
                some or all constructions did not create, a wrong shape, a weight Keras never makes,
                or an initializer given for a construction that raised
Layer calls keras-lsp reports that the runtime never constructed are counted as `extra sites`.

Exit status: 1 when any weight is WRONG (each WRONG program is kept under --keep, default
target/generator-wrong, with the runtime's and keras-lsp's answers), 2 on bad usage, else 0.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
sys.path.insert(0, HERE)

import compare  # noqa: E402  (tests/oracle/compare.py: how initializers are compared)
import gen  # noqa: E402
import oracle  # noqa: E402

CATEGORIES = ["exact", "one-of", "unresolved", "missing", "WRONG"]


def program_seed(seed, i):
    """The generator seed of program `i` of a batch (stable across runs and batch sizes)."""
    return seed * 1_000_003 + i


def answers_of(aw):
    """(resolved initializers, has an unresolved part) of a `check --format json` weight."""
    if "alternatives" in aw:
        resolved = [a["initializer"] for a in aw["alternatives"] if a.get("initializer") is not None]
        unresolved = any(a.get("initializer") is None for a in aw["alternatives"])
        return resolved, unresolved or not aw["alternatives"]
    init = aw.get("initializer")
    return ([init], False) if init is not None else ([], True)


def fmt(init):
    return compare.fmt_init(init)


def answer_text(aw):
    """keras-lsp's answer for a weight, one line: each possibility (or reason), and whether it is
    created when that is not known."""
    alts = aw.get("alternatives") or [aw]
    parts = [fmt(a["initializer"]) if a.get("initializer") is not None
             else f"unresolved ({a.get('reason') or aw.get('reason', '')})" for a in alts]
    text = " | ".join(parts)
    if aw.get("created") is None and aw.get("created_reason"):
        text += f" (created: {aw['created_reason']})"
    return text


def classify(program, oracle_out, check_out):
    """[(category, site key, weight, message)] for one program."""
    layers, _weightless, unbuilt = oracle.merge([oracle_out])
    out = []
    act_sites = {}
    for s in check_out.get("layers", []):
        act_sites.setdefault((s["file"], s["line"], s["column"]), s)
    seen = set()
    for site in layers:
        key = (site["file"], site["line"], site["column"])
        seen.add(key)
        act = act_sites.get(key)
        act_weights = {}
        for w in (act or {}).get("weights", []):
            act_weights.setdefault(w["weight"], w)
        for w in site["weights"]:
            name = w["weight"]
            truth = [w["initializer"]] if w.get("initializer") is not None else w.get("alternatives", [])
            ignore = w.get("ignore", [])
            aw = act_weights.get(name)
            if act is None:
                out.append(("missing", key, name, "layer call not reported"))
                continue
            if aw is None:
                out.append(("missing", key, name, f"weight not reported (runtime: {fmt(truth[0])})"))
                continue
            created = aw.get("created", True)
            if created is False:
                out.append(("WRONG", key, name, f"check says not created ({aw.get('source')}); "
                            f"runtime created it{' in some calls' if w.get('partial') else ''}: "
                            f"{' | '.join(fmt(t) for t in truth)}"))
                continue
            if created is True and w.get("partial"):
                out.append(("WRONG", key, name, "check says created; the runtime created it in some "
                            "constructions of this call only"))
                continue
            if "shape" in w and "shape" in aw and list(aw["shape"]) != list(w["shape"]):
                out.append(("WRONG", key, name, f"shape: runtime {w['shape']}, check {aw['shape']}"))
                continue
            resolved, unresolved = answers_of(aw)
            missing = [t for t in truth if not any(compare.inits_equal(t, r, ignore) for r in resolved)]
            said = answer_text(aw)
            if not missing:
                if len(resolved) == 1 and not unresolved and len(truth) == 1 and created is True:
                    out.append(("exact", key, name, ""))
                else:
                    out.append(("one-of", key, name, f"runtime {' | '.join(fmt(t) for t in truth)}; check: {said}"))
            elif unresolved:
                out.append(("unresolved", key, name, f"runtime {' | '.join(fmt(t) for t in truth)}; check: {said}"))
            else:
                got = " | ".join(fmt(r) for r in resolved)
                out.append(("WRONG", key, name, f"runtime {' | '.join(fmt(t) for t in missing)} "
                            f"not among check's answer: {got} [{aw.get('source', '')}]"))
        expected = {w["weight"] for w in site["weights"]}
        for name, aw in act_weights.items():
            if name in expected or aw.get("created") is not True:
                continue
            resolved, _ = answers_of(aw)
            out.append(("WRONG", key, name, f"check lists a weight Keras does not create "
                        f"({' | '.join(fmt(r) for r in resolved) or 'unresolved'})"))
    for site in unbuilt:
        key = (site["file"], site["line"], site["column"])
        seen.add(key)
        raised = " ".join(site.get("raised", []))
        act = act_sites.get(key)
        if not raised or act is None:
            continue
        for aw in act.get("weights", []):
            resolved, unresolved = answers_of(aw)
            named = [r for r in resolved if r.get("class") and r["class"] in raised]
            if named and not unresolved:
                out.append(("WRONG", key, aw["weight"], f"the construction raises ({raised}); check "
                            f"says {' | '.join(fmt(r) for r in resolved)}"))
    for key, act in act_sites.items():
        if key in seen:
            continue
        if any(w.get("created") is True for w in act.get("weights", [])):
            out.append(("extra-site", key, act.get("layer"), "reported, never constructed at runtime"))
    return out


def run_check(keras_lsp, folder, keras):
    proc = subprocess.run(
        [keras_lsp, "check", "--format", "json", "--keras", keras, "."],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )
    # 1: an error-level diagnostic was reported (a construction Keras rejects); the answers are there.
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        return None, proc.stderr[-2000:]
    return json.loads(proc.stdout), proc.stderr


RANK = {"exact": 0, "one-of": 1, "unresolved": 2, "missing": 3}


def fixture_jobs(root):
    """The programs of a fixture folder: each subfolder with a `main.py`."""
    jobs = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if os.path.isfile(os.path.join(folder, "main.py")):
            jobs.append((folder, os.path.join(folder, "main.py")))
    return jobs


def runtime_record(res):
    """What a program's run is compared by: the merged sites, normalized for a committed file."""
    layers, weightless, unbuilt = oracle.merge([res])
    return {"layers": layers, "weightless": weightless, "unbuilt": unbuilt}


def check_fixtures(args, jobs, results, checks):
    """Fixture mode: the runtime must match each fixture's committed `runtime.json`, no weight may
    be WRONG, and none may be answered worse than its committed `expect.txt` says. With
    `--update`, writes both files instead."""
    failures = 0
    totals = {c: 0 for c in CATEGORIES + ["extra-site"]}
    for (folder, _), res, (chk, err) in zip(jobs, results, checks):
        name = os.path.basename(folder)
        if res.get("error"):
            print(f"FAIL {name}: the program raised under Keras: {res['error']}")
            failures += 1
            continue
        if chk is None:
            print(f"FAIL {name}: keras-lsp check failed: {err}")
            failures += 1
            continue
        record = runtime_record(res)
        rows = classify(name, res, chk)
        lines = sorted(f"{key[0]}:{key[1]}:{key[2]} {weight}: {cat}" for cat, key, weight, _ in rows)
        rt_path = os.path.join(folder, "runtime.json")
        ex_path = os.path.join(folder, "expect.txt")
        if args.update and any(r[0] == "WRONG" for r in rows):
            print(f"FAIL {name}: not updated, a weight is WRONG (fix the engine first)")
        elif args.update:
            with open(rt_path, "w") as f:
                json.dump(record, f, indent=1, sort_keys=True)
                f.write("\n")
            with open(ex_path, "w") as f:
                f.write("".join(l + "\n" for l in lines))
        else:
            try:
                with open(rt_path) as f:
                    committed = json.load(f)
            except (OSError, ValueError):
                committed = None
            if committed != json.loads(json.dumps(record, sort_keys=True)):
                print(f"FAIL {name}: {rt_path} is missing or stale (run with --update after checking the change)")
                failures += 1
            try:
                with open(ex_path) as f:
                    expected = dict(l.rstrip("\n").rsplit(": ", 1) for l in f if l.strip())
            except (OSError, ValueError):
                expected = {}
            for l in lines:
                where, cat = l.rsplit(": ", 1)
                before = expected.get(where)
                if cat in RANK and before in RANK and RANK[cat] > RANK[before]:
                    print(f"FAIL {name}/{where}: answered worse than before ({before} -> {cat})")
                    failures += 1
                elif before is not None and before != cat and cat != "WRONG":
                    print(f"note {name}/{where}: {before} -> {cat} (run with --update to record it)")
        for cat, key, weight, msg in rows:
            totals[cat] += 1
            if cat == "WRONG":
                print(f"WRONG {name}/{key[0]}:{key[1]}:{key[2]} {weight}: {msg}")
                failures += 1
            elif args.verbose and cat != "exact":
                print(f"{cat:10} {name}/{key[0]}:{key[1]}:{key[2]} {weight}: {msg}")
    weights = sum(totals[c] for c in CATEGORIES)
    print(
        f"fixtures {len(jobs)}, weights {weights}: exact {totals['exact']}, one-of {totals['one-of']}, "
        f"unresolved {totals['unresolved']}, missing {totals['missing']}, WRONG {totals['WRONG']}; "
        f"extra sites {totals['extra-site']} [{args.fixtures}]"
    )
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--programs", type=int, default=100)
    ap.add_argument("--first", type=int, default=0, help="index of the first program of the batch")
    ap.add_argument("--flavor", choices=("keras3", "tf", "keras2"), default="keras3",
                    help="keras3: `import keras` on the numpy backend; tf: also `tf.keras` (Keras 3 on "
                    "TensorFlow, needs .venv-tf); keras2: tf_keras with TF_USE_LEGACY_KERAS=1 (needs .venv-tf)")
    ap.add_argument("--fixtures", metavar="DIR",
                    help="run the regression programs under DIR (each subfolder with a main.py) instead of "
                    "generated ones; see tests/generator/README.md")
    ap.add_argument("--update", action="store_true",
                    help="with --fixtures: write each fixture's runtime.json and expect.txt")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--keras-lsp", default=os.path.join(ROOT, "target", "release", "keras-lsp"))
    ap.add_argument("--keep", default=os.path.join(ROOT, "target", "generator-wrong"),
                    help="folder for the WRONG programs (cleared first)")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per program under Keras")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every non-exact weight")
    args = ap.parse_args(argv)
    if not os.access(args.keras_lsp, os.X_OK):
        sys.stderr.write(f"run.py: {args.keras_lsp} not found (cargo build --release)\n")
        return 2

    if args.flavor == "keras2":
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        os.environ.pop("KERAS_BACKEND", None)
    else:
        os.environ["KERAS_BACKEND"] = "tensorflow" if args.flavor == "tf" else "numpy"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    keras_major = "2" if args.flavor == "keras2" else "3"

    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix="keras-lsp-gen-")
    try:
        if args.fixtures:
            jobs = fixture_jobs(args.fixtures)
            if not jobs:
                sys.stderr.write(f"run.py: no fixture (a folder with main.py) under {args.fixtures}\n")
                return 2
        else:
            jobs = []
            for i in range(args.first, args.first + args.programs):
                folder = os.path.join(work, f"p{i}")
                for rel, text in gen.generate(program_seed(args.seed, i), args.flavor).items():
                    path = os.path.join(folder, rel)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w") as f:
                        f.write(text)
                jobs.append((folder, os.path.join(folder, "main.py")))
        # keras-lsp first (threads; each `check` is its own process), then Keras (forked children).
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            checks = list(pool.map(lambda j: run_check(args.keras_lsp, j[0], keras_major), jobs))
        run = oracle.instrument("keras2" if args.flavor == "keras2" else "keras3")
        results = [None] * len(jobs)
        for i, res in oracle.run_forked(run, jobs, workers=args.jobs, timeout=args.timeout):
            results[i] = res
        if args.fixtures:
            return check_fixtures(args, jobs, results, checks)
        totals = {c: 0 for c in CATEGORIES + ["extra-site"]}
        invalid, check_failed, wrong_programs = [], [], []
        if os.path.isdir(args.keep):
            shutil.rmtree(args.keep)
        for (folder, _), res, (chk, err) in zip(jobs, results, checks):
            name = os.path.basename(folder)
            if res.get("error"):
                invalid.append((name, res["error"]))
                continue
            if chk is None:
                check_failed.append((name, err))
                continue
            rows = classify(name, res, chk)
            for cat, key, weight, msg in rows:
                totals[cat] += 1
                if args.verbose and cat not in ("exact",):
                    print(f"{cat:10} {name}/{key[0]}:{key[1]}:{key[2]} {weight}: {msg}")
            wrong = [r for r in rows if r[0] == "WRONG"]
            if wrong:
                wrong_programs.append(name)
                dest = os.path.join(args.keep, name)
                shutil.copytree(folder, dest)
                with open(os.path.join(dest, "WRONG.txt"), "w") as f:
                    for cat, key, weight, msg in wrong:
                        f.write(f"{key[0]}:{key[1]}:{key[2]} {weight}: {msg}\n")
                with open(os.path.join(dest, "check.json"), "w") as f:
                    json.dump(chk, f, indent=1)
                with open(os.path.join(dest, "runtime.json"), "w") as f:
                    json.dump(res, f, indent=1)
                for cat, key, weight, msg in wrong:
                    print(f"WRONG {name}/{key[0]}:{key[1]}:{key[2]} {weight}: {msg}")
        valid = len(jobs) - len(invalid) - len(check_failed)
        weights = sum(totals[c] for c in CATEGORIES)
        for name, err in invalid[:20]:
            detail = " ".join(l.strip() for l in (err or "").splitlines() if l.strip())[:400]
            print(f"program {name} raised under Keras (skipped): {detail}")
        for name, err in check_failed:
            print(f"keras-lsp check failed on {name}: {err}")
        print(
            f"programs {len(jobs)} (valid {valid}, raised {len(invalid)}, check failed {len(check_failed)}), "
            f"weights {weights}: exact {totals['exact']}, one-of {totals['one-of']}, "
            f"unresolved {totals['unresolved']}, missing {totals['missing']}, WRONG {totals['WRONG']}; "
            f"extra sites {totals['extra-site']} [seed {args.seed}, programs {args.first}.."
            f"{args.first + args.programs - 1}, {args.flavor}, {time.monotonic() - t0:.0f} s]"
        )
        if wrong_programs:
            print(f"WRONG in {len(wrong_programs)} programs, kept under {args.keep}")
        return 1 if totals["WRONG"] or check_failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
