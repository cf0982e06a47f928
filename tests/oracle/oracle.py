#!/usr/bin/env python3
"""Runtime oracle for keras-lsp: which initializer did real Keras give each weight?

Usage:
    KERAS_BACKEND=numpy .venv-keras/bin/python tests/oracle/oracle.py DIR... --out FILE.json
    .venv-tf/bin/python tests/oracle/oracle.py DIR... --backend tensorflow --out FILE.json   # tf.keras = Keras 3
    .venv-tf/bin/python tests/oracle/oracle.py DIR... --flavor keras2 --out FILE.json        # tf_keras (Keras 2)

Every ``*.py`` file under each DIR (``__init__.py`` excepted) is run in a fresh
subprocess, as ``__main__``, with cwd = the file's folder and that folder on
``sys.path``.  Files inside a package (a folder with ``__init__.py``) are run with
``runpy.run_module`` from the package root so relative imports work.

Inside the subprocess ``keras.layers.Layer.__init__`` and ``Layer.add_weight`` are
wrapped (``tf_keras``' ``Layer`` with ``--flavor keras2``, which also sets
``TF_USE_LEGACY_KERAS=1``).  The call site of a layer is the first frame outside the ``__init__`` chain
of the layer object; it counts as a *site* only when that frame is user code (not
site-packages).  See tests/oracle/README.md for the output format and every
normalization applied.
"""

import argparse
import inspect
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import types

ORACLE_VERSION = 1
EXCEPTION_RE = re.compile(r"#\s*oracle-exception:\s*([^:#]+?)\s*:\s*([^#]*)")


# --------------------------------------------------------------------------------------
# JSON helpers (shared by parent and child)
# --------------------------------------------------------------------------------------


def to_json(value):
    """Convert a get_config() value to plain, deterministic JSON."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if np is not None:
        if isinstance(value, np.ndarray):
            return to_json(value.tolist())
        if isinstance(value, np.generic):
            return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"$repr": type(value).__name__}


def canon(value):
    return json.dumps(value, sort_keys=True)


# --------------------------------------------------------------------------------------
# Child: run one fixture under instrumented Keras
# --------------------------------------------------------------------------------------


def instrument(flavor="keras3", digests=False):
    """Imports Keras (tf_keras for `keras2`), wraps `Layer.__init__`, `Layer.add_weight` and
    `initializers.get`, and returns `run(root, path) -> result`: runs one script as `__main__` and
    describes every layer it constructed under `root`. Call `run` once per process (records are
    per process); `run_forked` forks one process per script after this one-time setup.

    With `digests`, each weight also gets `digest` (sha256 of its initial value, taken in
    `add_weight` right after the variable is created), and an exception that ends the script is
    attributed from its traceback to the innermost recorded layer it passed through (`raised`,
    `raised_phase`: construction, build or call), and located (`error_at`: the innermost frame
    under the root)."""
    keras2 = flavor == "keras2"
    where = {"root": None}

    if keras2:
        # Keras 2 = tf_keras; `tf.keras` is tf_keras only with this flag (set before TensorFlow is imported).
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        import tf_keras  # noqa: F401
        from tf_keras.src import initializers as k_initializers
        from tf_keras.src.initializers import Initializer
        from tf_keras.src.engine.base_layer import Layer
        from tf_keras.src.engine.input_layer import InputLayer
        from tf_keras.src.engine.functional import Functional
        from tf_keras.src.engine.training import Model
        from tf_keras.src.engine.sequential import Sequential
        from tf_keras.src.layers.normalization.batch_normalization import (
            BatchNormalizationBase as BatchNormalization,
        )
        from tf_keras.src.layers.rnn.base_rnn import RNN
        from tf_keras.src.layers.rnn.stacked_rnn_cells import StackedRNNCells
        from tf_keras.src.utils.generic_utils import to_snake_case

        EinsumDense = VarianceScaling = None  # Keras 2 EinsumDense keeps the initializer (no seeded clone)
        library_module_prefix = "tf_keras."
    else:
        import keras
        from keras.src import initializers as k_initializers
        from keras.src.initializers import Initializer, VarianceScaling
        from keras.src.layers.layer import Layer
        from keras.src.layers.core.einsum_dense import EinsumDense
        from keras.src.layers.core.input_layer import InputLayer
        from keras.src.layers.normalization.batch_normalization import BatchNormalization
        from keras.src.layers.rnn.rnn import RNN
        from keras.src.layers.rnn.stacked_rnn_cells import StackedRNNCells
        from keras.src.models.functional import Functional
        from keras.src.models.model import Model
        from keras.src.models.sequential import Sequential
        from keras.src.utils.naming import to_snake_case

        library_module_prefix = "keras."

    stdlib_dirs = {
        os.path.realpath(p)
        for p in (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
    }
    this_file = os.path.realpath(__file__)

    def frame_kind(frame):
        fn = frame.f_code.co_filename
        if fn.startswith("<"):
            # <frozen runpy>, <string> ...: transparent
            return "transparent"
        real = os.path.realpath(fn)
        if real == this_file:
            return "transparent"
        if "/site-packages/" in real or "/dist-packages/" in real:
            return "library"
        for d in stdlib_dirs:
            if real.startswith(d + os.sep):
                return "transparent"
        return "user"

    def first_argument(frame):
        code = frame.f_code
        if code.co_argcount > 0:
            return frame.f_locals.get(code.co_varnames[0])
        if code.co_flags & inspect.CO_VARARGS:  # def wrapper(*args, **kwargs)
            args = frame.f_locals.get(code.co_varnames[code.co_kwonlyargcount])
            if isinstance(args, tuple) and args:
                return args[0]
        return None

    def is_own_init(frame, obj):
        """A frame of the construction of obj itself: an `__init__` of obj (super() chains), or a
        decorator around one (tf_keras: `allow_initializer_layout`, TensorFlow's tracking and
        traceback wrappers) whose first argument is obj."""
        code = frame.f_code
        if code.co_name == "__init__":
            return code.co_argcount > 0 and frame.f_locals.get(code.co_varnames[0]) is obj
        return first_argument(frame) is obj

    def char_column(filename, lineno, byte_col):
        import linecache

        line = linecache.getline(filename, lineno)
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace")) + 1

    call_start_cache = {}

    def call_starts(filename):
        """{(end_lineno, end_col_offset): (lineno, col_offset)} of every Call node."""
        table = call_start_cache.get(filename)
        if table is None:
            import ast

            table = {}
            try:
                with open(filename, "rb") as f:
                    tree = ast.parse(f.read(), filename)
                for node in ast.walk(tree):
                    if isinstance(node, ast.Call):
                        table[(node.end_lineno, node.end_col_offset)] = (node.lineno, node.col_offset)
            except (OSError, SyntaxError, ValueError):
                pass
            call_start_cache[filename] = table
        return table

    records = {}  # id(layer) -> dict
    order = []  # keep layers alive, in construction order
    add_weight_ctx = []

    orig_init = Layer.__init__
    orig_add_weight = Layer.add_weight
    orig_get = k_initializers.get

    def frame_position(frame):
        """The call expression `frame` is executing: file (absolute and relative to the root),
        line and column (1-based, in characters) of the start of the whole call."""
        code = frame.f_code
        positions = list(code.co_positions())
        idx = frame.f_lasti // 2
        lineno, _end, col, _endcol = positions[idx] if idx < len(positions) else (None,) * 4
        if lineno is None:
            lineno = frame.f_lineno
        if col is None:
            col = 0
        start = call_starts(code.co_filename).get((_end, _endcol))
        if start is not None:
            # The AST start of the Call node.  CPython moves the bytecode location of a
            # multi-line `obj.attr(...)` call to the attribute; the check schema wants
            # the start of the whole call expression.
            lineno, col = start
        fn = os.path.realpath(code.co_filename)
        return {
            "abs": fn,
            "file": os.path.relpath(fn, where["root"]).replace(os.sep, "/"),
            "line": lineno,
            "column": char_column(code.co_filename, lineno, col),
        }

    def site_of(obj, frame=None):
        """The call site of obj's construction, walking outwards from `frame` (default: the
        caller of the caller of this function)."""
        if frame is None:
            frame = sys._getframe(2)
        while frame is not None:
            if is_own_init(frame, obj):
                frame = frame.f_back
                continue
            kind = frame_kind(frame)
            if kind == "transparent":
                frame = frame.f_back
                continue
            if kind == "library":
                return None
            return frame_position(frame)
        return None

    def helper_sites_of(obj):
        """The user call sites around the construction of obj, innermost first: the calls of the
        helpers that built it (walking outwards from its construction site until a library frame
        or the end of the stack)."""
        frame = sys._getframe(2)
        while frame is not None and (is_own_init(frame, obj) or frame_kind(frame) == "transparent"):
            frame = frame.f_back
        if frame is None or frame_kind(frame) != "user":
            return []
        out = []
        frame = frame.f_back
        while frame is not None:
            kind = frame_kind(frame)
            if kind == "library":
                break
            if kind == "user":
                out.append(frame_position(frame))
            frame = frame.f_back
        return out

    init_signature = inspect.signature(orig_init)
    add_weight_signature = inspect.signature(orig_add_weight)

    def name_argument(signature, self, args, kwargs):
        """The `name` argument of a call.  Keras 3 takes it by keyword only; Keras 2 also positionally
        (`Layer.__init__(trainable, name, ...)`, `add_weight(name, shape, dtype, initializer, ...)`)."""
        if not keras2:
            return kwargs.get("name")
        try:
            return signature.bind(self, *args, **kwargs).arguments.get("name")
        except TypeError:
            return kwargs.get("name")

    def init_wrapper(self, *args, **kwargs):
        first = id(self) not in records
        if first:
            rec = {
                "layer": self,
                "site": site_of(self),
                "helpers": helper_sites_of(self),
                "explicit_name": name_argument(init_signature, self, args, kwargs) is not None,
                "weights": [],
            }
            records[id(self)] = rec
            order.append(rec)
        try:
            return orig_init(self, *args, **kwargs)
        except BaseException as e:  # the construction raised (an unknown initializer, ...)
            if first:
                records[id(self)]["raised"] = f"{type(e).__name__}: {e}"[:300]
            raise

    def get_wrapper(identifier, *args, **kwargs):
        result = orig_get(identifier, *args, **kwargs)
        if add_weight_ctx and add_weight_ctx[-1][0] is False:
            # Keras 2 add_weight first calls get(None) -> None, then get("glorot_uniform") / get("zeros").
            if not (keras2 and result is None):
                add_weight_ctx[-1][0] = True
                add_weight_ctx[-1][1] = result
        return result

    def add_weight_wrapper(self, *args, **kwargs):
        add_weight_ctx.append([False, None])
        try:
            variable = orig_add_weight(self, *args, **kwargs)
        finally:
            got = add_weight_ctx.pop()
        rec = records.get(id(self))
        if rec is None:  # layer whose Layer.__init__ was bypassed: should not happen
            rec = {"layer": self, "site": None, "explicit_name": True, "weights": []}
            records[id(self)] = rec
            order.append(rec)
        name = name_argument(add_weight_signature, self, args, kwargs)
        entry = {
            "variable": variable,
            "name": name,
            "explicit_name": name is not None,
            "initializer": got[1],
        }
        if digests:
            entry["digest"] = value_digest(variable)
        rec["weights"].append(entry)
        return variable

    def value_digest(variable):
        """sha256 of the variable's current value as C-ordered numpy bytes (None if unreadable)."""
        import hashlib

        import numpy as np

        try:
            value = variable.numpy()
        except Exception:  # noqa: BLE001
            try:
                value = np.asarray(variable)
            except Exception:  # noqa: BLE001
                return None
        return hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()

    def attribute_error(exc):
        """(digests mode) Marks the layer a script-ending exception came from: the innermost
        traceback frame whose first argument is a recorded layer with a user call site. Keras
        raises most construction errors after `Layer.__init__` has returned (`Dense.__init__`
        calls `initializers.get` after `super().__init__`), so the `__init__` wrapper alone does
        not see them. Returns `error_at`: the innermost traceback frame inside the root, and the
        call site of that layer (`site`) when there is one."""
        frames = []
        tb = exc.__traceback__
        while tb is not None:
            frames.append(tb.tb_frame)
            tb = tb.tb_next
        error_at = None
        for frame in reversed(frames):
            fn = os.path.realpath(frame.f_code.co_filename)
            if fn.startswith(where["root"] + os.sep) and frame_kind(frame) == "user":
                error_at = {
                    "file": os.path.relpath(fn, where["root"]).replace(os.sep, "/"),
                    "line": frame.f_lineno,
                }
                break
        for i in range(len(frames) - 1, -1, -1):
            obj = first_argument(frames[i])
            if not isinstance(obj, Layer):
                continue
            rec = records.get(id(obj))
            if rec is None or rec["layer"] is not obj:
                # Raised in a subclass `__init__` before it called `Layer.__init__` (Keras 3 `LSTM`
                # constructs its `LSTMCell` first): record the layer now, from this frame.
                rec = {"layer": obj, "site": site_of(obj, frames[i]), "explicit_name": True,
                       "weights": [], "half_constructed": True}
                records[id(obj)] = rec
                order.append(rec)
            if rec["site"] is None:
                continue
            # The methods of this layer the exception passed through.
            own = {f.f_code.co_name for f in frames if first_argument(f) is obj}
            if "__init__" in own:
                phase = "construction"
            elif own & {"build", "add_weight", "_maybe_build", "add_variable"}:
                phase = "build"
            else:
                phase = "call"
            rec.setdefault("raised", f"{type(exc).__name__}: {exc}"[:300])
            rec["raised_phase"] = phase
            site = {k: rec["site"][k] for k in ("file", "line", "column")}
            error_at = dict(error_at or {}, site=site)
            break
        return error_at

    Layer.__init__ = init_wrapper
    Layer.add_weight = add_weight_wrapper
    k_initializers.get = get_wrapper
    if digests:
        # Keras cuts its own frames out of a traceback; attribute_error needs them.
        if keras2:
            import tensorflow as tf

            tf.debugging.disable_traceback_filtering()
        else:
            keras.config.disable_traceback_filtering()

    def run(root, path):
        root = os.path.abspath(root)
        path = os.path.abspath(path)
        folder = os.path.dirname(path)
        where["root"] = root
        # ---- run the fixture ------------------------------------------------------------
        import runpy

        os.chdir(folder)
        sys.path.insert(0, folder)
        pkg_root = folder
        parts = [os.path.splitext(os.path.basename(path))[0]]
        while os.path.exists(os.path.join(pkg_root, "__init__.py")):
            parts.insert(0, os.path.basename(pkg_root))
            pkg_root = os.path.dirname(pkg_root)
        error = None
        error_at = None
        sys.argv = [path]
        try:
            if len(parts) > 1:
                sys.path.insert(0, pkg_root)
                runpy.run_module(".".join(parts), run_name="__main__", alter_sys=True)
            else:
                runpy.run_path(path, run_name="__main__")
        except SystemExit as e:
            if e.code not in (None, 0):
                error = f"SystemExit({e.code!r})"
        except BaseException as e:  # noqa: BLE001
            import traceback

            error = "".join(traceback.format_exception_only(type(e), e)).strip()
            traceback.print_exc()
            if digests:
                error_at = attribute_error(e)

        # ---- describe initializers ------------------------------------------------------
        def describe_plain(init):
            if isinstance(init, Initializer):
                try:
                    config = init.get_config()
                except NotImplementedError:
                    config = {}
                return {"class": type(init).__name__, "config": to_json(config)}
            get_config = getattr(init, "get_config", None)
            if callable(get_config) and not isinstance(init, (types.FunctionType, types.MethodType)):
                # An initializer of another family, used as-is by Keras: TensorFlow's own
                # (`tf.random_normal_initializer` = init_ops_v2.RandomNormal, `tf.compat.v1.*` = init_ops.*),
                # or tf_keras' `initializers_v1`.  Recorded with its class name, module and get_config().
                try:
                    config = get_config()
                except Exception:  # noqa: BLE001
                    config = {}
                return {"class": type(init).__name__, "module": type(init).__module__, "config": to_json(config)}
            name = getattr(init, "__qualname__", type(init).__name__)
            return {"class": "Callable", "config": {"name": name}}

        def describe(layer, entry):
            """Returns (initializer json, notes, ignore_keys)."""
            init = entry["initializer"]
            name = entry["name"] if keras2 else entry["variable"].name
            notes, ignore = [], []
            qual = getattr(init, "__qualname__", "")
            if not isinstance(init, Initializer) and callable(init):
                if qual.endswith("build.<locals>.bias_initializer") and hasattr(layer, "unit_forget_bias"):
                    inner = describe_plain(layer.bias_initializer)
                    notes.append("unit_forget_bias closure: bias_initializer on 3/4, Ones on the forget gate")
                    return {"class": "UnitForgetBias", "config": {"initializer": inner}}, notes, ignore
                if qual.endswith("moving_stddev_initializer") and isinstance(layer, BatchNormalization):
                    inner = describe_plain(layer.moving_variance_initializer)
                    notes.append("renorm closure: sqrt(moving_variance_initializer(shape))")
                    return {"class": "SqrtOf", "config": {"initializer": inner}}, notes, ignore
            desc = describe_plain(init)
            if (
                keras2
                and type(layer).__name__ == "RandomFourierFeatures"
                and name == "unscaled_kernel"
                and str(getattr(layer, "kernel_initializer", "")).lower() == "laplacian"
                and desc["class"] == "Constant"
            ):
                # kernel_initializer="laplacian": a Constant holding Cauchy samples drawn with np.random at
                # build time.  The values are neither reproducible nor useful: only the shape is kept.
                desc["config"]["value"] = {"$cauchy_samples": [int(d) for d in entry["variable"].shape]}
                notes.append('RandomFourierFeatures "laplacian": Constant of Cauchy(0, 1) samples drawn at build')
                return desc, notes, ignore
            if (
                not keras2
                and isinstance(layer, EinsumDense)
                and name == "kernel"
                and isinstance(layer.kernel_initializer, VarianceScaling)
                and init is not layer.kernel_initializer
                and layer.kernel_initializer.get_config().get("seed") is None
            ):
                # EinsumDense._update_kernel_initializer cloned the initializer with the
                # concrete seed the unseeded parent drew at random: not reproducible.
                desc["config"]["seed"] = None
                ignore.append("seed")
                notes.append("EinsumDense clone: concrete random seed replaced by null")
            return desc, notes, ignore

        # ---- names and paths --------------------------------------------------------------
        auto_names = {}
        for rec in order:
            lyr = rec["layer"]
            if not rec["explicit_name"]:
                try:
                    auto_names[lyr.name] = to_snake_case(type(lyr).__name__)
                except AttributeError:  # its construction raised before the name was set
                    pass

        def norm_layer_name(lyr):
            rec = records.get(id(lyr))
            n = lyr.name
            if rec is not None and not rec["explicit_name"]:
                return to_snake_case(type(lyr).__name__)
            for prefix in ("forward_", "backward_"):
                if n.startswith(prefix) and n[len(prefix):] in auto_names:
                    return prefix + auto_names[n[len(prefix):]]
            return n

        def uniquify(names):
            seen, out = {}, []
            for n in names:
                if n in seen:
                    k = seen[n]
                    while f"{n}_{k}" in seen:
                        k += 1
                    seen[n] = k + 1
                    out.append(f"{n}_{k}")
                    seen.setdefault(f"{n}_{k}", 1)
                else:
                    seen[n] = 1
                    out.append(n)
            return out

        def child_segments(parent):
            """[(child, segment or None)] for the tracked sublayers of parent."""
            if keras2:
                kids = list(parent._flatten_layers(recursive=False, include_self=False))
            else:
                kids = list(getattr(parent, "_layers", []))
            segs = []
            for kid in kids:
                if isinstance(kid, StackedRNNCells):
                    segs.append(None)
                elif isinstance(parent, RNN) and kid is getattr(parent, "cell", None):
                    segs.append(None)
                else:
                    segs.append(norm_layer_name(kid))
            named = [s for s in segs if s is not None]
            uniq = iter(uniquify(named))
            return [(kid, None if s is None else next(uniq)) for kid, s in zip(kids, segs)]

        def scoped_prefix(site_layer, prefix, raws, variable):
            """Keras 2: keep only the segments whose layer name is in the variable's name scope.

            tf_keras names a variable after the name scopes active when it is created: a sublayer that
            its parent builds directly (`self.layer.build(...)`, as TimeDistributed and
            SpectralNormalization do) adds no scope, so `time_distributed/kernel:0` has no `dense/`."""
            scope = variable.name.split(":")[0].split("/")[:-1]
            if site_layer.name in scope:
                scope = scope[scope.index(site_layer.name) + 1:]
            kept, pos = [], 0
            for seg, raw in zip(prefix, raws):
                if raw in scope[pos:]:
                    pos = scope.index(raw, pos) + 1
                    kept.append(seg)
            return kept

        def collect(site_layer):
            out = []
            visited = set()
            seen_paths = set()

            def walk(lyr, prefix, raws):
                if id(lyr) in visited:
                    return
                visited.add(id(lyr))
                rec = records.get(id(lyr))
                own = rec["weights"] if rec else []
                var_names = []
                for e in own:
                    if keras2:
                        var_names.append(e["name"] if e["explicit_name"] else "variable")
                    else:
                        var_names.append(e["variable"].name if e["explicit_name"] else "variable")
                for e, vname in zip(own, uniquify(var_names)):
                    init, notes, ignore = describe(lyr, e)
                    if keras2:
                        path = "/".join(scoped_prefix(site_layer, prefix, raws, e["variable"]) + [vname])
                        base, k = path, 1
                        while path in seen_paths:  # two variables with one scoped name: Keras-style suffix
                            path = f"{base}_{k}"
                            k += 1
                    else:
                        path = "/".join(prefix + [vname])
                    seen_paths.add(path)
                    w = {"weight": path, "initializer": init}
                    try:
                        w["shape"] = [int(d) for d in e["variable"].shape]
                    except Exception:  # noqa: BLE001 - a shape that is not all integers is not recorded
                        pass
                    if notes:
                        w["notes"] = notes
                    if ignore:
                        w["ignore"] = ignore
                    if digests:
                        w["digest"] = e.get("digest")
                    out.append(w)
                for kid, seg in child_segments(lyr):
                    if seg:
                        walk(kid, prefix + [seg], raws + [kid.name])
                    else:
                        walk(kid, prefix, raws)

            walk(site_layer, [], [])
            return out

        def excluded(lyr):
            t = type(lyr)
            if not t.__module__.startswith(library_module_prefix):
                return False
            return t in (Sequential, Functional, Model) or isinstance(lyr, InputLayer)

        sites = []
        for rec in order:
            site = rec["site"]
            lyr = rec["layer"]
            if site is None or excluded(lyr):
                continue
            if not (site["abs"] == root or site["abs"].startswith(root + os.sep)):
                continue
            if rec.get("half_constructed"):  # digests mode: raised before `Layer.__init__` ran
                sites.append({"file": site["file"], "line": site["line"], "column": site["column"],
                              "layer": type(lyr).__name__, "built": False, "weights": [],
                              "raised": rec["raised"], "raised_phase": rec["raised_phase"]})
                continue
            weights = collect(lyr)
            sites.append(
                {
                    "file": site["file"],
                    "line": site["line"],
                    "column": site["column"],
                    "layer": type(lyr).__name__,
                    # tf_keras sets `built` in __call__, not in build(): a layer whose build() was called
                    # directly has its weights but built=False.
                    "built": bool(getattr(lyr, "built", False)) or (keras2 and bool(weights)),
                    "weights": weights,
                    "helpers": [
                        {k: h[k] for k in ("file", "line", "column")}
                        for h in rec.get("helpers", [])
                        if h["abs"] == root or h["abs"].startswith(root + os.sep)
                    ],
                }
            )
            if rec.get("raised"):
                sites[-1]["raised"] = rec["raised"]
                if digests:
                    sites[-1]["raised_phase"] = rec.get("raised_phase", "construction")

        result = {"script": os.path.relpath(path, root), "error": error, "sites": sites}
        if digests and error_at is not None:
            result["error_at"] = error_at
        return result

    return run


def run_forked(run, jobs, workers=2, timeout=120, log_dir=None):
    """Runs `run(root, path)` (from `instrument`) for each `(root, path)` of `jobs` in a forked child
    process, at most `workers` at a time: Keras is imported once, every script starts from the same
    clean state, and a script's output goes to `log_dir/<n>.log` (or /dev/null). Yields
    `(index, result)` as children finish; a child that crashes or exceeds `timeout` seconds gives a
    result with `error` set."""
    import signal
    import time

    pending = list(enumerate(jobs))
    running = {}  # pid -> (index, result file, start time)
    while pending or running:
        while pending and len(running) < max(1, workers):
            i, (root, path) = pending.pop(0)
            fd, tmp = tempfile.mkstemp(suffix=".json")
            os.close(fd)
            pid = os.fork()
            if pid == 0:  # child
                code = 0
                try:
                    log = os.path.join(log_dir, f"{i}.log") if log_dir else os.devnull
                    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.dup2(out, 1)
                    os.dup2(out, 2)
                    result = run(root, path)
                    with open(tmp, "w") as f:
                        json.dump(result, f)
                except BaseException:  # noqa: BLE001
                    code = 1
                finally:
                    os._exit(code)
            running[pid] = (i, tmp, time.monotonic(), root, path)
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for p, (i, tmp, t0, root, path) in list(running.items()):
                if now - t0 > timeout:
                    os.kill(p, signal.SIGKILL)
            time.sleep(0.002)
            continue
        if pid not in running:
            continue
        i, tmp, t0, root, path = running.pop(pid)
        result = None
        try:
            if os.path.getsize(tmp):
                with open(tmp) as f:
                    result = json.load(f)
        finally:
            os.unlink(tmp)
        if result is None:
            why = "timeout" if time.monotonic() - t0 > timeout else f"child exited with status {status}"
            result = {"script": os.path.relpath(path, root), "error": why, "sites": []}
        yield i, result


def child_main(root, path, out_path, flavor="keras3", digests=False):
    result = instrument(flavor, digests)(root, path)
    with open(out_path, "w") as f:
        json.dump(result, f)


# --------------------------------------------------------------------------------------
# Parent: run all fixtures, merge
# --------------------------------------------------------------------------------------


def find_fixtures(root):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__pycache__")))
        for fn in sorted(filenames):
            if fn.endswith(".py") and fn != "__init__.py":
                found.append(os.path.join(dirpath, fn))
    return found


def scan_exceptions(root, files):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__pycache__")))
        for fn in sorted(filenames):
            if not fn.endswith(".py"):
                continue
            p = os.path.join(dirpath, fn)
            with open(p, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    for m in EXCEPTION_RE.finditer(line):
                        out.append(
                            {
                                "file": os.path.relpath(p, root).replace(os.sep, "/"),
                                "line": lineno,
                                "weight": m.group(1).strip(),
                                "reason": m.group(2).strip(),
                            }
                        )
    return out


def child_env(flavor, backend):
    env = dict(os.environ)
    if flavor == "keras2":
        env["TF_USE_LEGACY_KERAS"] = "1"  # `tf.keras` = tf_keras (Keras 2)
        env.pop("KERAS_BACKEND", None)
    else:
        env["KERAS_BACKEND"] = backend
        env.pop("TF_USE_LEGACY_KERAS", None)
    if flavor == "keras2" or backend == "tensorflow":
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.setdefault("CUDA_VISIBLE_DEVICES", "")
    return env


def run_one(root, path, python, timeout, flavor="keras3", backend="numpy", digests=False):
    fd, tmp = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    env = child_env(flavor, backend)
    env.setdefault("PYTHONHASHSEED", "0")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPATH", None)
    cmd = [python, os.path.abspath(__file__), "--child", root, path, tmp, flavor]
    if digests:
        cmd.append("--digests")
    try:
        proc = subprocess.run(
            cmd, cwd=os.path.dirname(path), env=env, capture_output=True, text=True, timeout=timeout
        )
        with open(tmp) as f:
            data = json.load(f) if os.path.getsize(tmp) else None
        if data is None:
            data = {"script": os.path.relpath(path, root), "error": f"child exited {proc.returncode}", "sites": []}
        if data.get("error") or proc.returncode != 0:
            data["stderr"] = proc.stderr[-3000:]
        return data
    except subprocess.TimeoutExpired:
        return {"script": os.path.relpath(path, root), "error": "timeout", "sites": []}
    finally:
        os.unlink(tmp)


def merge(results, digests=False):
    """Merge per-script site lists into one entry per call site.

    With `digests` (results of `instrument(..., digests=True)`), every weight also gets
    `digests`: one `{"script", "shape", "digest"}` per built instance (a site run by several
    scripts, or several times by one, has several; values are comparable only within one script,
    one process), and `digest` when they are all one value; and a site that raised gets `raised` and
    `raised_phase` also when some instance of it was built."""
    by_site = {}
    for res in results:
        for s in res["sites"]:
            key = (s["file"], s["line"], s["column"])
            entry = by_site.setdefault(
                key, {"layer": set(), "built": [], "unbuilt": 0, "raised": set(), "phase": set()}
            )
            entry["layer"].add(s["layer"])
            if s.get("raised"):
                entry["raised"].add(s["raised"])
                if s.get("raised_phase"):
                    entry["phase"].add(s["raised_phase"])
            if s["built"]:
                if digests:
                    entry["built"].append([dict(w, script=res["script"]) for w in s["weights"]])
                else:
                    entry["built"].append(s["weights"])
            else:
                entry["unbuilt"] += 1
    layers, weightless, unbuilt = [], [], []
    for (file, line, column), e in sorted(by_site.items()):
        base = {"file": file, "line": line, "column": column, "layer": "|".join(sorted(e["layer"]))}
        n_built = len(e["built"])
        instances = n_built + e["unbuilt"]
        if n_built == 0:
            unbuilt.append(dict(base, instances=instances))
            if e["raised"]:
                unbuilt[-1]["raised"] = sorted(e["raised"])
                if digests:
                    unbuilt[-1]["raised_phase"] = sorted(e["phase"])
            continue
        per_weight = {}
        for inst in e["built"]:
            for w in inst:
                slot = per_weight.setdefault(w["weight"], {"answers": {}, "count": 0, "notes": set(), "ignore": set(), "shapes": set(), "digests": []})
                slot["count"] += 1
                if digests:
                    slot["digests"].append({"script": w["script"], "shape": w.get("shape"), "digest": w.get("digest")})
                slot["shapes"].add(tuple(w["shape"]) if "shape" in w else None)
                slot["answers"][canon(w["initializer"])] = w["initializer"]
                slot["notes"].update(w.get("notes", []))
                slot["ignore"].update(w.get("ignore", []))
        if not per_weight:
            weightless.append(dict(base, instances=instances))
            continue
        weights = []
        for path in sorted(per_weight):
            slot = per_weight[path]
            answers = [slot["answers"][k] for k in sorted(slot["answers"])]
            w = {"weight": path}
            if len(answers) == 1:
                w["initializer"] = answers[0]
            else:
                w["initializer"] = None
                w["alternatives"] = answers
            if len(slot["shapes"]) == 1 and None not in slot["shapes"]:
                w["shape"] = list(next(iter(slot["shapes"])))
            if slot["count"] != n_built:
                w["partial"] = True  # created by some instances only
            if slot["notes"]:
                w["notes"] = sorted(slot["notes"])
            if slot["ignore"]:
                w["ignore"] = sorted(slot["ignore"])
            if digests:
                values = {d["digest"] for d in slot["digests"]}
                w["digest"] = values.pop() if len(values) == 1 else None
                w["digests"] = sorted(slot["digests"], key=lambda d: (d["script"], str(d["digest"])))
            weights.append(w)
        site = dict(base)
        if instances > 1:
            site["instances"] = instances
        if e["unbuilt"]:
            site["unbuilt_instances"] = e["unbuilt"]
        if digests and e["raised"]:
            site["raised"] = sorted(e["raised"])
            site["raised_phase"] = sorted(e["phase"])
        site["weights"] = weights
        layers.append(site)
    return layers, weightless, unbuilt


def forked_results(jobs, args):
    """`--fork`: the results of `jobs` from children forked off this process after one
    `instrument` (in job order)."""
    os.environ.update(child_env(args.flavor, args.backend))
    run = instrument(args.flavor, args.digests)

    def reseeded(root, path):
        import random

        import numpy as np

        random.seed()  # a forked child starts with its parent's generator states
        np.random.seed()
        return run(root, path)

    results = [None] * len(jobs)
    for i, res in run_forked(reseeded, jobs, workers=args.jobs, timeout=args.timeout):
        results[i] = res
    return results


def merge_helpers(results):
    """Helper call lines (`--helpers`): for each user call site around a layer construction (a
    call of a helper that built it, see `helper_sites_of`), the layers built during that call,
    one entry per construction site and chain of nested helper calls between (`via`, outermost
    first), with the initializer of each weight over every built instance (`alternatives` when
    they differ, `partial` when some instances lack it) and `instances`."""
    by_call = {}
    for res in results:
        for s in res["sites"]:
            helpers = s.get("helpers") or []
            for k, h in enumerate(helpers):
                call = (h["file"], h["line"], h["column"])
                via = tuple((v["file"], v["line"], v["column"]) for v in reversed(helpers[:k]))
                key = ((s["file"], s["line"], s["column"]), via)
                entry = by_call.setdefault(call, {}).setdefault(
                    key, {"layer": set(), "built": [], "unbuilt": 0}
                )
                entry["layer"].add(s["layer"])
                if s["built"]:
                    entry["built"].append(s["weights"])
                else:
                    entry["unbuilt"] += 1
    out = []
    for call in sorted(by_call):
        layers = []
        for (site, via), e in sorted(by_call[call].items()):
            per_weight = {}
            for inst in e["built"]:
                for w in inst:
                    slot = per_weight.setdefault(w["weight"], {"answers": {}, "count": 0, "ignore": set()})
                    slot["count"] += 1
                    slot["answers"][canon(w["initializer"])] = w["initializer"]
                    slot["ignore"].update(w.get("ignore", []))
            weights = []
            for path in sorted(per_weight):
                slot = per_weight[path]
                answers = [slot["answers"][k] for k in sorted(slot["answers"])]
                w = {"weight": path}
                if len(answers) == 1:
                    w["initializer"] = answers[0]
                else:
                    w["initializer"] = None
                    w["alternatives"] = answers
                if slot["count"] != len(e["built"]):
                    w["partial"] = True
                if slot["ignore"]:
                    w["ignore"] = sorted(slot["ignore"])
                weights.append(w)
            layers.append({
                "file": site[0], "line": site[1], "column": site[2],
                "via": [{"file": v[0], "line": v[1], "column": v[2]} for v in via],
                "layer": "|".join(sorted(e["layer"])),
                "instances": len(e["built"]) + e["unbuilt"],
                "built": len(e["built"]),
                "weights": weights,
            })
        out.append({"file": call[0], "line": call[1], "column": call[2], "layers": layers})
    return out


def parent_main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+", help="fixture roots; file paths in the output are relative to their root")
    ap.add_argument("--out", required=True)
    ap.add_argument("--python", default=sys.executable, help="interpreter with keras 3 / tf_keras (default: this one)")
    ap.add_argument(
        "--flavor",
        choices=("keras3", "keras2"),
        default="keras3",
        help="keras3: Keras 3 (`keras`, and `tf.keras` of TensorFlow >= 2.16); "
        "keras2: tf_keras with TF_USE_LEGACY_KERAS=1 (`tf_keras`, and `tf.keras` under the flag)",
    )
    ap.add_argument(
        "--backend",
        default="numpy",
        help="KERAS_BACKEND for --flavor keras3 (default numpy; tensorflow for tf.keras fixtures)",
    )
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--quiet", "-q", action="store_true")
    ap.add_argument(
        "--digests",
        action="store_true",
        help="also record each weight's initial value digest (sha256, per instance) and, for a script "
        "that raised, the layer it raised in and where (for tests/diagnostics); off by default, so "
        "the committed oracle files do not change",
    )
    ap.add_argument(
        "--helpers",
        action="store_true",
        help="also write `helper_calls`: per user call site around layer constructions (a helper "
        "call line), the layers built during that call and their weights (off by default, so the "
        "other committed oracle files do not change)",
    )
    ap.add_argument(
        "--fork",
        action="store_true",
        help="import Keras once in this process and fork a child per script (much faster than a new "
        "interpreter per script; each child reseeds Python's and NumPy's random generators from "
        "os.urandom as a new process would); needs --python to be this interpreter",
    )
    args = ap.parse_args(argv)

    from concurrent.futures import ThreadPoolExecutor

    jobs = []
    exceptions = []
    roots = []
    for d in args.dirs:
        root = os.path.realpath(d)
        roots.append(root)
        files = find_fixtures(root)
        jobs.extend((root, f) for f in files)
        exceptions.extend(scan_exceptions(root, files))
    if args.fork:
        if os.path.realpath(args.python) != os.path.realpath(sys.executable):
            ap.error("--fork runs the scripts in this interpreter: drop --python or run oracle.py with it")
        results = forked_results(jobs, args)
    else:
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            results = list(
                pool.map(
                    lambda rf: run_one(
                        rf[0], rf[1], args.python, args.timeout, args.flavor, args.backend, args.digests
                    ),
                    jobs,
                )
            )

    errors = []
    for res in results:
        if res.get("error"):
            errors.append({"script": res["script"], "error": res["error"]})
            if args.digests and res.get("error_at"):
                errors[-1]["at"] = res["error_at"]
            if not args.quiet:
                sys.stderr.write(f"ERROR in {res['script']}: {res['error']}\n{res.get('stderr', '')}\n")

    layers, weightless, unbuilt = merge(results, args.digests)
    def installed(code, env):
        return subprocess.run([args.python, "-c", code], env=env, capture_output=True, text=True).stdout.strip()

    out = {}
    if args.flavor == "keras2":
        metadata = "import importlib.metadata as m; print(m.version(%r))"
        out["keras"] = "2"
        out["keras_version"] = installed(metadata % "tf_keras", dict(os.environ))
        out["backend"] = "tensorflow"
        out["tensorflow_version"] = installed(metadata % "tensorflow", dict(os.environ))
        out["TF_USE_LEGACY_KERAS"] = "1"
    else:
        out["keras"] = "3"
        out["keras_version"] = installed(
            "import keras; print(keras.__version__)", dict(os.environ, KERAS_BACKEND=args.backend)
        )
        if args.backend != "numpy":
            out["backend"] = args.backend
            if args.backend == "tensorflow":
                out["tensorflow_version"] = installed(
                    "import importlib.metadata as m; print(m.version('tensorflow'))", dict(os.environ)
                )
    out.update({
        "generator": "tests/oracle/oracle.py",
        "scripts": sorted(os.path.relpath(f, r).replace(os.sep, "/") for r, f in jobs),
        "layers": layers,
        "weightless": weightless,
        "unbuilt": unbuilt,
        "exceptions": sorted(exceptions, key=lambda e: (e["file"], e["line"], e["weight"])),
        "errors": sorted(errors, key=lambda e: e["script"]),
    })
    if args.helpers:
        out["helper_calls"] = merge_helpers(results)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, args.out)
    n_weights = sum(len(s["weights"]) for s in layers)
    if not args.quiet:
        print(
            f"{len(jobs)} scripts, {len(layers)} sites with weights, {n_weights} weights, "
            f"{len(weightless)} weightless, {len(unbuilt)} unbuilt, {len(errors)} errors -> {args.out}"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        root_arg, path_arg, out_arg = sys.argv[2:5]
        flavor_arg = sys.argv[5] if len(sys.argv) > 5 else "keras3"
        digests_arg = "--digests" in sys.argv[6:]
        sys.argv = sys.argv[:1]
        child_main(root_arg, path_arg, out_arg, flavor_arg, digests_arg)
    else:
        sys.exit(parent_main(sys.argv[1:]))
