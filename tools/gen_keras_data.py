#!/usr/bin/env python3
"""Extract initializer knowledge from the REAL installed Keras into JSON for keras-lsp.

    KERAS_BACKEND=numpy .venv-keras/bin/python tools/gen_keras_data.py --flavor keras3 --out server/data/keras3.json
    TF_USE_LEGACY_KERAS=1 .venv-tf/bin/python tools/gen_keras_data.py --flavor keras2 --out server/data/keras2.json
    .venv-keras/bin/python tools/gen_keras_data.py --flavor keras3 --check server/data/keras3.json

Everything in the output is measured by importing, constructing, building and calling the installed
packages. The only hand-written tables in this file are PROBE INPUTS: constructor arguments and input
shapes per layer (PROBES), candidate identifier strings to try, and TF-core spellings to look up.
The output is deterministic (sorted keys, no seeds, addresses or timestamps); see docs/design.md.
"""

import argparse
import contextlib
import difflib
import gc
import inspect
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import types
import warnings

FLAVOR = None  # set in main(): "keras3" | "keras2" | "tfcore-keras3" (internal helper mode)


# ----------------------------------------------------------------------------------------------
# Environment (must happen before importing keras / tensorflow)
# ----------------------------------------------------------------------------------------------

def setup_env(flavor):
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["PYTHONHASHSEED"] = "0"
    if flavor == "keras3":
        os.environ["KERAS_BACKEND"] = "numpy"
    elif flavor == "keras2":
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
    elif flavor == "tfcore-keras3":
        os.environ["KERAS_BACKEND"] = "tensorflow"
        os.environ.pop("TF_USE_LEGACY_KERAS", None)
    warnings.simplefilter("ignore")


# ----------------------------------------------------------------------------------------------
# JSON helpers
# ----------------------------------------------------------------------------------------------

_ADDR = re.compile(r" at 0x[0-9a-fA-F]+|0x[0-9a-fA-F]{6,}")
_SEED_KEYS = ("seed",)


def sanitize(text, limit=400):
    text = _ADDR.sub("", str(text))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        text = text[:limit] + "..."
    return text


def err_text(exc):
    return sanitize("%s: %s" % (type(exc).__name__, exc))


def jsonable(value):
    """A JSON value for `value`, or {"$repr": ...} when it is not representable."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$repr": repr(value)}
    if np is not None:
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return jsonable(float(value))
        if isinstance(value, np.ndarray) and value.size <= 64:
            return jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        return {"$repr": "<%s %s.%s>" % ("class" if isinstance(value, type) else "function",
                                         getattr(value, "__module__", "?"),
                                         getattr(value, "__qualname__", "?"))}
    return {"$repr": sanitize(repr(value), 200)}


# A keyword no layer declares, for the `unknown_keyword_error` probe.
UNKNOWN_KEYWORD = "keras_lsp_unknown_keyword"
# A string no initializer is named, for the `unknown_identifier_errors` probe.
UNKNOWN_IDENTIFIER = "keras_lsp_unknown_identifier"


def accepted_keywords(cls):
    """Every keyword name the constructors of `cls`'s MRO declare, plus the names of the sets
    `Layer.__init__` checks its `**kwargs` against (`allowed_kwargs = {...}` in its source): an
    over-approximation of what the construction accepts, read from the package."""
    import ast
    import textwrap

    names = set()
    for c in cls.__mro__:
        init = c.__dict__.get("__init__")
        if init is None or c is object:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        names |= {p.name for p in params
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in ("self", "cls")}
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
        except (OSError, TypeError, SyntaxError):
            continue
        def is_kwargs(e):
            return isinstance(e, ast.Name) and "kwargs" in e.id

        def const(e):
            return e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else None

        for node in ast.walk(tree):
            # allowed_kwargs = {"input_dim", ...}
            if (isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and "allowed" in t.id and "kwargs" in t.id for t in node.targets)
                    and isinstance(node.value, (ast.Set, ast.List, ast.Tuple))):
                names |= {const(e) for e in node.value.elts} - {None}
            # kwargs.pop("input_shape", None), kwargs.get(...), kwargs.setdefault(...)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in ("pop", "get", "setdefault") and is_kwargs(node.func.value) and node.args):
                names |= {const(node.args[0])} - {None}
            # "x" in kwargs
            elif isinstance(node, ast.Compare) and any(isinstance(o, (ast.In, ast.NotIn)) for o in node.ops) \
                    and any(is_kwargs(c) for c in node.comparators):
                names |= {const(node.left)} - {None}
            # kwargs["x"]
            elif isinstance(node, ast.Subscript) and is_kwargs(node.value):
                names |= {const(node.slice)} - {None}
    return sorted(names)


def interpreted_strings(cls, fl):
    """Identifier-like string constants of the modules that define the classes of `cls`'s MRO
    below the base Layer: strings the layer may interpret itself instead of passing them to
    `initializers.get` (RandomFourierFeatures' "gaussian"/"laplacian", read by a helper of its
    module). An over-approximation that keeps the `unknown-initializer` diagnostic from firing
    on them; the initializer identifiers themselves are left out."""
    import ast

    known = {k.lower() for k in dir(fl.initializers)}
    out = set()
    seen = set()
    for c in cls.__mro__:
        if c is object or c is fl.Layer or not issubclass(c, fl.Layer):
            continue
        try:
            path = inspect.getsourcefile(c)
        except TypeError:
            continue
        if not path or path in seen:
            continue
        seen.add(path)
        try:
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and re.fullmatch(r"[a-z][a-z0-9_]{0,39}", node.value)
                    and node.value.lower() not in known):
                out.add(node.value)
    return sorted(out)


def signature_json(func, skip_first=True):
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    out = []
    params = list(sig.parameters.values())
    if skip_first and params and params[0].name in ("self", "cls"):
        params = params[1:]
    for p in params:
        item = {"name": p.name, "kind": p.kind.name}
        if p.default is not inspect.Parameter.empty:
            item["default"] = jsonable(p.default)
        out.append(item)
    return out


def site_relative(path):
    if not path:
        return None
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            idx = len(parts) - 1 - parts[::-1].index(marker)
            return "/".join(parts[idx + 1:])
    return os.path.basename(path)


def source_of(obj):
    try:
        return site_relative(inspect.getsourcefile(obj))
    except (TypeError, OSError):
        return None


def to_snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def to_camel(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


# ----------------------------------------------------------------------------------------------
# Flavor adapters
# ----------------------------------------------------------------------------------------------

class Flavor:
    """Everything that differs between Keras 3 and tf_keras (Keras 2)."""

    def __init__(self, name):
        self.name = name
        import numpy as np
        self.np = np
        if name == "keras3":
            import keras
            from keras.src import initializers as init_impl
            from keras.src.layers import layer as layer_mod
            self.root = keras
            self.root_name = "keras"
            self.layers_root = keras.layers
            self.layers_spelling = "keras.layers"
            self.initializers = keras.initializers
            self.initializers_spelling = "keras.initializers"
            self.init_impl = init_impl
            self.Layer = layer_mod.Layer
            self.versions = {"keras": keras.__version__, "numpy": np.__version__,
                             "backend": keras.backend.backend()}
        else:
            import tensorflow as tf
            import tf_keras
            from tf_keras.src import initializers as init_impl
            from tf_keras.src.engine import base_layer
            self.tf = tf
            self.root = tf_keras
            self.root_name = "tf_keras"
            self.layers_root = tf_keras.layers
            self.layers_spelling = "tf_keras.layers"
            self.initializers = tf_keras.initializers
            self.initializers_spelling = "tf_keras.initializers"
            self.init_impl = init_impl
            self.Layer = base_layer.Layer
            self.versions = {"tf_keras": tf_keras.__version__, "tensorflow": tf.__version__,
                             "numpy": np.__version__,
                             "TF_USE_LEGACY_KERAS": os.environ.get("TF_USE_LEGACY_KERAS")}
        self.Initializer = self.initializers.Initializer

    # -- session state -----------------------------------------------------------------------
    def reset(self):
        """Fresh auto-naming (so weight paths are stable) and fixed RNG. Garbage collection is left to
        collect_layers (clear_session's gc.collect() per build would dominate the run time)."""
        clear = self.root.backend.clear_session
        if "free_memory" in inspect.signature(clear).parameters:
            clear(free_memory=False)
        else:
            clear()
        self.root.utils.set_random_seed(1234)

    def var_path(self, var):
        if self.name == "keras3":
            return var.path
        name = var.name
        return name[:-2] if name.endswith(":0") else name

    def var_value(self, var):
        return self.np.array(var.numpy())

    def var_value_now(self, var):
        """Value right after creation, or None when the variable cannot be read yet (created while
        tracing a tf.function, e.g. tf_keras Normalization.adapt); then it is read after the build."""
        try:
            return self.var_value(var)
        except Exception:
            pass
        if self.name == "keras2":
            try:
                with self.tf.init_scope():
                    return self.var_value(var)
            except Exception:
                pass
        return None

    def var_trainable(self, var):
        return bool(var.trainable)

    def var_dtype(self, var):
        d = var.dtype
        return getattr(d, "name", str(d))

    def sublayers(self, layer):
        try:
            return list(layer._flatten_layers(include_self=True, recursive=True))
        except Exception:
            return [layer]

    def layer_cls(self, name):
        return getattr(self.layers_root, name)


# ----------------------------------------------------------------------------------------------
# add_weight capture
# ----------------------------------------------------------------------------------------------

class Capture:
    def __init__(self, fl):
        self.fl = fl
        self.active = False
        self.calls = []
        self.get_log = []
        orig = fl.Layer.add_weight
        sig = inspect.signature(orig)
        capture = self
        init_impl = fl.init_impl
        orig_get = init_impl.get

        def logging_get(identifier, *a, **k):
            # Logged on entry, so the outermost call comes first even when get() recurses.
            slot = [identifier, None]
            capture.get_log.append(slot)
            slot[1] = orig_get(identifier, *a, **k)
            return slot[1]

        def add_weight(layer, *args, **kwargs):
            if not capture.active:
                return orig(layer, *args, **kwargs)
            bound = sig.bind(layer, *args, **kwargs)
            arguments = dict(bound.arguments)
            extra = arguments.pop("args", ()) or ()
            for key, val in zip(("shape", "initializer", "dtype"), extra):
                arguments[key] = val
            arguments.update(arguments.pop("kwargs", {}) or {})
            passed = arguments.get("initializer")
            capture.get_log = []
            init_impl.get = logging_get
            capture.active = False
            try:
                var = orig(layer, *args, **kwargs)
            finally:
                init_impl.get = orig_get
                capture.active = True
            resolved = passed
            gets = list(capture.get_log)
            hits = [g for g in gets if g[1] is not None]
            if hits:
                # The first non-None get() is add_weight's own (tf_keras first calls get(None) -> None, then
                # get("glorot_uniform")); later ones come from closures that run while initializing.
                resolved = hits[0][1]
            capture.calls.append({
                "owner": layer,
                "name": arguments.get("name"),
                "passed": passed,
                "gets": gets,
                "resolved": resolved,
                "var": var,
                "value": fl.var_value_now(var),
            })
            return var

        self.orig_add_weight = orig
        fl.Layer.add_weight = add_weight

    @contextlib.contextmanager
    def recording(self):
        self.calls = []
        self.active = True
        try:
            yield self.calls
        finally:
            self.active = False


# ----------------------------------------------------------------------------------------------
# Initializer descriptions
# ----------------------------------------------------------------------------------------------

def describe_initializer(obj, fl=None):
    """{"class", "module", "config"} for an initializer object; {"callable": ...} for a function."""
    if obj is None:
        return None
    if isinstance(obj, str):
        return {"identifier": obj}
    if isinstance(obj, dict):
        return {"config_dict": jsonable(obj)}
    cls = type(obj)
    if hasattr(obj, "get_config") and not isinstance(obj, (types.FunctionType, types.MethodType)):
        try:
            cfg = obj.get_config()
        except Exception as exc:  # pragma: no cover
            return {"class": cls.__name__, "module": cls.__module__, "config_error": err_text(exc)}
        cfg = jsonable(cfg)
        out = {"class": cls.__name__, "module": cls.__module__}
        if isinstance(cfg, dict):
            cfg = dict(cfg)
            for key in _SEED_KEYS:
                if isinstance(cfg.get(key), int) and not isinstance(cfg.get(key), bool):
                    # We never pass seeds: an integer here was drawn by Keras (e.g. EinsumDense's clone).
                    cfg[key] = None
                    out["concrete_seed"] = True
        out["config"] = cfg
        return out
    if callable(obj):
        return {"callable": getattr(obj, "__qualname__", cls.__name__),
                "module": getattr(obj, "__module__", None)}
    return {"$repr": sanitize(repr(obj), 200)}


def initializer_param_default(default, fl):
    """The default of an *_initializer parameter, as the user would see it."""
    if default is inspect.Parameter.empty:
        return {"$required": True}
    if default is None or isinstance(default, str):
        return default
    if isinstance(default, dict):
        return jsonable(default)
    d = describe_initializer(default, fl)
    return {"class": d.get("class"), "config": d.get("config")} if "class" in d else d


# ----------------------------------------------------------------------------------------------
# Probe table: constructor arguments and inputs (probe INPUTS only; every output is measured)
# ----------------------------------------------------------------------------------------------

class Inner:
    """A layer passed as an argument (wrappers): constructed fresh for every build."""

    def __init__(self, cls_name, args=(), kwargs=None):
        self.cls_name = cls_name
        self.args = list(args)
        self.kwargs = dict(kwargs or {})

    def describe(self):
        return {"$layer": self.cls_name, "args": jsonable(self.args), "kwargs": jsonable(self.kwargs)}


class Lazy:
    """An argument that needs the imported packages (e.g. a tf.Tensor); built at probe time."""

    def __init__(self, text, fn):
        self.text = text
        self.fn = fn

    def describe(self):
        return {"$expr": self.text}


def F(*shape):
    return {"shape": list(shape), "dtype": "float32"}


def I(*shape, high=10, dtype="int32", name=None):
    out = {"shape": list(shape), "dtype": dtype, "high": high}
    if name:
        out["name"] = name
    return out


def S(*shape):
    return {"shape": list(shape), "dtype": "string"}


def identity_fn(x):
    return x


def jax_call_fn(params, inputs):
    return inputs


def jax_init_fn(rng, inputs):
    return {}


IMG = [F(1, 8, 8, 3)]
SEQ = [F(1, 3, 4)]
VEC = [F(1, 4)]
QV = [F(1, 3, 6), F(1, 4, 6)]

# name -> dict(args, kwargs, inputs, mode, variants, keras2/keras3 overrides)
# mode: "call" (layer(*inputs)), "call_list" (layer([inputs])), "build" (layer.build(inputs[0].shape)),
#       "construct" (no build), "adapt_call" (layer.adapt(x); layer(x)), "bbox" (dict input)
PROBES = {
    # core
    "Dense": dict(args=[3], inputs=VEC),
    "EinsumDense": dict(kwargs={"equation": "ab,bc->ac", "output_shape": 4}, inputs=[F(1, 6)],
                        variants=[{"bias_axes": "c"}]),
    "Embedding": dict(args=[10, 4], inputs=[I(1, 5)]),
    "ReversibleEmbedding": dict(args=[10, 4], inputs=[I(1, 5)]),
    "Activation": dict(args=["relu"], inputs=VEC),
    "Lambda": dict(args=[identity_fn], inputs=VEC),
    "Masking": dict(inputs=SEQ),
    "Identity": dict(inputs=VEC),
    "InputLayer": dict(kwargs={"shape": [4]}, mode="construct",
                       keras2=dict(kwargs={"input_shape": [4]})),
    "Layer": dict(inputs=VEC, mode="build"),
    # Need packages or files this generator does not have; attempted so the real error is recorded.
    "JaxLayer": dict(kwargs={"call_fn": jax_call_fn, "init_fn": jax_init_fn}, inputs=VEC),
    "FlaxLayer": dict(kwargs={"module": None}, inputs=VEC),
    "TorchModuleWrapper": dict(kwargs={"module": None}, inputs=VEC),
    "TFSMLayer": dict(kwargs={"filepath": "/nonexistent/saved_model"}, inputs=VEC),
    "Wrapper": dict(kwargs={"layer": Inner("Dense", [3])}, inputs=VEC, mode="build"),
    # convolution
    "Conv1D": dict(args=[2, 3], inputs=[F(1, 8, 3)]),
    "Conv2D": dict(args=[2, 3], inputs=IMG),
    "Conv3D": dict(args=[2, 3], inputs=[F(1, 6, 6, 6, 3)]),
    "Conv1DTranspose": dict(args=[2, 3], inputs=[F(1, 8, 3)]),
    "Conv2DTranspose": dict(args=[2, 3], inputs=IMG),
    "Conv3DTranspose": dict(args=[2, 3], inputs=[F(1, 6, 6, 6, 3)]),
    "DepthwiseConv1D": dict(args=[3], inputs=[F(1, 8, 3)]),
    "DepthwiseConv2D": dict(args=[3], inputs=IMG),
    "SeparableConv1D": dict(args=[2, 3], inputs=[F(1, 8, 3)]),
    "SeparableConv2D": dict(args=[2, 3], inputs=IMG),
    "LocallyConnected1D": dict(args=[2, 3], inputs=[F(1, 8, 3)]),
    "LocallyConnected2D": dict(args=[2, 3], inputs=IMG),
    # recurrent
    "LSTM": dict(args=[3], inputs=SEQ),
    "GRU": dict(args=[3], inputs=SEQ),
    "SimpleRNN": dict(args=[3], inputs=SEQ),
    "LSTMCell": dict(args=[3], inputs=VEC, mode="build"),
    "GRUCell": dict(args=[3], inputs=VEC, mode="build"),
    "SimpleRNNCell": dict(args=[3], inputs=VEC, mode="build"),
    "AbstractRNNCell": dict(inputs=VEC, mode="build"),
    "StackedRNNCells": dict(kwargs={"cells": [Inner("LSTMCell", [2]), Inner("GRUCell", [2])]},
                            inputs=VEC, mode="build"),
    "RNN": dict(kwargs={"cell": Inner("LSTMCell", [2])}, inputs=SEQ),
    "ConvLSTM1D": dict(args=[2, 3], inputs=[F(1, 3, 8, 3)]),
    "ConvLSTM2D": dict(args=[2, 3], inputs=[F(1, 3, 8, 8, 3)]),
    "ConvLSTM3D": dict(args=[2, 3], inputs=[F(1, 2, 6, 6, 6, 3)]),
    "Bidirectional": dict(kwargs={"layer": Inner("LSTM", [2])}, inputs=SEQ),
    "TimeDistributed": dict(kwargs={"layer": Inner("Dense", [2])}, inputs=SEQ),
    # attention
    "MultiHeadAttention": dict(kwargs={"num_heads": 2, "key_dim": 4}, inputs=QV),
    "GroupQueryAttention": dict(kwargs={"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2},
                                inputs=QV),
    "Attention": dict(inputs=[F(1, 3, 4), F(1, 5, 4)], mode="call_list",
                      variants=[{"score_mode": "concat"}]),
    "AdditiveAttention": dict(inputs=[F(1, 3, 4), F(1, 5, 4)], mode="call_list"),
    # normalization
    # tf_keras takes `renorm` through **kwargs, so it is not toggled as a declared bool: probe it.
    "BatchNormalization": dict(inputs=[F(2, 4)], variants=[{"renorm": True}]),
    "SyncBatchNormalization": dict(inputs=[F(2, 4)]),
    "LayerNormalization": dict(inputs=VEC, keras3=dict(variants=[{"rms_scaling": True}])),
    "GroupNormalization": dict(kwargs={"groups": 2}, inputs=[F(1, 4, 4, 4)]),
    "RMSNormalization": dict(inputs=VEC),
    "UnitNormalization": dict(inputs=VEC),
    "SpectralNormalization": dict(kwargs={"layer": Inner("Dense", [3])}, inputs=VEC),
    "Normalization": dict(inputs=[F(4, 3)], mode="adapt_call",
                          variants=[{"mean": 0.5, "variance": 2.0, "$mode": "call"}]),
    # activations with weights
    "PReLU": dict(inputs=[F(1, 5, 4)], variants=[{"shared_axes": [1]}]),
    "ELU": dict(inputs=VEC), "ReLU": dict(inputs=VEC), "LeakyReLU": dict(inputs=VEC),
    "Softmax": dict(inputs=VEC), "ThresholdedReLU": dict(inputs=VEC),
    # merging
    "Add": dict(inputs=[F(1, 4), F(1, 4)], mode="call_list"),
    "Subtract": dict(inputs=[F(1, 4), F(1, 4)], mode="call_list"),
    "Multiply": dict(inputs=[F(1, 4), F(1, 4)], mode="call_list"),
    "Average": dict(inputs=[F(1, 4), F(1, 4)], mode="call_list"),
    "Maximum": dict(inputs=[F(1, 4), F(1, 4)], mode="call_list"),
    "Minimum": dict(inputs=[F(1, 4), F(1, 4)], mode="call_list"),
    "Concatenate": dict(inputs=[F(1, 4), F(1, 4)], mode="call_list"),
    "Dot": dict(kwargs={"axes": 1}, inputs=[F(1, 4), F(1, 4)], mode="call_list"),
    # regularization
    "Dropout": dict(args=[0.1], inputs=VEC),
    "AlphaDropout": dict(args=[0.1], inputs=VEC),
    "GaussianDropout": dict(args=[0.1], inputs=VEC),
    "GaussianNoise": dict(args=[0.1], inputs=VEC),
    "SpatialDropout1D": dict(args=[0.1], inputs=[F(1, 4, 3)]),
    "SpatialDropout2D": dict(args=[0.1], inputs=IMG),
    "SpatialDropout3D": dict(args=[0.1], inputs=[F(1, 4, 4, 4, 3)]),
    "ActivityRegularization": dict(inputs=VEC),
    # reshaping
    "Flatten": dict(inputs=IMG),
    "Permute": dict(args=[[2, 1]], inputs=SEQ),
    "RepeatVector": dict(args=[2], inputs=VEC),
    "Reshape": dict(args=[[4]], inputs=[F(1, 2, 2)]),
    "Cropping1D": dict(inputs=[F(1, 6, 3)]), "Cropping2D": dict(inputs=IMG),
    "Cropping3D": dict(inputs=[F(1, 4, 4, 4, 3)]),
    "UpSampling1D": dict(inputs=[F(1, 6, 3)]), "UpSampling2D": dict(inputs=IMG),
    "UpSampling3D": dict(inputs=[F(1, 4, 4, 4, 3)]),
    "ZeroPadding1D": dict(inputs=[F(1, 6, 3)]), "ZeroPadding2D": dict(inputs=IMG),
    "ZeroPadding3D": dict(inputs=[F(1, 4, 4, 4, 3)]),
    # pooling
    "AveragePooling1D": dict(args=[2], inputs=[F(1, 8, 3)]),
    "AveragePooling2D": dict(args=[2], inputs=IMG),
    "AveragePooling3D": dict(args=[2], inputs=[F(1, 4, 4, 4, 3)]),
    "MaxPooling1D": dict(inputs=[F(1, 8, 3)]), "MaxPooling2D": dict(inputs=IMG),
    "MaxPooling3D": dict(inputs=[F(1, 4, 4, 4, 3)]),
    "AdaptiveAveragePooling1D": dict(args=[2], inputs=[F(1, 8, 3)]),
    "AdaptiveAveragePooling2D": dict(args=[2], inputs=IMG),
    "AdaptiveAveragePooling3D": dict(args=[2], inputs=[F(1, 4, 4, 4, 3)]),
    "AdaptiveMaxPooling1D": dict(args=[2], inputs=[F(1, 8, 3)]),
    "AdaptiveMaxPooling2D": dict(args=[2], inputs=IMG),
    "AdaptiveMaxPooling3D": dict(args=[2], inputs=[F(1, 4, 4, 4, 3)]),
    "GlobalAveragePooling1D": dict(inputs=[F(1, 8, 3)]), "GlobalAveragePooling2D": dict(inputs=IMG),
    "GlobalAveragePooling3D": dict(inputs=[F(1, 4, 4, 4, 3)]),
    "GlobalMaxPooling1D": dict(inputs=[F(1, 8, 3)]), "GlobalMaxPooling2D": dict(inputs=IMG),
    "GlobalMaxPooling3D": dict(inputs=[F(1, 4, 4, 4, 3)]),
    # preprocessing
    "CategoryEncoding": dict(kwargs={"num_tokens": 5}, inputs=[I(1, 3, high=5)]),
    "CenterCrop": dict(args=[4, 4], inputs=IMG),
    "RandomCrop": dict(args=[4, 4], inputs=IMG),
    "Resizing": dict(args=[4, 4], inputs=IMG),
    "Rescaling": dict(args=[0.5], inputs=IMG),
    "Discretization": dict(kwargs={"bin_boundaries": [0.5]}, inputs=VEC),
    "Hashing": dict(kwargs={"num_bins": 4}, inputs=[I(1, 3)]),
    "HashedCrossing": dict(kwargs={"num_bins": 4}, inputs=[I(2), I(2)], mode="call_tuple"),
    "IntegerLookup": dict(kwargs={"vocabulary": [1, 2, 3]}, inputs=[I(1, 3)]),
    "StringLookup": dict(kwargs={"vocabulary": ["a", "b"]}, inputs=[S(1, 3)]),
    "TextVectorization": dict(kwargs={"vocabulary": ["a", "b"]}, inputs=[S(1)]),
    "RandomBrightness": dict(args=[0.1], inputs=IMG),
    "RandomColorDegeneration": dict(args=[0.1], inputs=IMG),
    "RandomContrast": dict(args=[0.1], inputs=IMG),
    "RandomHue": dict(args=[0.1], inputs=IMG),
    "RandomPosterization": dict(args=[4], inputs=IMG),
    "RandomRotation": dict(args=[0.1], inputs=IMG),
    "RandomSaturation": dict(args=[0.1], inputs=IMG),
    "RandomSharpness": dict(args=[0.1], inputs=IMG),
    "RandomTranslation": dict(args=[0.1, 0.1], inputs=IMG),
    "RandomZoom": dict(args=[0.1], inputs=IMG),
    "RandomHeight": dict(args=[0.1], inputs=IMG),
    "RandomWidth": dict(args=[0.1], inputs=IMG),
    "MaxNumBoundingBoxes": dict(kwargs={"max_number": 2, "bounding_box_format": "xyxy"}, mode="bbox",
                                inputs=IMG),
    "Pipeline": dict(kwargs={"layers": [Inner("Rescaling", [0.5])]}, inputs=IMG),
    "STFTSpectrogram": dict(kwargs={"frame_length": 8, "frame_step": 4}, inputs=[F(1, 32, 1)]),
    "MelSpectrogram": dict(kwargs={"fft_length": 64, "sequence_stride": 16, "num_mel_bins": 8},
                           inputs=[F(1, 128)]),
    "AutoContrast": dict(inputs=IMG), "Equalization": dict(inputs=IMG),
    "Solarization": dict(inputs=IMG),
    # keras 2 only
    "RandomFourierFeatures": dict(kwargs={"output_dim": 4}, inputs=VEC),
    "DynamicEmbedding": dict(kwargs={"input_dim": 10, "output_dim": 4, "initial_vocabulary": Lazy(
        "tf.constant([0, 1, 2], dtype=tf.int64)", lambda fl: fl.tf.constant([0, 1, 2], dtype=fl.tf.int64))},
        inputs=[I(1, 3, high=3, dtype="int64")]),
    "DynamicLookup": dict(kwargs={"vocabulary_size": 4, "initial_vocabulary": Lazy(
        "tf.constant([0, 1, 2], dtype=tf.int64)", lambda fl: fl.tf.constant([0, 1, 2], dtype=fl.tf.int64))},
        inputs=[I(1, 3, high=3, dtype="int64")]),
    "DenseFeatures": dict(kwargs={"feature_columns": Lazy(
        "[tf.feature_column.numeric_column('a', shape=(2,))]",
        lambda fl: [fl.tf.feature_column.numeric_column("a", shape=(2,))])},
        inputs=[dict(F(1, 2), name="a")], mode="call_dict"),
}

# Layers that cannot be probed here, with the reason (they need something this generator
# does not install). They are still listed with their signature; the build is attempted anyway.
DEFAULT_CANDIDATE_INPUTS = [IMG, SEQ, VEC, [F(1, 4, 4, 4, 3)]]

WRAPPED_ARGUMENT_NAMES = ("layer", "backward_layer", "cell", "cells", "layers")


def probe_spec(fl, cls, spellings):
    names = [cls.__name__] + sorted(s.rsplit(".", 1)[-1] for s in spellings)
    spec = {}
    for name in names:
        if name in PROBES:
            spec = dict(PROBES[name])
            break
    override = spec.pop("keras2", None), spec.pop("keras3", None)
    chosen = override[0] if fl.name == "keras2" else override[1]
    if chosen:
        spec.update(chosen)
    return spec


# ----------------------------------------------------------------------------------------------
# Layer builds
# ----------------------------------------------------------------------------------------------

def probe_value(k):
    """Distinct probe constants: ((2k+5)/8)**2. Exact in float32; their square roots are too, and
    no value equals 0, 1, another value or another value's square root."""
    return ((2 * k + 5) / 8.0) ** 2


class BuildResult:
    def __init__(self):
        self.ok = False
        self.error = None
        self.weights = []  # list of dicts (internal)
        self.inner = {}  # argument -> info
        self.warnings = []
        self.uncaptured = []


def make_input(fl, spec):
    np = fl.np
    rng = np.random.default_rng(0)
    shape = tuple(spec["shape"])
    if spec["dtype"] in ("int32", "int64"):
        return rng.integers(0, spec.get("high", 10), size=shape).astype(spec["dtype"])
    if spec["dtype"] == "string":
        return np.array(["a"] * int(np.prod(shape))).reshape(shape)
    return rng.random(shape).astype("float32")


class Builder:
    def __init__(self, fl):
        self.fl = fl
        self.capture = Capture(fl)

    def instantiate(self, value, constants, argname, inner_objects):
        """Instantiate Inner specs; give each inner *_initializer param a probe Constant if requested."""
        fl = self.fl
        if isinstance(value, Lazy):
            return value.fn(fl)
        if isinstance(value, Inner):
            cls = fl.layer_cls(value.cls_name)
            kwargs = dict(value.kwargs)
            if constants is not None:
                for pname in initializer_param_names(cls):
                    if pname in kwargs:
                        continue
                    k = len(constants)
                    v = probe_value(k)
                    constants.append((v, {"inner": {"argument": argname, "class": value.cls_name,
                                                    "parameter": pname}}))
                    kwargs[pname] = fl.initializers.Constant(v)
            obj = cls(*value.args, **kwargs)
            inner_objects.append((argname, obj))
            return obj
        if isinstance(value, list) and any(isinstance(v, Inner) for v in value):
            return [self.instantiate(v, constants, "%s[%d]" % (argname, i), inner_objects)
                    for i, v in enumerate(value)]
        return value

    def build(self, cls, spec, overrides=None, probe_constants=False, extra_kwargs=None):
        """Construct `cls` with the probe spec (+ overrides), build it, return BuildResult."""
        fl = self.fl
        res = BuildResult()
        fl.reset()
        constants = [] if probe_constants else None
        inner_objects = []
        caught = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                kwargs = dict(spec.get("kwargs", {}))
                overrides = dict(overrides or {})
                run_spec = dict(spec)
                if "$mode" in overrides:
                    run_spec["mode"] = overrides.pop("$mode")
                kwargs.update(overrides)
                args = [self.instantiate(a, constants, "arg%d" % i, inner_objects)
                        for i, a in enumerate(spec.get("args", []))]
                kwargs = {k: self.instantiate(v, constants, k, inner_objects) for k, v in kwargs.items()}
                if probe_constants:
                    for pname in initializer_param_names(cls):
                        if pname in kwargs:
                            continue
                        v = probe_value(len(constants))
                        constants.append((v, {"parameter": pname}))
                        kwargs[pname] = fl.initializers.Constant(v)
                kwargs.update(extra_kwargs or {})
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    with self.capture.recording() as calls:
                        layer = cls(*args, **kwargs)
                        self.run(layer, run_spec)
                res.ok = True
        except Exception as exc:
            res.error = err_text(exc)
            calls = self.capture.calls
            layer = None
        res.warnings = sorted({sanitize("%s: %s" % (w.category.__name__, w.message), 300) for w in caught
                               if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning,
                                                              FutureWarning))})
        res.constants = constants or []
        res.layer = layer
        if layer is not None:
            self.collect(layer, calls, inner_objects, res)
        return res

    def constructs(self, cls, spec, extra_kwargs):
        """Whether the constructor accepts the spec's arguments plus `extra_kwargs` (no build)."""
        return self.construction_error(cls, spec, extra_kwargs) is None

    def construction_error(self, cls, spec, extra_kwargs):
        """What constructing `cls` with the spec's arguments plus `extra_kwargs` raises (no
        build): "Type: message" (first line), or None when it constructs."""
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                with contextlib.redirect_stdout(io.StringIO()):
                    args = [self.instantiate(a, None, "arg%d" % i, []) for i, a in enumerate(spec.get("args", []))]
                    kwargs = {k: self.instantiate(v, None, k, []) for k, v in spec.get("kwargs", {}).items()}
                    kwargs.update(extra_kwargs)
                    cls(*args, **kwargs)
            return None
        except Exception as exc:
            return err_text(exc).splitlines()[0][:300]

    def run(self, layer, spec):
        fl = self.fl
        mode = spec.get("mode", "call")
        inputs = [make_input(fl, s) for s in spec.get("inputs", [])]
        if mode == "construct":
            return
        if mode == "build":
            layer.build(tuple(spec["inputs"][0]["shape"]))
            return
        if mode == "adapt_call":
            layer.adapt(inputs[0])
            layer(inputs[0])
            return
        if mode == "call_list":
            layer(list(inputs))
            return
        if mode == "call_tuple":
            layer(tuple(inputs))
            return
        if mode == "call_dict":
            layer({s["name"]: x for s, x in zip(spec["inputs"], inputs)})
            return
        if mode == "bbox":
            boxes = fl.np.array([[[0.0, 0.0, 2.0, 2.0]]], dtype="float32")
            labels = fl.np.array([[1]], dtype="int32")
            layer({"images": inputs[0], "bounding_boxes": {"boxes": boxes, "labels": labels}})
            return
        layer(*inputs)

    def collect(self, layer, calls, inner_objects, res):
        fl = self.fl
        subs = fl.sublayers(layer)
        cell_names = set()
        for sub in subs:
            cell = getattr(sub, "cell", None)
            if isinstance(cell, fl.Layer):
                cell_names.add(cell.name)
        owner_arg = {}
        for argname, obj in inner_objects:
            for sub in fl.sublayers(obj):
                owner_arg.setdefault(id(sub), argname)
        for argname, obj in inner_objects:
            res.inner[argname] = {"class": type(obj).__name__, "built": bool(getattr(obj, "built", False)),
                                  "weights_created_by_the_passed_object": 0}
        captured_ids = set()
        for call in calls:
            var = call["var"]
            if call["value"] is None:
                call["value"] = fl.var_value_now(var)
                if call["value"] is None:
                    call["value"] = fl.np.zeros((0,))
            captured_ids.add(id(var))
            raw = fl.var_path(var)
            rel = raw
            prefix = layer.name + "/"
            if rel.startswith(prefix):
                rel = rel[len(prefix):]
            parts = rel.split("/")
            path = "/".join(p for p in parts[:-1] if p not in cell_names) if len(parts) > 1 else ""
            path = (path + "/" + parts[-1]) if path else parts[-1]
            arg = owner_arg.get(id(call["owner"]))
            if arg is not None:
                res.inner[arg]["weights_created_by_the_passed_object"] += 1
            res.weights.append({
                "path": path,
                "scoped_path": rel,
                "var": var,
                "owner": type(call["owner"]).__name__,
                "owner_is_layer": call["owner"] is layer,
                "owned_by_argument": arg,
                "shape": [int(d) for d in var.shape],
                "dtype": fl.var_dtype(var),
                "value": call["value"],
                "passed": call["passed"],
                "resolved": call["resolved"],
                "trainable": fl.var_trainable(var),
            })
        try:
            all_weights = list(layer.weights)
        except Exception:
            all_weights = []
        res.uncaptured = sorted(fl.var_path(v) for v in all_weights if id(v) not in captured_ids)


def initializer_param_names(cls):
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters if p.endswith("_initializer")]


# ----------------------------------------------------------------------------------------------
# Attribution
# ----------------------------------------------------------------------------------------------

def attribute(fl, weight, constants):
    """Which probe Constant produced this weight's values (by value; exact float32 equality)."""
    np = fl.np
    arr = np.asarray(weight["value"])
    if arr.size == 0 or not constants:
        return None
    flat = arr.astype("float64").reshape(-1)
    labels = np.full(flat.shape, -1, dtype="int64")  # -1: other
    transforms = {}
    for idx, (v, src) in enumerate(constants):
        direct = flat == float(np.float32(v))
        root = flat == float(np.float32(math.sqrt(v)))
        labels[direct & (labels == -1)] = 2 * idx
        labels[root & (labels == -1)] = 2 * idx + 1
    present = sorted(set(labels.tolist()))
    sources = [p for p in present if p >= 0]
    if not sources:
        return None
    if len(sources) > 1:
        return {"ambiguous": True}
    lab = sources[0]
    v, src = constants[lab // 2]
    out = dict(src)
    if lab % 2 == 1:
        out["transform"] = "sqrt"
    frac = float((labels == lab).mean())
    out["coverage"] = round(frac, 6)
    if frac < 1.0:
        # Describe the rest: values and the slices along the last axis.
        other = flat[labels != lab]
        uniq = sorted(set(np.round(other, 6).tolist()))
        out["remainder_values"] = uniq if len(uniq) <= 4 else {"distinct": len(uniq)}
        last = arr.shape[-1] if arr.ndim else 1
        lab2 = labels.reshape(arr.shape) if arr.ndim else labels
        segs = []
        if arr.ndim >= 1:
            cols = lab2.reshape(-1, last)
            consistent = bool((cols == cols[0:1]).all())
            if consistent:
                row = cols[0]
                start = 0
                for j in range(1, last + 1):
                    if j == last or row[j] != row[start]:
                        seg = {"start": start, "stop": j, "last_axis_size": last}
                        if row[start] == lab:
                            seg["source"] = "parameter"
                        else:
                            vals = sorted(set(np.round(arr.reshape(-1, last)[:, start:j], 6).reshape(-1).tolist()))
                            seg["values"] = vals if len(vals) <= 4 else {"distinct": len(vals)}
                        segs.append(seg)
                        start = j
        if segs:
            out["segments"] = segs
    return out


# ----------------------------------------------------------------------------------------------
# Layers
# ----------------------------------------------------------------------------------------------

def enumerate_layers(fl):
    """{class: set(spellings)} for every class exported under the layers namespace (recursively)."""
    found = {}
    nonclass = {}
    seen_mods = set()

    def walk(mod, spelling):
        if id(mod) in seen_mods:
            return
        seen_mods.add(id(mod))
        for attr in sorted(dir(mod)):
            if attr.startswith("_"):
                continue
            try:
                obj = getattr(mod, attr)
            except Exception:
                continue
            dotted = spelling + "." + attr
            if inspect.ismodule(obj):
                if obj.__name__.startswith(fl.layers_root.__name__):
                    walk(obj, dotted)
                continue
            if inspect.isclass(obj):
                found.setdefault(obj, set()).add(dotted)
            else:
                nonclass[dotted] = jsonable(obj)

    walk(fl.layers_root, fl.layers_spelling)
    return found, nonclass


def class_keys(classes):
    by_name = {}
    for cls in classes:
        by_name.setdefault(cls.__name__, []).append(cls)
    keys = {}
    for name, group in by_name.items():
        if len(group) == 1:
            keys[group[0]] = name
        else:
            for cls in group:
                keys[cls] = "%s@%s" % (name, cls.__module__)
    return keys


def bool_params(cls):
    out = []
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if isinstance(p.default, bool):
            out.append((p.name, p.default))
    return out


def variant_list(cls, spec):
    """(condition_for_requires, overrides) for each probe variant."""
    sig = inspect.signature(cls.__init__).parameters
    variants = []
    for name, default in bool_params(cls):
        variants.append(({name: (not default)}, {"param": name, "equals": not default},
                         {"param": name, "equals": default}))
    if "lora_rank" in sig:
        variants.append(({"lora_rank": 2}, {"param": "lora_rank", "not_none": True},
                         {"param": "lora_rank", "equals": None}))
    declared_bools = {name for name, _ in bool_params(cls)}
    for extra in spec.get("variants", []):
        k, v = next(iter((k, v) for k, v in extra.items() if not k.startswith("$")))
        if k in declared_bools:
            continue  # already toggled above
        default = sig[k].default if k in sig else inspect.Parameter.empty
        if default is None:
            cond = {"param": k, "not_none": True}
            neg = {"param": k, "equals": None}
        else:
            cond = {"param": k, "equals": jsonable(v)}
            if default is not inspect.Parameter.empty:
                neg = {"param": k, "equals": jsonable(default)}
            elif isinstance(v, bool):  # a keyword taken through **kwargs
                neg = {"param": k, "equals": not v}
            else:
                neg = None
        variants.append((dict(extra), cond, neg))
    return variants


def weight_record(fl, w, constants, default_w, param_defaults):
    """The JSON record of one weight from the probe build (w) and the default build (default_w)."""
    rec = {"path": w["path"], "shape": w["shape"], "dtype": w["dtype"], "trainable": w["trainable"],
           "owner": w["owner"]}
    if w["scoped_path"] != w["path"]:
        rec["scoped_path"] = w["scoped_path"]
    if w["owned_by_argument"]:
        rec["owned_by_argument"] = w["owned_by_argument"]
    att = attribute(fl, w, constants)
    rec["parameter"] = None
    rec["fixed"] = None
    notes = []
    if att and not att.get("ambiguous"):
        if "parameter" in att:
            rec["parameter"] = att["parameter"]
        if "inner" in att:
            rec["inner"] = att["inner"]
        for key in ("coverage", "transform", "remainder_values", "segments"):
            if key in att:
                rec[key] = att[key]
    elif att and att.get("ambiguous"):
        rec["attribution_error"] = "values from several probe constants"
    passed = w["passed"]
    if att is None:
        # No parameter controls it: record the initializer the weight was created with under default
        # arguments (it can depend on other arguments: tf_keras RandomFourierFeatures' kernel_scale).
        src = default_w if default_w is not None else w
        fixed = describe_initializer(src["resolved"], fl)
        probe_fixed = describe_initializer(w["resolved"], fl)
        if default_w is not None and probe_fixed != fixed:
            rec["fixed_with_probe_constants"] = probe_fixed
            notes.append("its initializer depends on other arguments: with the probe constants it was %s" % (
                "%s(%s)" % (probe_fixed["class"], json.dumps(probe_fixed.get("config"), sort_keys=True))
                if "class" in probe_fixed else probe_fixed.get("callable")))
        passed = src["passed"]
        if passed is None and src["resolved"] is not None:
            fixed["via"] = "add_weight default (initializer=None)"
            notes.append("add_weight() was called without an initializer, so Keras used its default")
        if fixed is not None and "class" not in fixed:
            # A function/closure: kept out of `fixed` so that `fixed` is always {class, config}.
            rec["fixed_callable"] = fixed
            notes.append("initialized by the function `%s`, not an initializer object" % fixed.get("callable"))
        else:
            rec["fixed"] = fixed
    else:
        if not isinstance(w["resolved"], fl.Initializer) and callable(w["resolved"]):
            rec["closure"] = getattr(w["resolved"], "__qualname__", type(w["resolved"]).__name__)
        ctrl = rec["parameter"] or ("%s.%s" % (rec["inner"]["argument"], rec["inner"]["parameter"])
                                   if "inner" in rec else "?")
        if att.get("coverage", 1.0) < 1.0:
            seg_txt = ""
            if "segments" in att:
                seg_txt = "; along the last axis (size %d): " % att["segments"][0]["last_axis_size"] + ", ".join(
                    "[%d:%d] %s" % (s["start"], s["stop"],
                                    "= %s" % ctrl if s.get("source") else "= %s" % json.dumps(s["values"]))
                    for s in att["segments"])
            notes.append("`%s` controls only %g of the elements%s%s" % (
                ctrl, att["coverage"],
                " (the initializer passed to add_weight is the closure `%s`)" % rec["closure"]
                if "closure" in rec else "", seg_txt))
        if att.get("transform") == "sqrt":
            notes.append("initialized with the square root of what `%s` produces%s" % (
                ctrl, " (closure `%s`)" % rec["closure"] if "closure" in rec else ""))
    if default_w is not None:
        d = describe_initializer(default_w["resolved"], fl)
        rec["default_initializer"] = d
        if rec["parameter"] and d and "config" in d:
            base = param_defaults.get(rec["parameter"])
            if base and isinstance(base.get("config"), dict) and base.get("class") == d.get("class"):
                changes = {k: v for k, v in d["config"].items() if base["config"].get(k) != v}
                if changes or d.get("concrete_seed"):
                    clone = {"config_changes": changes, "concrete_seed": bool(d.get("concrete_seed"))}
                    rec["clone"] = clone
                    notes.append("at build the `%s` initializer is cloned with %s%s" % (
                        rec["parameter"], json.dumps(changes, sort_keys=True),
                        " and a concrete integer seed (the configured initializer's own seed)"
                        if d.get("concrete_seed") else ""))
    if not w["owner_is_layer"]:
        if w["owned_by_argument"]:
            notes.append("created by the %s passed as `%s`" % (w["owner"], w["owned_by_argument"]))
        elif "inner" in rec:
            notes.append("created by a %s rebuilt from the config of the layer passed as `%s` (the passed "
                         "object itself is not built)" % (w["owner"], rec["inner"]["argument"]))
        else:
            notes.append("created by the internal sublayer %s" % w["owner"])
    if notes:
        rec["note"] = "; ".join(notes)
    return rec


def format_condition(cond):
    if "not_none" in cond:
        return "`%s` not None" % cond["param"]
    return "`%s=%r`" % (cond["param"], cond.get("equals"))


def resolve_param_defaults(fl, cls):
    out = {}
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if not p.name.endswith("_initializer") or p.default is inspect.Parameter.empty:
            continue
        try:
            obj = fl.initializers.get(p.default)
            out[p.name] = describe_initializer(obj, fl)
        except Exception as exc:
            out[p.name] = {"error": err_text(exc)}
    return out


def probe_layer(fl, builder, cls, key, spellings):
    spec = probe_spec(fl, cls, spellings)
    entry = {}
    sig = inspect.signature(cls.__init__)
    entry["signature"] = signature_json(cls.__init__)
    entry["initializer_params"] = {p.name: initializer_param_default(p.default, fl)
                                   for p in list(sig.parameters.values())[1:] if p.name.endswith("_initializer")}
    wrapped = [p for p in sig.parameters if p in WRAPPED_ARGUMENT_NAMES]
    entry["wrapper"] = bool(wrapped)
    if wrapped:
        entry["wrapped_arguments"] = wrapped
    entry["source"] = source_of(cls)
    entry["module"] = cls.__module__
    entry["bases"] = [b.__name__ for b in cls.__mro__[1:] if b is not object]
    if not issubclass(cls, fl.Layer):
        entry["not_a_layer"] = True
        return entry

    if not spec:
        spec = {}
        for cand in DEFAULT_CANDIDATE_INPUTS:
            trial = dict(inputs=cand)
            if builder.build(cls, trial).ok:
                spec = trial
                break
        if not spec:
            spec = dict(inputs=DEFAULT_CANDIDATE_INPUTS[0])
    probe = {"mode": spec.get("mode", "call"),
             "args": [a.describe() if isinstance(a, (Inner, Lazy)) else jsonable(a) for a in spec.get("args", [])],
             "kwargs": {k: (v.describe() if isinstance(v, (Inner, Lazy)) else
                            [x.describe() for x in v] if isinstance(v, list) and v and isinstance(v[0], Inner)
                            else jsonable(v)) for k, v in spec.get("kwargs", {}).items()},
             "inputs": [{k: s[k] for k in ("shape", "dtype", "name") if k in s} for s in spec.get("inputs", [])]}
    default = builder.build(cls, spec)
    if not default.ok:
        probe["status"] = "failed"
        probe["error"] = default.error
        entry["probe"] = probe
        entry["weights"] = []
        return entry
    probe["status"] = "built"
    # A keyword argument the layer does not declare: whether constructing it raises (diagnostic
    # `unknown-keyword`), and every keyword name the constructor chain can accept.
    constructs = builder.constructs(cls, spec, {})
    entry["unknown_keyword_error"] = (builder.construction_error(cls, spec, {UNKNOWN_KEYWORD: 1})
                                      if constructs else None)
    entry["accepted_keywords"] = accepted_keywords(cls)
    # Each initializer parameter given a string that is no identifier: what construction raises
    # (diagnostic `unknown-initializer`); None when it constructs (the layer reads the string
    # itself, as RandomFourierFeatures does with "gaussian"/"laplacian", or defers it).
    entry["interpreted_strings"] = interpreted_strings(cls, fl)
    if constructs:
        entry["unknown_identifier_errors"] = {
            p: builder.construction_error(cls, spec, {p: UNKNOWN_IDENTIFIER})
            for p in entry["initializer_params"]
        }
    if default.warnings:
        probe["warnings"] = default.warnings
    if default.uncaptured:
        probe["weights_not_created_by_add_weight"] = default.uncaptured
    if default.inner:
        probe["wrapped"] = default.inner
    main = builder.build(cls, spec, probe_constants=True)
    if not main.ok:
        probe["constant_probe_error"] = main.error
    param_defaults = resolve_param_defaults(fl, cls)

    def index(res):
        return {w["path"]: w for w in res.weights}

    def_idx = index(default)
    weights = []
    order = []
    for w in (main.weights if main.ok else default.weights):
        rec = weight_record(fl, w, main.constants if main.ok else [], def_idx.get(w["path"]), param_defaults)
        rec["requires"] = []
        weights.append(rec)
        order.append(w["path"])
    by_path = {r["path"]: r for r in weights}
    default_paths = list(order)

    variants_probed = []
    for overrides, cond, neg in variant_list(cls, spec):
        vres = builder.build(cls, spec, overrides=overrides, probe_constants=True)
        vinfo = {"when": cond, "status": "built" if vres.ok else "failed"}
        if len(overrides) > 1:
            vinfo["overrides"] = jsonable(overrides)
        if not vres.ok:
            vinfo["error"] = vres.error
            variants_probed.append(vinfo)
            continue
        if vres.warnings and vres.warnings != default.warnings:
            vinfo["warnings"] = [w for w in vres.warnings if w not in default.warnings]
        vdef = builder.build(cls, spec, overrides=overrides)
        vdef_idx = index(vdef) if vdef.ok else {}
        vidx = index(vres)
        added, removed = [], []
        for path in default_paths:
            if path not in vidx:
                removed.append(path)
                if neg is not None:
                    by_path[path]["requires"].append(neg)
        for w in vres.weights:
            rec = weight_record(fl, w, vres.constants, vdef_idx.get(w["path"]), param_defaults)
            if w["path"] not in by_path:
                added.append(w["path"])
                rec["requires"] = [cond]
                by_path[w["path"]] = rec
                order.append(w["path"])
                weights.append(rec)
                continue
            base = by_path[w["path"]]
            if cond in base["requires"]:
                continue
            changes = {}
            for key in ("shape", "trainable", "parameter", "coverage", "transform", "segments", "fixed",
                        "closure", "inner", "dtype", "clone"):
                if rec.get(key) != base.get(key):
                    changes[key] = rec.get(key)
            if changes:
                base.setdefault("variants", []).append({"when": cond, "changes": changes})
        if added:
            vinfo["adds"] = added
        if removed:
            vinfo["removes"] = removed
        variants_probed.append(vinfo)
    entry["probe"] = probe
    entry["variants_probed"] = variants_probed
    for rec in weights:
        extra = []
        for var in rec.get("variants", []):
            ch = var["changes"]
            parts = []
            for key in sorted(ch):
                if key == "segments" or (key == "closure" and ch[key] is None):
                    continue
                val = ch[key]
                if isinstance(val, dict) and "class" in val:
                    val = "%s(%s)" % (val["class"], json.dumps(val.get("config"), sort_keys=True))
                elif isinstance(val, dict) and "callable" in val:
                    val = val["callable"]
                parts.append("%s %s" % (key, json.dumps(val, sort_keys=True) if not isinstance(val, str) else val))
            if parts:
                extra.append("with %s: %s" % (format_condition(var["when"]), ", ".join(parts)))
        if extra:
            rec["note"] = "; ".join(([rec["note"]] if rec.get("note") else []) + extra)
    entry["weights"] = weights
    entry["undeclared_initializer_kwargs"] = None  # filled by probe_undeclared
    entry["_spec"] = spec
    return entry


def probe_undeclared(fl, builder, cls, entry, all_init_names):
    """Which *_initializer keywords NOT in the signature the constructor accepts, and whether they reach a weight."""
    spec = entry.get("_spec")
    if spec is None or entry.get("probe", {}).get("status") != "built":
        return None
    declared = set(entry["initializer_params"])
    accepted = {}
    for pname in sorted(all_init_names - declared):
        v = probe_value(40)
        if not builder.constructs(cls, spec, {pname: fl.initializers.Constant(v)}):
            continue
        res = builder.build(cls, spec, extra_kwargs={pname: fl.initializers.Constant(v)})
        if not res.ok:
            continue
        reached = [w["path"] for w in res.weights
                   if fl.np.asarray(w["value"]).size and (fl.np.asarray(w["value"]) == fl.np.float32(v)).any()]
        accepted[pname] = {"reached_weights": reached}
    return accepted


def undeclared_rejection_sample(fl, builder):
    cls = fl.layer_cls("Dense")
    res = builder.build(cls, {"args": [3], "inputs": VEC}, extra_kwargs={"gamma_initializer": "zeros"})
    return res.error if not res.ok else "accepted"


def collect_layers(fl, log):
    builder = Builder(fl)
    found, nonclass = enumerate_layers(fl)
    keys = class_keys(found)
    layers = {}
    all_init_names = set()
    for cls in found:
        all_init_names.update(initializer_param_names(cls))
    for cls in sorted(found, key=lambda c: keys[c]):
        key = keys[cls]
        t0 = time.time()
        gc.collect()
        entry = probe_layer(fl, builder, cls, key, found[cls])
        entry["spellings"] = sorted(found[cls])
        if "_spec" in entry:
            entry["undeclared_initializer_kwargs"] = probe_undeclared(fl, builder, cls, entry, all_init_names)
            del entry["_spec"]
        if entry.get("undeclared_initializer_kwargs") is None:
            entry.pop("undeclared_initializer_kwargs", None)
        layers[key] = entry
        log("layer %-32s %.1fs" % (key, time.time() - t0))
    rejection = undeclared_rejection_sample(fl, builder)
    return layers, nonclass, rejection, builder


# ----------------------------------------------------------------------------------------------
# Initializers
# ----------------------------------------------------------------------------------------------

EXTRA_IDENTIFIER_CANDIDATES = [
    "normal", "uniform", "one", "zero", "gaussian", "laplacian", "xavier_uniform", "xavier_normal",
    "kaiming_normal", "kaiming_uniform", "glorot_uniform_initializer", "he_normal_initializer",
    "keras.initializers.GlorotUniform", "initializers.glorot_uniform", "", "None", "none",
    "truncated_normal_initializer", "random_normal_initializer", "stft",
]


def effective_attributes(obj):
    out = {}
    for k, v in sorted(vars(obj).items()):
        if k.startswith("_") or "seed" in k or "generator" in k:
            continue
        j = jsonable(v)
        if isinstance(j, dict) and "$repr" in j:
            continue
        out[k] = j
    return out


# Numbers given to a numeric constructor argument to find whether the constructor rejects
# non-positive (or negative) values, and strings appended to an accepted choice to confirm that a
# string argument is compared exactly.
NUMBER_PROBES = {"negative": [-1.0, -1, -1e-07], "zero": [0, 0.0], "positive": [1e-07, 0.5, 1, 2.0, 100.0]}
STRING_PROBE = "keras_lsp_probe"


def _quiet(f):
    """f() with warnings and stderr suppressed: (value, None) or (None, exception)."""
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            return f(), None
    except Exception as exc:  # noqa: BLE001 -- the probe records what Keras raises
        return None, exc


def _module_strings(cls):
    """The string constants of the source of `cls`'s module (candidate values of its choices)."""
    import ast
    try:
        tree = ast.parse(inspect.getsource(sys.modules[cls.__module__]))
    except Exception:  # noqa: BLE001
        return set()
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def argument_checks(cls):
    """What the constructor of `cls` rejects, measured one argument at a time (the others default).

    * a string argument (string default): when STRING_PROBE raises, `choices` are the string
      constants of the class's module the constructor accepts; `ignore_case` when each choice upper-
      cased and capitalized is accepted too; recorded only when each choice with a suffix is
      rejected (the comparison is exact, up to case) and the error message quotes accepted values
      only (it enumerates the valid ones);
    * a numeric argument (int or float default, not bool): `positive` when every negative and zero
      probe raises and every positive one does not, `non_negative` when the negatives raise and zero
      and the positives do not.
    `error` is the type of what the first rejected probe raised (its message may print a set, in
    an order that changes from run to run)."""
    out = {}
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return out
    for name, p in list(sig.parameters.items())[1:]:
        d = p.default
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) or d is inspect.Parameter.empty:
            continue
        if isinstance(d, str):
            _, exc = _quiet(lambda: cls(**{name: STRING_PROBE}))
            if exc is None:
                continue
            choices = sorted(v for v in _module_strings(cls) if _quiet(lambda v=v: cls(**{name: v}))[1] is None)
            if not choices or d not in choices:
                continue
            if any(_quiet(lambda v=v: cls(**{name: v + "_x"}))[1] is None for v in choices):
                continue
            # The message must enumerate accepted values (and only those): a choice left out of
            # the module's constants (scipy's window names for STFT's `window`) must not be
            # reported as an error.
            quoted = set(re.findall(r"'([^']*)'", str(exc)))
            if not quoted or not quoted <= set(choices):
                continue
            variants = [f(v) for v in choices for f in (str.upper, str.capitalize)]
            ignore_case = all(_quiet(lambda v=v: cls(**{name: v}))[1] is None for v in variants)
            out[name] = {"choices": choices, "ignore_case": ignore_case, "error": type(exc).__name__}
        elif isinstance(d, (int, float)) and not isinstance(d, bool):
            raised = {k: [_quiet(lambda v=v: cls(**{name: v}))[1] for v in vs] for k, vs in NUMBER_PROBES.items()}
            if any(raised["positive"]) or not all(raised["negative"]):
                continue
            if all(raised["zero"]):
                out[name] = {"positive": True, "error": type(raised["negative"][0]).__name__}
            elif not any(raised["zero"]):
                out[name] = {"non_negative": True, "error": type(raised["negative"][0]).__name__}
    return out


# Weight shapes of each rank given to a default instance (each rank two shapes of other sizes).
RANK_PROBES = {r: [tuple([3] * r), tuple(([2, 5] * 3)[:r])] for r in range(0, 6)}


def rank_errors(obj):
    """{rank: error} for the ranks at which calling the default instance `obj` on a float32 shape
    raises, for both probe shapes, from the initializer's own code (the innermost frame of the
    traceback in a module of the `initializers` package, not in a backend library): what
    `add_weight` meets at build for a weight of that rank, whatever the backend."""
    out = {}
    for rank, shapes in RANK_PROBES.items():
        errs = []
        for shape in shapes:
            _, exc = _quiet(lambda shape=shape: obj(shape, dtype="float32"))
            if not isinstance(exc, ValueError):
                break
            tb = exc.__traceback__
            while tb.tb_next is not None:
                tb = tb.tb_next
            if "initializers" not in tb.tb_frame.f_code.co_filename.replace("\\", "/").split("/")[-2:][0]:
                break
            errs.append(err_text(exc))
        if len(errs) == len(shapes):
            out[str(rank)] = errs[0]
    return out


def describe_initializer_class(fl, cls):
    info = {"source": source_of(cls), "module": cls.__module__,
            "bases": [b.__name__ for b in cls.__mro__[1:] if b is not object],
            "signature": signature_json(cls.__init__)}
    try:
        obj = cls()
    except Exception as exc:
        info["default_error"] = err_text(exc)
        return info
    d = describe_initializer(obj, fl)
    if "config" in d:
        info["default_config"] = d["config"]
    elif "config_error" in d:
        info["default_config_error"] = d["config_error"]
    info["effective"] = effective_attributes(obj)
    checks = argument_checks(cls)
    if checks:
        info["argument_checks"] = checks
    ranks = rank_errors(obj)
    if ranks:
        info["rank_errors"] = ranks
    return info


def collect_initializers(fl):
    mod = fl.initializers
    module_names = {}
    module_functions = []
    classes = {}
    public = sorted(a for a in dir(mod) if not a.startswith("_"))
    for attr in public:
        obj = getattr(mod, attr)
        if inspect.isclass(obj):
            module_names[attr] = obj.__name__
            classes.setdefault(obj.__name__, obj)
        elif inspect.ismodule(obj):
            continue
        elif callable(obj):
            module_functions.append(attr)

    candidates = set(EXTRA_IDENTIFIER_CANDIDATES)
    for attr in public:
        if attr in module_functions:
            continue
        base = [attr, to_snake(attr), to_camel(attr)]
        for b in base:
            candidates.update({b, b + "V2", b.upper(), b.lower(), b.capitalize(), b.title(),
                               b.replace("_", ""), b + "_initializer"})
    identifiers, broken, rejected = {}, {}, []
    id_classes = {}
    for cand in sorted(candidates):
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                obj = mod.get(cand)
        except (ValueError, TypeError) as exc:
            msg = str(exc)
            if "Could not interpret" in msg or "Unknown" in msg or "unknown" in msg:
                rejected.append(cand)
            else:
                broken[cand] = err_text(exc)
            continue
        except Exception as exc:
            broken[cand] = err_text(exc)
            continue
        if obj is None:
            rejected.append(cand)
            continue
        cls = obj if inspect.isclass(obj) else type(obj)
        identifiers[cand] = cls.__name__
        id_classes.setdefault(cls.__name__, cls)
    for name, cls in id_classes.items():
        classes.setdefault(name, cls)
    class_info = {}
    for name, cls in sorted(classes.items()):
        class_info[name] = describe_initializer_class(fl, cls)
    # Resolution details of the accepted identifiers (instances built by initializers.get()).
    identifier_configs = {}
    for cand in sorted(identifiers):
        obj = mod.get(cand)
        if inspect.isclass(obj):
            continue
        d = describe_initializer(obj, fl)
        identifier_configs[cand] = {"class": d.get("class"), "module": d.get("module"), "config": d.get("config")}
    return {
        "spelling": fl.initializers_spelling,
        "identifiers": identifiers,
        "identifier_objects": identifier_configs,
        "broken_identifiers": broken,
        "rejected_identifiers": sorted(rejected),
        "module_names": module_names,
        "module_functions": sorted(module_functions),
        "get_signature": signature_json(mod.get, skip_first=False),
        "classes": class_info,
    }


def collect_add_weight_defaults(fl, builder):
    out = {"signature": signature_json(builder.capture.orig_add_weight)}
    per_dtype = {}
    for dtype in ("float32", "float16", "bfloat16", "float64", "int32", "int64", "uint8", "bool"):
        fl.reset()
        layer = fl.Layer()
        with builder.capture.recording() as calls:
            try:
                with contextlib.redirect_stderr(io.StringIO()):
                    layer.add_weight(shape=(2, 2), dtype=dtype, name="w")
            except Exception as exc:
                per_dtype[dtype] = {"error": err_text(exc)}
                continue
        call = calls[-1]
        hits = [g for g in call["gets"] if g[1] is not None]
        ident = hits[0][0] if hits else None
        d = describe_initializer(call["resolved"], fl) or {}
        per_dtype[dtype] = {"identifier": jsonable(ident), "class": d.get("class"), "config": d.get("config")}
    out["initializer_none"] = per_dtype
    # Keras 3 rejects a positional name; Keras 2 takes name first.
    fl.reset()
    layer = fl.Layer()
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            v = layer.add_weight("w", (2, 2))
        out["positional_name"] = {"accepted": True, "variable": fl.var_path(v)}
    except Exception as exc:
        out["positional_name"] = {"accepted": False, "error": err_text(exc)}
    return out


# ----------------------------------------------------------------------------------------------
# TF core initializers (keras2 flavor)
# ----------------------------------------------------------------------------------------------

TF_CORE_SPELLINGS = [
    "tf.random_normal_initializer", "tf.random_uniform_initializer", "tf.zeros_initializer",
    "tf.ones_initializer", "tf.constant_initializer", "tf.truncated_normal_initializer",
    "tf.glorot_uniform_initializer", "tf.glorot_normal_initializer", "tf.orthogonal_initializer",
    "tf.variance_scaling_initializer", "tf.uniform_unit_scaling_initializer",
    "tf.compat.v1.random_normal_initializer", "tf.compat.v1.truncated_normal_initializer",
    "tf.compat.v1.random_uniform_initializer", "tf.compat.v1.glorot_uniform_initializer",
    "tf.compat.v1.glorot_normal_initializer", "tf.compat.v1.orthogonal_initializer",
    "tf.compat.v1.variance_scaling_initializer", "tf.compat.v1.uniform_unit_scaling_initializer",
    "tf.compat.v1.constant_initializer", "tf.compat.v1.zeros_initializer", "tf.compat.v1.ones_initializer",
    "tf.compat.v1.initializers.he_normal", "tf.compat.v1.initializers.he_uniform",
    "tf.compat.v1.initializers.lecun_normal", "tf.compat.v1.initializers.lecun_uniform",
    "tf.compat.v1.initializers.glorot_uniform", "tf.compat.v1.initializers.glorot_normal",
    "tf.compat.v1.initializers.random_normal", "tf.compat.v1.initializers.random_uniform",
    "tf.compat.v1.initializers.truncated_normal", "tf.compat.v1.initializers.constant",
    "tf.compat.v1.initializers.zeros", "tf.compat.v1.initializers.ones",
    "tf.compat.v1.initializers.identity", "tf.compat.v1.initializers.orthogonal",
    "tf.compat.v1.initializers.variance_scaling", "tf.compat.v1.initializers.uniform_unit_scaling",
    "tf.compat.v1.keras.initializers.glorot_uniform", "tf.compat.v1.keras.initializers.RandomNormal",
    "tf.initializers.GlorotUniform", "tf.initializers.glorot_uniform", "tf.initializers.RandomNormal",
    "tf.keras.initializers.GlorotUniform", "tf.keras.initializers.RandomNormal",
]

TF_MODULE_ALIASES = ["tf.initializers", "tf.compat.v2.initializers", "tf.compat.v2.keras.initializers",
                     "tf.keras.initializers", "tf.compat.v1.keras.initializers", "tf.compat.v1.initializers"]


def resolve_dotted(root, dotted):
    obj = root
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def describe_tf_object(obj, fl=None):
    d = describe_initializer(obj, fl)
    return d


def tf_core_entry(tf, spelling, keras_serialize=None):
    entry = {"spelling": spelling}
    try:
        obj = resolve_dotted(tf, spelling)
    except AttributeError as exc:
        entry["exists"] = False
        entry["error"] = err_text(exc)
        return entry, None
    entry["exists"] = True
    entry["kind"] = "class" if inspect.isclass(obj) else "function" if callable(obj) else type(obj).__name__
    target = obj.__init__ if inspect.isclass(obj) else obj
    entry["signature"] = signature_json(target, skip_first=inspect.isclass(obj))
    entry["defined_as"] = "%s.%s" % (getattr(obj, "__module__", "?"), getattr(obj, "__qualname__", "?"))
    try:
        inst = obj()
    except Exception as exc:
        entry["default_error"] = err_text(exc)
        return entry, None
    d = describe_initializer(inst)
    entry["class"] = d.get("class")
    entry["module"] = d.get("module")
    entry["default_config"] = d.get("config")
    entry["effective"] = effective_attributes(inst)
    return entry, inst


def collect_tf_core(fl, script, out_log):
    tf = fl.tf
    entries = {}
    for spelling in TF_CORE_SPELLINGS:
        entry, inst = tf_core_entry(tf, spelling)
        if inst is not None:
            try:
                entry["tf_keras_serialized"] = jsonable(fl.root.initializers.serialize(inst))
            except Exception as exc:
                entry["tf_keras_serialized"] = {"error": err_text(exc)}
            # Does a tf_keras layer accept it, and which object reaches add_weight?
            entry["tf_keras_dense_kernel"] = tf_keras_dense_probe(fl, inst)
        entries[spelling] = entry
    aliases = {}
    for spelling in TF_MODULE_ALIASES:
        try:
            m = resolve_dotted(tf, spelling)
            aliases[spelling] = getattr(m, "__name__", type(m).__name__)
        except AttributeError as exc:
            aliases[spelling] = {"error": err_text(exc)}
    # What Keras 3 on the TF backend reports for the same spellings (separate process: no legacy flag).
    k3 = run_keras3_tf_helper(script, out_log)
    if isinstance(k3, dict) and "entries" in k3:
        for spelling, info in k3["entries"].items():
            if spelling in entries:
                entries[spelling]["keras3_tf_backend"] = info
        aliases_k3 = k3.get("module_aliases")
    else:
        aliases_k3 = k3
    return {"spellings": entries, "module_aliases_with_legacy_flag": aliases,
            "module_aliases_keras3_default": aliases_k3}


def tf_keras_dense_probe(fl, inst):
    builder = Builder.__new__(Builder)
    builder.fl = fl
    builder.capture = fl._capture
    res = builder.build(fl.layer_cls("Dense"), {"args": [3], "inputs": VEC}, extra_kwargs={"kernel_initializer": inst})
    if not res.ok:
        return {"accepted": False, "error": res.error}
    kern = [w for w in res.weights if w["path"] == "kernel"]
    if not kern:
        return {"accepted": True, "kernel": None}
    return {"accepted": True, "same_object_reaches_add_weight": kern[0]["resolved"] is inst,
            "initializer": describe_initializer(kern[0]["resolved"])}


def run_keras3_tf_helper(script, out_log):
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)
    env["KERAS_BACKEND"] = "tensorflow"
    try:
        proc = subprocess.run([sys.executable, script, "--flavor", "tfcore-keras3"], env=env,
                              capture_output=True, text=True, timeout=900)
    except Exception as exc:
        return {"error": err_text(exc)}
    if proc.returncode != 0:
        out_log(proc.stderr[-2000:])
        return {"error": sanitize(proc.stderr[-400:])}
    return json.loads(proc.stdout)


def tfcore_keras3_main():
    """Helper mode: Keras 3 (as tf.keras, TF backend) view of the TF-core spellings. Prints JSON."""
    import tensorflow as tf
    import keras
    from keras.src import initializers as init_impl  # noqa: F401
    import numpy as np
    fl = types.SimpleNamespace(np=np)
    out = {"versions": {"keras": keras.__version__, "tensorflow": tf.__version__}, "entries": {}}
    for spelling in TF_CORE_SPELLINGS:
        try:
            obj = resolve_dotted(tf, spelling)
        except AttributeError:
            continue
        try:
            inst = obj()
        except Exception as exc:
            out["entries"][spelling] = {"error": err_text(exc)}
            continue
        info = {"class": type(inst).__name__, "module": type(inst).__module__}
        try:
            ser = keras.saving.serialize_keras_object(inst)
            if isinstance(ser, dict):
                ser = dict(ser)
                ser.pop("registered_name", None) if ser.get("registered_name") is None else None
            info["serialized"] = jsonable(ser)
        except Exception as exc:
            info["serialized"] = {"error": err_text(exc)}
        keras.backend.clear_session()
        try:
            d = keras.layers.Dense(3, kernel_initializer=inst)
            d(np.zeros((1, 4), dtype="float32"))
            info["dense_kernel_initializer_attr"] = type(d.kernel_initializer).__name__
            info["accepted_by_dense"] = True
        except Exception as exc:
            info["accepted_by_dense"] = False
            info["dense_error"] = err_text(exc)
        out["entries"][spelling] = info
    aliases = {}
    for spelling in TF_MODULE_ALIASES:
        try:
            m = resolve_dotted(tf, spelling)
            aliases[spelling] = getattr(m, "__name__", type(m).__name__)
        except AttributeError as exc:
            aliases[spelling] = {"error": err_text(exc)}
    out["module_aliases"] = aliases
    sys.stdout.write(json.dumps(out, sort_keys=True))


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

def summarize(layers):
    built = sorted(k for k, v in layers.items() if v.get("probe", {}).get("status") == "built")
    failed = {k: v["probe"]["error"] for k, v in sorted(layers.items())
              if v.get("probe", {}).get("status") == "failed"}
    with_weights = sorted(k for k, v in layers.items() if v.get("weights"))
    return {
        "classes": len(layers),
        "spellings": sum(len(v.get("spellings", [])) for v in layers.values()),
        "built": len(built),
        "weight_creating": with_weights,
        "weights": sum(len(v.get("weights", [])) for v in layers.values()),
        "not_built": failed,
        "not_layers": sorted(k for k, v in layers.items() if v.get("not_a_layer")),
    }


def generate(flavor, script, log):
    fl = Flavor(flavor)
    layers, nonclass, rejection, builder = collect_layers(fl, log)
    fl._capture = builder.capture
    data = {
        "generator": "tools/gen_keras_data.py",
        "flavor": flavor,
        "versions": fl.versions,
        "layers": layers,
        "layers_namespace_non_classes": nonclass,
        "undeclared_initializer_kwarg_error": rejection,
        "initializers": collect_initializers(fl),
        "add_weight": collect_add_weight_defaults(fl, builder),
        "probe_constants": "weights are attributed by building with keras.initializers.Constant(((2k+5)/8)**2) "
                           "for the k-th *_initializer parameter and reading the created values",
    }
    data["summary"] = summarize(layers)
    if flavor == "keras2":
        data["tf_core"] = collect_tf_core(fl, script, log)
    return data


def dumps(data):
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=True) + "\n"


def main(argv=None):
    global FLAVOR
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flavor", required=True, choices=["keras3", "keras2", "tfcore-keras3"])
    ap.add_argument("--out", help="write the JSON here (default: stdout)")
    ap.add_argument("--check", metavar="FILE", help="regenerate and compare with FILE; exit 1 on difference")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    FLAVOR = args.flavor
    setup_env(args.flavor)
    if args.flavor == "tfcore-keras3":
        tfcore_keras3_main()
        return 0
    script = os.path.abspath(__file__)

    def log(msg):
        if not args.quiet:
            sys.stderr.write(msg + "\n")

    text = dumps(generate(args.flavor, script, log))
    if args.check:
        with open(args.check) as fh:
            old = fh.read()
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                       args.check, "regenerated", n=2))
            sys.stderr.write("%s differs from a fresh generation\n" % args.check)
            return 1
        sys.stderr.write("%s is up to date\n" % args.check)
        return 0
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
