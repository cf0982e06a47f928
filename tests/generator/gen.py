#!/usr/bin/env python3
"""Random, realistic Keras programs for the differential test (tests/generator/run.py).

`generate(seed, flavor)` returns a program: a dict {relative path: source text} with an entry
point `main.py`, built from a grammar of the ways initializer values reach layers in real code:

- values: identifier strings, initializer objects (keyword and positional arguments), config dicts,
  `initializers.get`, None, custom initializer classes and functions, lambdas, registered names;
- flows: module constants (rebound, conditional, star-imported, rebound through `global`), helpers
  with defaults, `**kwargs` and `*args` called from several places (also helper -> helper), dicts
  built and mutated in any order (`[k] =`, `update`, `setdefault`, `pop`, `del`) under conditions on
  constants and on parameters, `{**a, **b}` and `dict(a, **b)`, loops (over values, over dicts of
  arguments, with a name rebound at the end of the body), `functools.partial`, config classes and
  dataclasses (attributes reassigned after the class body or on the instance), class hierarchies
  whose base `__init__` reads `self.X` / `self.make_init()` overridden by subclasses (also across
  modules), layer attributes reassigned before (or after) the layer is built, custom layers with
  `add_weight` and sub-layers, custom layers whose base `__init__` stores the initializer reached
  through `super().__init__(...)` chains (passed on, set again before/after, under a condition),
  `Sequential` lists, multi-file packages with relative imports,
  `setattr` with names from a loop over a dict or an f-string, the clone idiom behind `isinstance`,
  `serialize`/`deserialize`/`from_config`, loops over `enumerate`/`zip`/`.items()`/tuples;
- layers: Dense, Conv1D, Embedding, BatchNormalization, LayerNormalization, LSTM, GRU, SimpleRNN;
- spellings: `import keras`, `from keras import layers`, `from keras.layers import Dense`, aliases;
  with `flavor="tf"` also `tf.keras` (Keras 3 through TensorFlow) and `flavor="keras2"` the same
  spellings run under tf_keras (TF_USE_LEGACY_KERAS=1).

Every program is meant to run without raising (a program that raises is counted and skipped by the
runner), and every layer it constructs is built, except where a feature tests exactly that
(a construction that raises inside `try`, a layer attribute set after build).

Deterministic: the same (seed, flavor) always gives the same program. Standard library only.
"""

import random

# Identifiers accepted by `initializers.get` in both Keras 3.15.1 and tf_keras 2.21 that work on
# weights of any rank. ("constant" raises in Keras 3.15.1; "orthogonal" and "identity" need 2-D.)
IDS_ANY = [
    "zeros", "ones", "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
    "lecun_uniform", "random_normal", "random_uniform", "truncated_normal", "variance_scaling",
    "uniform", "normal", "GlorotUniform", "HeNormal", "Zeros", "Ones", "RandomNormal",
]
IDS_2D = ["orthogonal", "Orthogonal"]

# Initializer classes with a few argument sets each: (class, positional args, keyword args).
CLASSES = [
    ("HeNormal", [], {"seed": "SEED"}),
    ("HeUniform", ["SEED"], {}),
    ("GlorotNormal", [], {}),
    ("GlorotUniform", [], {"seed": "SEED"}),
    ("LecunNormal", [], {"seed": "SEED"}),
    ("LecunUniform", [], {}),
    ("Zeros", [], {}),
    ("Ones", [], {}),
    ("Constant", ["FLOAT"], {}),
    ("Constant", [], {"value": "FLOAT"}),
    ("RandomNormal", [], {"mean": "FLOAT", "stddev": "POS"}),
    ("RandomNormal", ["FLOAT", "POS"], {}),
    ("RandomUniform", [], {"minval": "NEG", "maxval": "POS", "seed": "SEED"}),
    ("TruncatedNormal", [], {"stddev": "POS", "seed": "SEED"}),
    ("VarianceScaling", [], {"scale": "POS", "mode": "MODE", "distribution": "DIST"}),
    ("VarianceScaling", ["POS", "MODE"], {}),
]
CLASSES_2D = [("Orthogonal", [], {"gain": "POS", "seed": "SEED"})]


# Keras 2 flavor: how the `keras` spellings of an import line are written for tf_keras.
KERAS2_SPELLING = {"keras": "import tf_keras as keras",
                   "keras.layers as KL": "import tf_keras.layers as KL"}


class Module:
    """One file of the program: its import lines (kept in first-use order) and its body."""

    def __init__(self, name, path, idx):
        self.name = name
        self.path = path
        self.idx = idx  # creation order: a package module imports only modules made before it
        self.imports = []
        self.prelude = []  # lines run before the body (the symbolic inputs of main)
        self.body = []

    def need(self, line):
        if line not in self.imports:
            self.imports.append(line)

    def add(self, text):
        self.body.append(text.rstrip("\n") + "\n")

    def text(self):
        head = "".join(line + "\n" for line in self.imports)
        head += "".join(line + "\n" for line in self.prelude)
        return head + "\n" + "\n".join(self.body)


class Gen:
    def __init__(self, seed, flavor="keras3"):
        self.r = random.Random(seed)
        self.seed = seed
        self.flavor = flavor
        self.n = 0
        self.modules = {}
        self.main = self.module("main", "main.py")
        # How this program spells Keras.
        styles = ["keras", "from", "names", "alias"]
        if flavor in ("tf", "keras2"):
            styles += ["tf", "tf", "fromtf"]
        self.style = self.r.choice(styles)
        self.custom_inits = []  # (module, class name, needs_args)
        self.custom_funcs = []  # (module, function name)
        self.registered = []  # (module, registered identifier)
        self.inputs_made = set()

    # ----- names and modules --------------------------------------------------------------

    def fresh(self, base):
        self.n += 1
        return f"{base}{self.n}"

    def module(self, name, path):
        if name not in self.modules:
            if "." in name:
                pkg = name.split(".")[0]
                if pkg not in self.modules:
                    self.modules[pkg] = Module(pkg, f"{pkg}/__init__.py", len(self.modules))
            m = Module(name, path, len(self.modules))
            self.modules[name] = m
        return self.modules[name]

    def pkg_module(self, importable_by=None):
        """A module of the package `pkg` (new or existing); with `importable_by`, one that module
        may import without a cycle (itself when there is none)."""
        existing = [m for m in self.modules.values() if m.name.startswith("pkg.")]
        if importable_by is not None and importable_by is not self.main:
            ok = [m for m in existing if self.can_import(importable_by, m)]
            return self.r.choice(ok) if ok else importable_by
        if existing and self.r.random() < 0.5:
            return self.r.choice(existing)
        name = self.fresh("mod")
        return self.module(f"pkg.{name}", f"pkg/{name}.py")

    def can_import(self, user, owner):
        return owner is user or user is self.main or (
            owner.name.startswith("pkg.") and user.name.startswith("pkg.") and owner.idx < user.idx)

    def import_from(self, user, owner, names):
        """Makes `names` of module `owner` available in module `user`; returns how to spell each."""
        if user is owner:
            return {n: n for n in names}
        if not self.can_import(user, owner):
            raise ValueError(f"{user.name} cannot import {owner.name} without a cycle")
        style = self.r.random()
        if user.name.startswith("pkg.") and style < 0.5:
            # A relative import inside the package.
            rel = owner.name.split(".", 1)[1]
            user.need(f"from .{rel} import {', '.join(names)}")
            return {n: n for n in names}
        if style < 0.8:
            user.need(f"from {owner.name} import {', '.join(names)}")
            return {n: n for n in names}
        alias = owner.name.replace(".", "_")
        user.need(f"import {owner.name} as {alias}")
        return {n: f"{alias}.{n}" for n in names}

    # ----- Keras spellings ------------------------------------------------------------------

    def L(self, m, cls):
        """The spelling of layer class `cls` in module `m`."""
        s = self.style
        if s == "keras":
            m.need("import keras")
            return f"keras.layers.{cls}"
        if s == "from":
            m.need("from keras import layers")
            return f"layers.{cls}"
        if s == "names" and cls != "Layer":
            line = next((l for l in m.imports if l.startswith("from keras.layers import ")), None)
            if line is None:
                m.need(f"from keras.layers import {cls}")
            elif cls not in line[len("from keras.layers import "):].split(", "):
                m.imports[m.imports.index(line)] = line + f", {cls}"
            return cls
        if s == "alias" or s == "names":
            m.need("import keras.layers as KL")
            return f"KL.{cls}"
        if s in ("tf",):
            m.need("import tensorflow as tf")
            return f"tf.keras.layers.{cls}"
        m.need("from tensorflow import keras")
        return f"keras.layers.{cls}"

    def I(self, m, cls):
        """The spelling of initializer class (or function such as `get`) `cls` in module `m`."""
        s = self.style
        if s in ("keras", "fromtf"):
            m.need("import keras" if s == "keras" else "from tensorflow import keras")
            return f"keras.initializers.{cls}"
        if s in ("from", "names"):
            m.need("from keras import initializers")
            return f"initializers.{cls}"
        if s == "alias":
            m.need("from keras import initializers as KI")
            return f"KI.{cls}"
        m.need("import tensorflow as tf")
        return f"tf.keras.initializers.{cls}"

    def tensor(self, m, fn, args):
        """A tensor-making call inside an initializer: `keras.ops.zeros(...)` / `keras.random.
        uniform(...)` in Keras 3, TensorFlow's own in Keras 2 (tf_keras has no `ops`)."""
        if self.flavor == "keras2":
            m.need("import tensorflow as tf")
            return f"tf.{fn}({args})"
        k = self.keras_mod(m)
        return f"{k}.{fn if fn.startswith('random.') else 'ops.' + fn}({args})"

    def register(self, m):
        """The spelling of `register_keras_serializable` in module `m` (Keras 3's `tf.keras` has
        no `saving`, only `utils`)."""
        k = self.keras_mod(m)
        tf_spelled = self.style in ("tf", "fromtf")
        return f"{k}.{'utils' if tf_spelled or self.r.random() < 0.3 else 'saving'}.register_keras_serializable"

    def keras_mod(self, m):
        if self.style in ("tf",):
            m.need("import tensorflow as tf")
            return "tf.keras"
        if self.style == "fromtf":
            m.need("from tensorflow import keras")
            return "keras"
        m.need("import keras")
        return "keras"

    def inp(self, kind):
        """A symbolic input for layers of `kind` ('2d', '3d' or 'int'), made once in main."""
        name = {"2d": "X2", "3d": "X3", "int": "XI"}[kind]
        if kind not in self.inputs_made:
            self.inputs_made.add(kind)
            k = self.keras_mod(self.main)
            shape = {"2d": "(6,)", "3d": "(5, 6)", "int": "(5,)"}[kind]
            extra = ', dtype="int32"' if kind == "int" else ""
            self.main.prelude.append(f"{name} = {k}.Input(shape={shape}{extra})")
        return name

    # ----- values ----------------------------------------------------------------------------

    def num(self, kind):
        v = self.num_literal(kind)
        if kind in ("SEED", "FLOAT", "POS", "NEG") and self.r.random() < 0.2:
            return self.constant_expr(kind, v)
        return v

    def constant_expr(self, kind, v):
        """An expression of built-ins, comparisons and `in` on constants whose value is `v` (a
        literal of `kind`) or another value of that kind, as Python computes it (issue 13 item 3:
        max/min/abs/round/float/int, ordering comparisons, `in`)."""
        r = self.r
        if kind == "SEED":
            return r.choice([f"int({v}.9)", f"round({v}.5)", f"max({v}, 1)", f"abs(-{v})",
                             f"min({v}, 200)", f"int('{v}')", f"round({v})"])
        neg = v.startswith("-")
        alt = "-0.75" if neg else "0.75"
        choices = [f"float({v})", f"max({v}, {v})", f"min({v}, 3.5)" if not neg else f"min({v}, 0)",
                   f"({v} if 1 < 2 else 9.0)" if not neg else f"({v} if 1 < 2 else -9.0)", f"({v} if 'a' in ('b', 'c') else {alt})",
                   f"({alt} if 2.5 < 2 else {v})"]
        if kind != "POS":
            choices.append(f"round({v} * 4) / 4")
        if neg:
            choices += [f"-abs({v})"]
        else:
            choices += [f"abs({v})", f"abs(-{v})", f"max(0.0, {v})"]
        return r.choice(choices)

    def num_literal(self, kind):
        r = self.r
        if kind == "SEED":
            return str(r.choice([1, 2, 3, 7, 42, 123]))
        if kind == "FLOAT":
            return r.choice(["0.1", "0.5", "-0.25", "1.5", "2", "0.0"])
        if kind == "POS":
            return r.choice(["0.02", "0.05", "1.0", "2.0", "0.5"])
        if kind == "NEG":
            return r.choice(["-0.05", "-1.0", "-0.5"])
        if kind == "MODE":
            return repr(r.choice(["fan_in", "fan_out", "fan_avg"]))
        if kind == "DIST":
            return repr(r.choice(["uniform", "truncated_normal", "untruncated_normal", "normal"]))
        raise KeyError(kind)

    def init_object(self, m, rank2=False):
        pool = CLASSES + (CLASSES_2D if rank2 else [])
        cls, pos, kw = self.r.choice(pool)
        parts = [self.num(p) for p in pos]
        for k, v in kw.items():
            if self.r.random() < 0.7:
                parts.append(f"{k}={self.num(v)}")
        return f"{self.I(m, cls)}({', '.join(parts)})"

    def init_value(self, m, rank2=False, simple=False, no_func=False):
        """An expression, valid in module `m`, that Keras accepts as an initializer. `rank2`: the
        weight is 2-D (True), of any rank (False), a BatchNormalization moving statistic ("stat":
        Keras calls it with `dtype` twice, so no plain functions), or an RNN weight ("rnn": None
        breaks the LSTM bias closure). `no_func`: no plain function (a class attribute holding one
        becomes a method)."""
        r = self.r.random()
        if rank2 == "stat":
            rank2, no_func = False, True
        no_none = rank2 == "rnn"
        if no_none:
            rank2 = False
        if no_func and 0.87 <= r < 0.95 or no_none and 0.75 <= r < 0.77:
            r = 0.5
        ids = IDS_ANY + (IDS_2D if rank2 else [])
        if simple or r < 0.35:
            return repr(self.r.choice(ids))
        if r < 0.65:
            return self.init_object(m, rank2)
        if r < 0.70:
            return f"{self.I(m, 'get')}({self.r.choice(ids)!r})"
        if r < 0.75:
            cls, _, kw = self.r.choice([c for c in CLASSES if c[0] != "Constant"])
            cfg = ", ".join(f"{k!r}: {self.num(v)}" for k, v in kw.items() if self.r.random() < 0.6)
            d = f'{{"class_name": {cls!r}, "config": {{{cfg}}}}}'
            return d if self.r.random() < 0.5 else f"{self.I(m, 'get')}({d})"
        if r < 0.77:
            return "None"
        if r < 0.87:
            return self.custom_init_value(m)
        if r < 0.92:
            return self.custom_func_value(m)
        if r < 0.95:
            return f"(lambda shape, dtype=None: {self.tensor(m, 'zeros', 'shape, dtype=dtype')})"
        if r < 0.97:
            return self.registered_value(m)
        return repr(self.r.choice(ids))

    def custom_init_value(self, m):
        """An instance of a workspace initializer class (defined in `m` or a package module)."""
        if not self.custom_inits or self.r.random() < 0.4:
            owner = m if self.r.random() < 0.5 else self.pkg_module(importable_by=m)
            name = self.fresh("Init")
            k = self.keras_mod(owner)
            if self.r.random() < 0.5:
                owner.add(
                    f"class {name}({self.I(owner, 'Initializer')}):\n"
                    f"    def __init__(self, scale=1.0):\n"
                    f"        self.scale = scale\n\n"
                    f"    def __call__(self, shape, dtype=None):\n"
                    f"        return self.scale * {self.tensor(owner, 'ones', 'shape, dtype=dtype')}\n\n"
                    f"    def get_config(self):\n"
                    f"        return {{\"scale\": self.scale}}\n"
                )
                self.custom_inits.append((owner, name, "scale"))
            else:
                base = self.r.choice(["HeNormal", "GlorotUniform", "RandomNormal"])
                owner.add(
                    f"class {name}({self.I(owner, base)}):\n"
                    f"    def __call__(self, shape, dtype=None):\n"
                    f"        return 0.5 * super().__call__(shape, dtype=dtype)\n"
                )
                self.custom_inits.append((owner, name, "seed" if base != "RandomNormal" else "stddev"))
        usable = [c for c in self.custom_inits if self.can_import(m, c[0])]
        if not usable:
            return repr(self.r.choice(IDS_ANY))
        owner, name, arg = self.r.choice(usable)
        spelled = self.import_from(m, owner, [name])[name] if owner is not m else name
        if self.r.random() < 0.5:
            val = self.num("SEED") if arg == "seed" else self.num("POS")
            return f"{spelled}({arg}={val})"
        return f"{spelled}()"

    def custom_func_value(self, m):
        if not self.custom_funcs or self.r.random() < 0.4:
            owner = m if self.r.random() < 0.6 else self.pkg_module(importable_by=m)
            name = self.fresh("tiny_init")
            k = self.keras_mod(owner)
            owner.add(
                f"def {name}(shape, dtype=None):\n"
                f"    return {self.tensor(owner, 'random.uniform', 'shape, -1e-3, 1e-3, dtype=dtype')}\n"
            )
            self.custom_funcs.append((owner, name))
        usable = [c for c in self.custom_funcs if self.can_import(m, c[0])]
        if not usable:
            return repr(self.r.choice(IDS_ANY))
        owner, name = self.r.choice(usable)
        return self.import_from(m, owner, [name])[name] if owner is not m else name

    def registered_value(self, m):
        """A string registered with `register_keras_serializable` in a package module that main
        imports (so the registration has run before any construction)."""
        owner = self.pkg_module(importable_by=m)
        name = self.fresh("Reg")
        pkg = self.r.choice(["gen", "Custom"])
        k = self.keras_mod(owner)
        explicit = self.r.random() < 0.3
        reg = self.register(owner)
        deco = (f'@{reg}(package="{pkg}", name="{name}x")' if explicit else f'@{reg}(package="{pkg}")')
        owner.add(
            f"{deco}\n"
            f"class {name}({self.I(owner, 'Initializer')}):\n"
            f"    def __call__(self, shape, dtype=None):\n"
            f"        return {self.tensor(owner, 'ones', 'shape, dtype=dtype')}\n\n"
            f"    def get_config(self):\n"
            f"        return {{}}\n"
        )
        if owner is not m:
            self.main.need(f"import {owner.name}  # registers {name}")
        return repr(f"{pkg}>{name}x" if explicit else f"{pkg}>{name}")

    # ----- layers -------------------------------------------------------------------------------

    LAYERS = {
        # class: (input kind, required positional args, {initializer parameter: rank-2 weight?},
        #         switches that can remove weights)
        "Dense": ("2d", ["UNITS"], {"kernel_initializer": True, "bias_initializer": False}, ["use_bias"]),
        "Conv1D": ("3d", ["UNITS", "2"], {"kernel_initializer": False, "bias_initializer": False}, ["use_bias"]),
        "Embedding": ("int", ["10", "UNITS"], {"embeddings_initializer": True}, []),
        "BatchNormalization": ("2d", [], {"beta_initializer": False, "gamma_initializer": False,
                                          "moving_mean_initializer": "stat",
                                          "moving_variance_initializer": "stat"}, ["center", "scale"]),
        "LayerNormalization": ("2d", [], {"beta_initializer": False, "gamma_initializer": False},
                               ["center", "scale"]),
        "LSTM": ("3d", ["UNITS"], {"kernel_initializer": True, "recurrent_initializer": True,
                                   "bias_initializer": "rnn"}, ["use_bias", "unit_forget_bias"]),
        "GRU": ("3d", ["UNITS"], {"kernel_initializer": True, "recurrent_initializer": True,
                                  "bias_initializer": "rnn"}, ["use_bias"]),
        "SimpleRNN": ("3d", ["UNITS"], {"kernel_initializer": True, "recurrent_initializer": True,
                                        "bias_initializer": "rnn"}, ["use_bias"]),
    }

    def layer_kind(self, dense_bias=0.6):
        if self.r.random() < dense_bias:
            return "Dense"
        return self.r.choice(list(self.LAYERS))

    def units(self):
        return str(self.r.choice([2, 3, 4, 8]))

    def pos_args(self, cls):
        return [self.units() if a == "UNITS" else a for a in self.LAYERS[cls][1]]

    def some_kwargs(self, m, cls, k=None):
        """A few `param=value` keyword arguments for `cls` (initializers and switches)."""
        _, _, params, switches = self.LAYERS[cls]
        out = []
        names = list(params)
        self.r.shuffle(names)
        for p in names[: k if k is not None else self.r.randint(0, min(2, len(names)))]:
            out.append((p, self.init_value(m, rank2=params[p])))
        if switches and self.r.random() < 0.25:
            out.append((self.r.choice(switches), self.r.choice(["True", "False"])))
        return out

    def ctor(self, m, cls, kwargs, extra_pos=None):
        args = self.pos_args(cls) if extra_pos is None else extra_pos
        parts = list(args) + [f"{k}={v}" for k, v in kwargs]
        return f"{self.L(m, cls)}({', '.join(parts)})"

    def use(self, expr, cls):
        """Main applies the layer `expr` to an input of its kind (so Keras builds it)."""
        x = self.inp(self.LAYERS[cls][0])
        out = self.fresh("y")
        self.main.add(f"{out} = {expr}({x})")
        return out

    # ----- features: each adds definitions and uses ------------------------------------------------

    def f_direct(self):
        """A layer constructed and applied where its arguments are written."""
        cls = self.layer_kind()
        self.use(self.ctor(self.main, cls, self.some_kwargs(self.main, cls)), cls)

    def f_constant(self):
        """A module constant, maybe rebound (conditionally or in a later statement)."""
        m = self.main if self.r.random() < 0.6 else self.pkg_module()
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        name = self.fresh("INIT").upper()
        m.add(f"{name} = {self.init_value(m, rank2)}")
        spelled = self.import_from(self.main, m, [name])[name] if m is not self.main else name
        r = self.r.random()
        if m is self.main and r < 0.3:
            flag = self.flag()
            self.main.add(f"if {flag}:\n    {name} = {self.init_value(self.main, rank2)}")
        elif m is self.main and r < 0.5:
            self.main.add(f"{name} = {self.init_value(self.main, rank2)}")
        self.use(self.ctor(self.main, cls, [(p, spelled)]), cls)
        if m is self.main and self.r.random() < 0.3:
            self.main.add(f"{name} = {self.init_value(self.main, rank2)}")
            self.use(self.ctor(self.main, cls, [(p, name)]), cls)

    def flag(self, m=None):
        """A module-level constant flag of main (True or False), or a comparison on constants."""
        m = m or self.main
        name = self.fresh("FLAG").upper()
        r = self.r.random()
        if r < 0.6:
            m.add(f"{name} = {self.r.choice(['True', 'False'])}")
            return name
        if r < 0.8:
            m.add(f"{name} = {self.r.choice(['1', '0', '2'])}")
            return f"{name} > 0" if self.r.random() < 0.5 else f"{name} == 1"
        m.add(f"{name} = {self.r.choice(['small', 'big'])!r}")
        return f"{name} == 'small'"

    def f_kwargs_helper(self):
        """A helper forwarding **kwargs to the layer, called from several places."""
        m = self.main if self.r.random() < 0.6 else self.pkg_module()
        cls = self.layer_kind(0.8)
        h = self.fresh("make_layer")
        pos = self.pos_args(cls)
        params = ", ".join(f"a{i}" for i in range(len(pos)))
        sig = f"{params}, **kwargs" if params else "**kwargs"
        r = self.r.random()
        if r < 0.5:
            body = f"    return {self.L(m, cls)}({sig})\n"
        elif r < 0.7:
            dname = self.fresh("DEFAULTS").upper()
            m.add(f"{dname} = {self.kw_dict(m, cls)}")
            merged = self.r.choice([f"{{**{dname}, **kwargs}}", f"dict({dname}, **kwargs)",
                                    f"{{**kwargs, **{dname}}}"])
            body = f"    kwargs = {merged}\n    return {self.L(m, cls)}({sig})\n"
        elif r < 0.85:
            dname = self.fresh("DEFAULTS").upper()
            m.add(f"{dname} = {self.kw_dict(m, cls)}")
            body = (f"    opts = dict({dname})\n    opts.update(kwargs)\n"
                    f"    return {self.L(m, cls)}({params + ', ' if params else ''}**opts)\n")
        else:
            inner = self.fresh("inner_layer")
            m.add(f"def {inner}({sig}):\n    return {self.L(m, cls)}({sig})\n")
            body = f"    return {inner}({sig})\n"
        m.add(f"def {h}({sig}):\n{body}")
        spelled = self.import_from(self.main, m, [h])[h] if m is not self.main else h
        for _ in range(self.r.randint(1, 4)):
            args = ", ".join(self.pos_args(cls) + [f"{k}={v}" for k, v in self.some_kwargs(self.main, cls)])
            self.use(f"{spelled}({args})", cls)

    def kw_dict(self, m, cls):
        items = self.some_kwargs(m, cls, k=self.r.randint(1, 2))
        if self.r.random() < 0.5:
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in items) + "}"
        return "dict(" + ", ".join(f"{k}={v}" for k, v in items) + ")"

    def f_default_param(self):
        """A helper whose initializer parameter has a default; callers pass it or not."""
        m = self.main if self.r.random() < 0.6 else self.pkg_module()
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        h = self.fresh("block")
        default = self.init_value(m, rank2)
        pos = self.pos_args(cls)
        m.add(f"def {h}(init={default}):\n    return {self.L(m, cls)}({', '.join(pos + [f'{p}=init'])})\n")
        spelled = self.import_from(self.main, m, [h])[h] if m is not self.main else h
        for _ in range(self.r.randint(1, 3)):
            r = self.r.random()
            arg = "" if r < 0.4 else (self.init_value(self.main, rank2) if r < 0.7
                                     else f"init={self.init_value(self.main, rank2)}")
            self.use(f"{spelled}({arg})", cls)

    def f_dict_ops(self):
        """A helper that builds and mutates a dict of arguments in order, under conditions."""
        m = self.main if self.r.random() < 0.7 else self.pkg_module()
        cls = self.layer_kind(0.8)
        _, _, params, switches = self.LAYERS[cls]
        h = self.fresh("conf_layer")
        flagname = self.fresh("USE").upper()
        m.add(f"{flagname} = {self.r.choice(['True', 'False'])}")
        keys = list(params) + switches
        start = self.r.random()
        lines = []
        if start < 0.4:
            lines.append("kw = dict(kwargs)")
            var = "kw"
        elif start < 0.7:
            var = "kwargs"
        else:
            lines.append(f"kw = {self.kw_dict(m, cls)}")
            lines.append("kw.update(kwargs)")
            var = "kw"
        for _ in range(self.r.randint(1, 5)):
            k = self.r.choice(keys)
            v = self.r.choice(["True", "False"]) if k in switches else self.init_value(m, params.get(k, False))
            op = self.r.random()
            if op < 0.3:
                stmt = f"{var}[{k!r}] = {v}"
            elif op < 0.45:
                stmt = f"{var}.update({k}={v})"
            elif op < 0.55:
                stmt = f"{var}.update({{{k!r}: {v}}})"
            elif op < 0.75:
                stmt = f"{var}.setdefault({k!r}, {v})"
            elif op < 0.88:
                stmt = f"{var}.pop({k!r}, None)"
            else:
                stmt = f"if {k!r} in {var}:\n    del {var}[{k!r}]"
            c = self.r.random()
            if c < 0.25:
                cond = self.r.choice(["last", "not last", f"last and {flagname}", f"{flagname}",
                                      f"not {flagname}", "n > 3", "n == 2"])
                stmt = f"if {cond}:\n" + "".join("    " + l + "\n" for l in stmt.split("\n"))
            lines.append(stmt.rstrip("\n"))
        pos = self.pos_args(cls)
        lines.append(f"return {self.L(m, cls)}({', '.join(pos)}, **{var})" if pos
                     else f"return {self.L(m, cls)}(**{var})")
        body = "".join("    " + l + "\n" for block in lines for l in block.split("\n"))
        m.add(f"def {h}(n=2, last=False, **kwargs):\n{body}")
        spelled = self.import_from(self.main, m, [h])[h] if m is not self.main else h
        for _ in range(self.r.randint(1, 4)):
            args = [str(self.r.choice([2, 3, 4]))] if self.r.random() < 0.5 else []
            if self.r.random() < 0.5:
                args.append(f"last={self.r.choice(['True', 'False'])}")
            args += [f"{k}={v}" for k, v in self.some_kwargs(self.main, cls)]
            self.use(f"{spelled}({', '.join(args)})", cls)

    def f_module_dict(self):
        """A module-level dict of arguments mutated between constructions."""
        cls = self.layer_kind(0.8)
        _, _, params, switches = self.LAYERS[cls]
        name = self.fresh("KW").upper()
        self.main.add(f"{name} = {self.kw_dict(self.main, cls)}")
        for _ in range(self.r.randint(1, 3)):
            k = self.r.choice(list(params))
            v = self.init_value(self.main, params[k])
            op = self.r.random()
            if op < 0.4:
                stmt = f"{name}[{k!r}] = {v}"
            elif op < 0.6:
                stmt = f"{name}.setdefault({k!r}, {v})"
            elif op < 0.8:
                stmt = f"{name}.update({k}={v})"
            else:
                stmt = f"{name}.pop({k!r}, None)"
            if self.r.random() < 0.3:
                stmt = f"if {self.flag()}:\n    {stmt}"
            self.main.add(stmt)
            if self.r.random() < 0.6:
                self.use(f"{self.L(self.main, cls)}({', '.join(self.pos_args(cls) + [f'**{name}'])})", cls)
        self.use(f"{self.L(self.main, cls)}({', '.join(self.pos_args(cls) + [f'**{name}'])})", cls)

    def f_loop(self):
        """Layers constructed in loops."""
        cls = self.layer_kind()
        _, _, params, _ = self.LAYERS[cls]
        p, rank2 = self.r.choice(list(params.items()))
        r = self.r.random()
        x = self.inp(self.LAYERS[cls][0])
        L = self.L(self.main, cls)
        pos = ", ".join(self.pos_args(cls))
        pre = f"{pos}, " if pos else ""
        if r < 0.3:
            vals = ", ".join(self.init_value(self.main, rank2) for _ in range(self.r.randint(1, 3)))
            self.main.add(f"for init in [{vals}]:\n    {L}({pre}{p}=init)({x})")
        elif r < 0.55:
            name = self.fresh("SPECS").upper()
            specs = ", ".join(self.kw_dict(self.main, cls) for _ in range(self.r.randint(1, 3)))
            self.main.add(f"{name} = [{specs}]")
            self.main.add(f"for spec in {name}:\n    {L}({pre}**spec)({x})")
        elif r < 0.8:
            a, b = self.init_value(self.main, rank2), self.init_value(self.main, rank2)
            v = self.fresh("init")
            self.main.add(f"{v} = {a}\nfor _ in range({self.r.randint(1, 3)}):\n"
                          f"    {L}({pre}{p}={v})({x})\n    {v} = {b}")
        else:
            a, b = self.init_value(self.main, rank2), self.init_value(self.main, rank2)
            v = self.fresh("init")
            i = self.fresh("i")
            self.main.add(f"{v} = {a}\n{i} = 0\nwhile {i} < {self.r.randint(1, 3)}:\n"
                          f"    {L}({pre}{p}={v})({x})\n    {v} = {b}\n    {i} += 1")

    def f_global_time(self):
        """A function reading a module global, called before and after the global is rebound
        (directly or through a `global` statement)."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        g = self.fresh("G").upper()
        f = self.fresh("build")
        m = self.main
        m.add(f"{g} = {self.init_value(m, rank2)}")
        m.add(f"def {f}():\n    return {self.ctor(m, cls, [(p, g)])}")
        if self.r.random() < 0.5:
            self.use(f"{f}()", cls)
        if self.r.random() < 0.5:
            s = self.fresh("set_g")
            m.add(f"def {s}(v):\n    global {g}\n    {g} = v")
            if self.r.random() < 0.7:
                m.add(f"{s}({self.init_value(m, rank2)})")
        else:
            m.add(f"{g} = {self.init_value(m, rank2)}")
        self.use(f"{f}()", cls)

    def f_attr_reassign(self):
        """A layer attribute reassigned before (or after) the layer is built."""
        cls = self.r.choice(["Dense", "Dense", "Conv1D", "Embedding"])
        _, _, params, _ = self.LAYERS[cls]
        p, rank2 = self.r.choice(list(params.items()))
        v = self.fresh("lay")
        x = self.inp(self.LAYERS[cls][0])
        self.main.add(f"{v} = {self.ctor(self.main, cls, self.some_kwargs(self.main, cls))}")
        new = self.init_value(self.main, rank2, simple=self.r.random() < 0.5)
        if new == "None":
            new = "'zeros'"
        if self.r.random() < 0.7:
            stmt = f"{v}.{p} = {new}"
            if self.r.random() < 0.3:
                stmt = f"if {self.flag()}:\n    {stmt}"
            self.main.add(stmt)
            self.main.add(f"{self.fresh('y')} = {v}({x})")
        else:
            self.main.add(f"{self.fresh('y')} = {v}({x})")
            self.main.add(f"{v}.{p} = {new}")

    def f_config_class(self):
        """A config class (plain class or dataclass) whose attributes feed layers."""
        m = self.main if self.r.random() < 0.6 else self.pkg_module()
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        c = self.fresh("Config")
        r = self.r.random()
        if r < 0.5:
            m.add(f"class {c}:\n    init = {self.init_value(m, rank2, no_func=True)}\n    units = {self.units()}\n")
            spelled = self.import_from(self.main, m, [c])[c] if m is not self.main else c
            if self.r.random() < 0.4:
                self.main.add(f"{spelled}.init = {self.init_value(self.main, rank2, no_func=True)}")
            if self.r.random() < 0.5:
                src = spelled
            else:
                src = self.fresh("cfg")
                self.main.add(f"{src} = {spelled}()")
                if self.r.random() < 0.4:
                    self.main.add(f"{src}.init = {self.init_value(self.main, rank2)}")
        else:
            m.need("import dataclasses")
            m.add(f"@dataclasses.dataclass\nclass {c}:\n    init: object = {self.init_value(m, rank2, simple=True)}\n"
                  f"    units: int = {self.units()}\n")
            spelled = self.import_from(self.main, m, [c])[c] if m is not self.main else c
            src = self.fresh("cfg")
            arg = f"init={self.init_value(self.main, rank2, simple=True)}" if self.r.random() < 0.5 else ""
            self.main.add(f"{src} = {spelled}({arg})")
            if self.r.random() < 0.3:
                self.main.add(f"{src}.init = {self.init_value(self.main, rank2)}")
        self.use(self.ctor(self.main, cls, [(p, f"{src}.init")]), cls)

    def f_class_override(self):
        """Builder classes: the base `__init__` reads `self.INIT` or `self.make_init()`, which
        subclasses override (maybe in another module)."""
        mb = self.main if self.r.random() < 0.5 else self.pkg_module()
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        base = self.fresh("Base")
        via_method = self.r.random() < 0.5
        read = "self.make_init()" if via_method else "self.INIT"
        # (A custom layer wrapping an Embedding is traced with garbage integer inputs: no Embedding.)
        as_layer = self.r.random() < 0.4 and cls != "Embedding"
        if as_layer:
            mb.add(
                f"class {base}({self.L(mb, 'Layer')}):\n"
                f"    INIT = {self.init_value(mb, rank2, no_func=True)}\n\n"
                f"    def make_init(self):\n        return self.INIT\n\n"
                f"    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n"
                f"        self.inner = {self.ctor(mb, cls, [(p, read)])}\n\n"
                f"    def call(self, x):\n        return self.inner(x)\n"
            )
        else:
            mb.add(
                f"class {base}:\n"
                f"    INIT = {self.init_value(mb, rank2, no_func=True)}\n\n"
                f"    def make_init(self):\n        return self.INIT\n\n"
                f"    def __init__(self):\n        self.layer = {self.ctor(mb, cls, [(p, read)])}\n"
            )
        classes = [(mb, base)]
        for _ in range(self.r.randint(1, 3)):
            ms = self.main if self.r.random() < 0.6 else self.pkg_module()
            parents = [c for c in classes if self.can_import(ms, c[0])]
            if not parents:
                continue
            parent_m, parent = self.r.choice(parents)
            pspelled = self.import_from(ms, parent_m, [parent])[parent] if parent_m is not ms else parent
            sub = self.fresh("Sub")
            if self.r.random() < 0.5:
                ms.add(f"class {sub}({pspelled}):\n    INIT = {self.init_value(ms, rank2, no_func=True)}\n")
            else:
                ms.add(f"class {sub}({pspelled}):\n    def make_init(self):\n"
                       f"        return {self.init_value(ms, rank2)}\n")
            classes.append((ms, sub))
        for mc, c in self.r.sample(classes, self.r.randint(1, len(classes))):
            spelled = self.import_from(self.main, mc, [c])[c] if mc is not self.main else c
            if as_layer:
                self.use(f"{spelled}()", cls)
            else:
                self.use(f"{spelled}().layer", cls)
        if self.r.random() < 0.2:
            mc, c = self.r.choice(classes)
            spelled = self.import_from(self.main, mc, [c])[c] if mc is not self.main else c
            self.main.add(f"{spelled}.INIT = {self.init_value(self.main, rank2, no_func=True)}")
            self.use(f"{spelled}()" if as_layer else f"{spelled}().layer", cls)

    def f_star_args(self):
        """A helper forwarding *args (and **kwargs) to the layer's positional parameters."""
        cls = self.r.choice(["Dense", "Dense", "Embedding"])
        h = self.fresh("positional")
        m = self.main if self.r.random() < 0.7 else self.pkg_module()
        m.add(f"def {h}(*args, **kwargs):\n    return {self.L(m, cls)}(*args, **kwargs)\n")
        spelled = self.import_from(self.main, m, [h])[h] if m is not self.main else h
        for _ in range(self.r.randint(1, 3)):
            if cls == "Dense":
                args = [self.units()]
                n = self.r.randint(0, 3)
                extra = ["None", self.r.choice(["True", "False"]), self.init_value(self.main, True),
                         self.init_value(self.main, False)]
                args += extra[:n] if n < 2 else ["None", "True"] + extra[2:n + 1]
            else:
                args = ["10", self.units()]
                if self.r.random() < 0.6:
                    args.append(self.init_value(self.main, True))
            self.use(f"{spelled}({', '.join(args)})", cls)

    def f_partial(self):
        """functools.partial of a layer class, called with and without overriding it."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        m = self.main if self.r.random() < 0.7 else self.pkg_module()
        m.need("import functools")
        name = self.fresh("Preset")
        m.add(f"{name} = functools.partial({self.L(m, cls)}, {p}={self.init_value(m, rank2)})")
        spelled = self.import_from(self.main, m, [name])[name] if m is not self.main else name
        for _ in range(self.r.randint(1, 3)):
            kw = [(p, self.init_value(self.main, rank2))] if self.r.random() < 0.5 else []
            self.use(self.ctor(self.main, cls, kw).replace(self.L(self.main, cls), spelled, 1), cls)

    def f_star_import(self):
        """`from pkg.m import *` after a local binding of the same name."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        m = self.pkg_module()
        name = self.fresh("STAR").upper()
        m.add(f"{name} = {self.init_value(m, rank2)}")
        if self.r.random() < 0.5:
            self.main.add(f"{name} = {self.init_value(self.main, rank2)}")
        self.main.add(f"from {m.name} import *")
        if self.r.random() < 0.3:
            self.main.add(f"{name} = {self.init_value(self.main, rank2)}")
        self.use(self.ctor(self.main, cls, [(p, name)]), cls)

    def f_conditional(self):
        """Values chosen by conditions on constants."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        a, b = self.init_value(self.main, rank2), self.init_value(self.main, rank2)
        r = self.r.random()
        if r < 0.4:
            self.use(self.ctor(self.main, cls, [(p, f"{a} if {self.flag()} else {b}")]), cls)
        elif r < 0.8:
            v = self.fresh("chosen")
            f1, f2 = self.flag(), self.flag()
            self.main.add(f"if {f1}:\n    {v} = {a}\nelif {f2}:\n    {v} = {b}\n"
                          f"else:\n    {v} = {self.init_value(self.main, rank2)}")
            self.use(self.ctor(self.main, cls, [(p, v)]), cls)
        else:
            v = self.fresh("maybe")
            self.main.add(f"{v} = None\nif {self.flag()}:\n    {v} = {a}")
            self.use(self.ctor(self.main, cls, [(p, f"{v} or {b}")]), cls)

    def f_init_factory(self):
        """A function that returns an initializer depending on its argument."""
        m = self.main if self.r.random() < 0.6 else self.pkg_module()
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        f = self.fresh("make_init")
        m.add(f"def {f}(kind, seed=None):\n"
              f"    if kind == 'he':\n        return {self.I(m, 'HeNormal')}(seed=seed)\n"
              f"    if kind == 'small':\n        return {self.I(m, 'RandomNormal')}(stddev=0.01, seed=seed)\n"
              f"    return {self.init_value(m, rank2, simple=True)}\n")
        spelled = self.import_from(self.main, m, [f])[f] if m is not self.main else f
        for _ in range(self.r.randint(1, 3)):
            kind = self.r.choice(["'he'", "'small'", "'other'"])
            seed = f", {self.num('SEED')}" if self.r.random() < 0.5 else ""
            self.use(self.ctor(self.main, cls, [(p, f"{spelled}({kind}{seed})")]), cls)

    def f_custom_layer(self):
        """A custom layer with add_weight and/or a sub-layer, built with several arguments."""
        m = self.main if self.r.random() < 0.6 else self.pkg_module()
        name = self.fresh("Custom")
        default = self.init_value(m, False)
        sub = self.r.random() < 0.5
        sub_line = ""
        if sub:
            sub_line = f"        self.proj = {self.L(m, 'Dense')}(2, kernel_initializer=init)\n"
        call = "self.proj(x * self.w)" if sub else "x * self.w"
        m.add(
            f"class {name}({self.L(m, 'Layer')}):\n"
            f"    def __init__(self, init={default}, **kwargs):\n"
            f"        super().__init__(**kwargs)\n"
            f"        self.init = init\n{sub_line}\n"
            f"    def build(self, input_shape):\n"
            f"        self.w = self.add_weight(shape=(input_shape[-1],), initializer=self.init, name=\"w\")\n\n"
            f"    def call(self, x):\n        return {call}\n"
        )
        spelled = self.import_from(self.main, m, [name])[name] if m is not self.main else name
        for _ in range(self.r.randint(1, 3)):
            arg = f"init={self.init_value(self.main, False)}" if self.r.random() < 0.6 else ""
            self.main.add(f"{self.fresh('y')} = {spelled}({arg})({self.inp('2d')})")

    def f_super_chain(self):
        """A custom layer whose base `__init__` stores the initializer, reached from subclasses
        through `super().__init__(...)` (their own value passed on, the attribute set again before
        or after the call, or the call under a condition), read when the layer builds."""
        m = self.main if self.r.random() < 0.6 else self.pkg_module()
        base = self.fresh("ChainBase")
        m.add(
            f"class {base}({self.L(m, 'Layer')}):\n"
            f"    def __init__(self, init={self.init_value(m, False)}, **kwargs):\n"
            f"        super().__init__(**kwargs)\n"
            f"        self.init = init\n\n"
            f"    def build(self, input_shape):\n"
            f"        self.w = self.add_weight(shape=(input_shape[-1],), initializer=self.init, name=\"w\")\n\n"
            f"    def call(self, x):\n        return x * self.w\n"
        )
        classes = [(m, base)]
        for _ in range(self.r.randint(1, 3)):
            ms = self.main if self.r.random() < 0.6 else self.pkg_module()
            parents = [c for c in classes if self.can_import(ms, c[0])]
            if not parents:
                continue
            parent_m, parent = self.r.choice(parents)
            pspelled = self.import_from(ms, parent_m, [parent])[parent] if parent_m is not ms else parent
            sub = self.fresh("ChainSub")
            kind = self.r.choice(["pass", "pass", "after", "before", "cond"])
            v = self.init_value(ms, False)
            if kind == "pass":
                body = f"        super().__init__(init=init, **kwargs)\n"
                head = f"    def __init__(self, init={v}, **kwargs):\n"
            elif kind == "after":
                head = "    def __init__(self, **kwargs):\n"
                body = f"        super().__init__(**kwargs)\n        self.init = {v}\n"
            elif kind == "before":
                head = "    def __init__(self, **kwargs):\n"
                body = f"        self.init = {v}\n        super().__init__(**kwargs)\n"
            else:
                head = f"    def __init__(self, init={v}, flag=len('ab') == 2, **kwargs):\n"
                body = (f"        if flag:\n            super().__init__(init=init, **kwargs)\n"
                        f"        else:\n            super().__init__(**kwargs)\n")
            ms.add(f"class {sub}({pspelled}):\n{head}{body}")
            classes.append((ms, sub))
        for mc, c in self.r.sample(classes, self.r.randint(1, len(classes))):
            spelled = self.import_from(self.main, mc, [c])[c] if mc is not self.main else c
            self.main.add(f"{self.fresh('y')} = {spelled}()({self.inp('2d')})")

    def f_sequential(self):
        """A Sequential model of helpers and direct layers."""
        k = self.keras_mod(self.main)
        items = [f"{k}.Input(shape=(6,))"]
        for _ in range(self.r.randint(1, 3)):
            cls = self.r.choice(["Dense", "Dense", "BatchNormalization", "LayerNormalization"])
            items.append(self.ctor(self.main, cls, self.some_kwargs(self.main, cls)))
        self.main.add(f"{self.fresh('model')} = {k}.Sequential([{', '.join(items)}])")

    def f_unregistered(self):
        """A registered-looking identifier whose registering module is not imported: Keras raises
        at construction (the runner checks that keras-lsp gives no definite answer)."""
        owner = self.pkg_module()
        name = self.fresh("Unreg")
        k = self.keras_mod(owner)
        owner.add(
            f"@{self.register(owner)}(package=\"gen\")\n"
            f"class {name}({self.I(owner, 'Initializer')}):\n"
            f"    def __call__(self, shape, dtype=None):\n"
            f"        return {self.tensor(owner, 'ones', 'shape, dtype=dtype')}\n\n"
            f"    def get_config(self):\n        return {{}}\n"
        )
        v = self.fresh("lay")
        x = self.inp("2d")
        self.main.add(f"try:\n    {v} = {self.L(self.main, 'Dense')}(3, kernel_initializer=\"gen>{name}\")\n"
                      f"    {v}({x})\nexcept ValueError:\n    pass")


    # ----- features, second batch: aliasing, escapes, chains, closures, control flow ---------------

    def f_alias_dict(self):
        """A dict of arguments changed through another name, or by a function it is passed to."""
        cls = self.layer_kind(0.8)
        _, _, params, switches = self.LAYERS[cls]
        name = self.fresh("OPTS").upper()
        self.main.add(f"{name} = {self.kw_dict(self.main, cls)}")
        k = self.r.choice(list(params))
        v = self.init_value(self.main, params[k])
        r = self.r.random()
        if r < 0.35:
            alias = self.fresh("alias")
            self.main.add(f"{alias} = {name}")
            self.main.add(self.r.choice([f"{alias}[{k!r}] = {v}", f"{alias}.update({k}={v})",
                                         f"{alias}.pop({k!r}, None)"]))
        elif r < 0.7:
            fn = self.fresh("tweak")
            body = self.r.choice([f"d[{k!r}] = {v}", f"d.setdefault({k!r}, {v})", f"d.pop({k!r}, None)",
                                  f"d.update({{{k!r}: {v}}})"])
            self.main.add(f"def {fn}(d):\n    {body}\n    return d")
            call = f"{fn}({name})"
            if self.r.random() < 0.3:
                call = f"if {self.flag()}:\n    {call}"
            self.main.add(call)
        else:
            holder = self.fresh("holder")
            self.main.add(f"{holder} = [{name}]")
            self.main.add(f"for d in {holder}:\n    d[{k!r}] = {v}")
        if self.r.random() < 0.4:
            # Used before the change too.
            self.main.body.insert(len(self.main.body) - 1,
                                  f"{self.fresh('y')} = {self.L(self.main, cls)}({', '.join(self.pos_args(cls) + [f'**{name}'])})({self.inp(self.LAYERS[cls][0])})\n")
        self.use(f"{self.L(self.main, cls)}({', '.join(self.pos_args(cls) + [f'**{name}'])})", cls)

    def f_helper_chain(self):
        """Helpers calling helpers, each adding or overriding arguments."""
        m = self.main if self.r.random() < 0.6 else self.pkg_module()
        cls = self.layer_kind(0.8)
        _, _, params, switches = self.LAYERS[cls]
        p, rank2 = self.r.choice(list(params.items()))
        inner, middle, outer = self.fresh("inner"), self.fresh("middle"), self.fresh("outer")
        pos = self.pos_args(cls)
        m.add(f"def {inner}(init={self.init_value(m, rank2)}, **kw):\n"
              f"    return {self.L(m, cls)}({', '.join(pos + [f'{p}=init', '**kw'])})\n")
        k2 = self.r.choice(list(params) + switches)
        v2 = self.r.choice(["True", "False"]) if k2 in switches else self.init_value(m, params.get(k2, False))
        k2 = "init" if k2 == p else k2
        step = self.r.choice([f"kw.setdefault({k2!r}, {v2})", f"kw[{k2!r}] = {v2}", f"kw.pop({k2!r}, None)"])
        m.add(f"def {middle}(**kw):\n    {step}\n    return {inner}(**kw)\n")
        cond = self.r.choice(["last", "not last", "n > 2"])
        m.add(f"def {outer}(n=2, last=False, **kw):\n    if {cond}:\n        kw['init'] = {self.init_value(m, rank2)}\n"
              f"    return {middle}(**kw)\n")
        names = [inner, middle, outer]
        spelled = self.import_from(self.main, m, names) if m is not self.main else {n: n for n in names}
        for _ in range(self.r.randint(2, 4)):
            h = self.r.choice(names)
            args = []
            if h == outer and self.r.random() < 0.5:
                args.append(f"last={self.r.choice(['True', 'False'])}")
            if h == outer and self.r.random() < 0.3:
                args.append(f"n={self.r.choice([1, 2, 3, 4])}")
            if self.r.random() < 0.5:
                args.append(f"init={self.init_value(self.main, rank2)}")
            self.use(f"{spelled[h]}({', '.join(args)})", cls)

    def f_closure(self):
        """A block factory returning a closure that builds a layer from the factory's argument."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        f = self.fresh("make_block")
        pos = self.pos_args(cls)
        self.main.add(f"def {f}(init={self.init_value(self.main, rank2)}):\n"
                      f"    def block(x):\n        return {self.L(self.main, cls)}({', '.join(pos + [f'{p}=init'])})(x)\n"
                      f"    return block")
        x = self.inp(self.LAYERS[cls][0])
        for _ in range(self.r.randint(1, 3)):
            arg = self.init_value(self.main, rank2) if self.r.random() < 0.6 else ""
            if self.r.random() < 0.7:
                self.main.add(f"{self.fresh('y')} = {f}({arg})({x})")
            else:
                b = self.fresh("blk")
                self.main.add(f"{b} = {f}({arg})\n{self.fresh('y')} = {b}({x})")

    def f_early_return(self):
        """A helper with early returns on conditions of its parameters."""
        m = self.main if self.r.random() < 0.7 else self.pkg_module()
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        h = self.fresh("pick")
        pos = ", ".join(self.pos_args(cls))
        pre = f"{pos}, " if pos else ""
        a, b, c = (self.init_value(m, rank2) for _ in range(3))
        test = self.r.choice(["kind == 'a'", "kind in ('a', 'b')", "kind is None", "size > 3"])
        m.add(f"def {h}(kind=None, size=2):\n"
              f"    if {test}:\n        return {self.L(m, cls)}({pre}{p}={a})\n"
              f"    elif size < 2:\n        return {self.L(m, cls)}({pre}{p}={b})\n"
              f"    return {self.L(m, cls)}({pre}{p}={c})\n")
        spelled = self.import_from(self.main, m, [h])[h] if m is not self.main else h
        for _ in range(self.r.randint(1, 3)):
            args = []
            if self.r.random() < 0.6:
                args.append(self.r.choice(["'a'", "'b'", "'c'", "None"]))
            if self.r.random() < 0.5:
                args.append(f"size={self.r.choice([1, 2, 5])}")
            self.use(f"{spelled}({', '.join(args)})", cls)

    def f_methods(self):
        """A builder class whose methods make layers from attributes set in `__init__`."""
        m = self.main if self.r.random() < 0.6 else self.pkg_module()
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        c = self.fresh("Builder")
        pos = ", ".join(self.pos_args(cls))
        pre = f"{pos}, " if pos else ""
        m.add(f"class {c}:\n"
              f"    def __init__(self, init={self.init_value(m, rank2, no_func=True)}):\n"
              f"        self.init = init\n\n"
              f"    def make(self, init=None):\n"
              f"        return {self.L(m, cls)}({pre}{p}=init or self.init)\n\n"
              f"    def twice(self):\n"
              f"        return [self.make(), self.make({self.init_value(m, rank2)})]\n")
        spelled = self.import_from(self.main, m, [c])[c] if m is not self.main else c
        x = self.inp(self.LAYERS[cls][0])
        for _ in range(self.r.randint(1, 3)):
            arg = f"init={self.init_value(self.main, rank2, no_func=True)}" if self.r.random() < 0.5 else ""
            b = self.fresh("builder")
            self.main.add(f"{b} = {spelled}({arg})")
            if self.r.random() < 0.3:
                self.main.add(f"{b}.init = {self.init_value(self.main, rank2)}")
            r = self.r.random()
            if r < 0.5:
                self.main.add(f"{self.fresh('y')} = {b}.make()({x})")
            elif r < 0.75:
                self.main.add(f"{self.fresh('y')} = {b}.make({self.init_value(self.main, rank2)})({x})")
            else:
                self.main.add(f"for lay in {b}.twice():\n    lay({x})")

    def f_instance_config(self):
        """A config object passed to a helper, maybe changed by another function first."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        c, h = self.fresh("Hparams"), self.fresh("from_config")
        pos = ", ".join(self.pos_args(cls))
        pre = f"{pos}, " if pos else ""
        self.main.add(f"class {c}:\n    def __init__(self, init={self.init_value(self.main, rank2, no_func=True)}):\n"
                      f"        self.init = init\n")
        self.main.add(f"def {h}(cfg):\n    return {self.L(self.main, cls)}({pre}{p}=cfg.init)")
        o = self.fresh("hp")
        arg = f"init={self.init_value(self.main, rank2, no_func=True)}" if self.r.random() < 0.5 else ""
        self.main.add(f"{o} = {c}({arg})")
        r = self.r.random()
        if r < 0.3:
            s = self.fresh("configure")
            self.main.add(f"def {s}(cfg):\n    cfg.init = {self.init_value(self.main, rank2, no_func=True)}")
            self.main.add(f"{s}({o})")
        elif r < 0.5:
            self.main.add(f"setattr({o}, 'init', {self.init_value(self.main, rank2, no_func=True)})")
        elif r < 0.65:
            a = self.fresh("same")
            self.main.add(f"{a} = {o}\n{a}.init = {self.init_value(self.main, rank2, no_func=True)}")
        self.use(f"{h}({o})", cls)

    def f_setattr_layer(self):
        """`setattr` on a layer object before it is built."""
        cls = self.r.choice(["Dense", "Conv1D", "Embedding"])
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        v = self.fresh("lay")
        self.main.add(f"{v} = {self.ctor(self.main, cls, self.some_kwargs(self.main, cls))}")
        self.main.add(f"setattr({v}, {p!r}, {self.init_value(self.main, rank2, simple=True)})")
        self.main.add(f"{self.fresh('y')} = {v}({self.inp(self.LAYERS[cls][0])})")

    def f_mutable_default(self):
        """A helper whose dict default (one object for every call) it changes after use."""
        cls = self.layer_kind(0.8)
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        fn = self.fresh("block")
        a, b = self.init_value(self.main, rank2), self.init_value(self.main, rank2)
        first = self.r.choice([f"kw.setdefault({p!r}, {a})", f"kw[{p!r}] = kw.get({p!r}, {a})", "pass"])
        self.main.add(f"def {fn}(kw={{}}):\n    {first}\n"
                      f"    layer = {self.L(self.main, cls)}({', '.join(self.pos_args(cls) + ['**kw'])})\n"
                      f"    kw[{p!r}] = {b}\n    return layer")
        for _ in range(self.r.randint(1, 3)):
            self.use(f"{fn}()", cls)

    def f_list_change(self):
        """A list of initializers reordered or changed (in place, through another name)."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        name = self.fresh("INITS").upper()
        vals = [self.init_value(self.main, rank2, simple=True) for _ in range(3)]
        self.main.add(f"{name} = [{', '.join(vals)}]")
        c = self.init_value(self.main, rank2, simple=True)
        alias = self.fresh("alias")
        change = self.r.choice([f"{name}.reverse()", f"{name}.insert(0, {c})", f"{name}.pop(0)",
                                f"{alias} = {name}\n{alias}[0] = {c}", f"{name}[0] = {c}",
                                f"{name}.sort(key=str)", f"{name}.append({c})"])
        if self.r.random() < 0.3:
            change = f"if {self.flag()}:\n" + "".join(f"    {l}\n" for l in change.split("\n"))
        if self.r.random() < 0.3:
            self.use(self.ctor(self.main, cls, [(p, f"{name}[0]")]), cls)
        self.main.add(change)
        self.use(self.ctor(self.main, cls, [(p, f"{name}[{self.r.choice([0, 1, -1])}]")]), cls)

    def f_loop_changes(self):
        """Dicts of arguments changed by a loop over the container that holds them."""
        cls = self.layer_kind(0.8)
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        name = self.fresh("BLOCKS").upper()
        a, b, c = (self.init_value(self.main, rank2) for _ in range(3))
        self.main.add(f"{name} = {{'a': {{{p!r}: {a}}}, 'b': {{{p!r}: {b}}}}}")
        loop = self.r.choice([f"for cfg in {name}.values():", f"for _, cfg in {name}.items():",
                              f"for key in {name}:\n    cfg = {name}[key]"])
        cond = f"    if {self.flag()}:\n    " if self.r.random() < 0.3 else ""
        self.main.add(f"{loop}\n{cond}    cfg[{p!r}] = {c}")
        self.use(f"{self.L(self.main, cls)}({', '.join(self.pos_args(cls) + [f'**{name}[{chr(39)}a{chr(39)}]'])})", cls)

    def f_init_object_changed(self):
        """An initializer object given to a layer, then changed before the layer is built."""
        cls = self.layer_kind()
        p, _ = self.r.choice(list(self.LAYERS[cls][2].items()))
        init = self.fresh("init")
        kind, attr, val = self.r.choice([("RandomNormal", "stddev", "0.5"), ("RandomUniform", "maxval", "0.25"),
                                         ("TruncatedNormal", "mean", "0.5")])
        lay = self.fresh("lay")
        self.main.add(f"{init} = {self.I(self.main, kind)}()")
        self.main.add(f"{lay} = {self.ctor(self.main, cls, [(p, init)])}")
        line = f"{init}.{attr} = {val}"
        if self.r.random() < 0.3:
            line = f"if {self.flag()}:\n    {line}"
        self.main.add(line)
        self.main.add(f"{self.fresh('y')} = {lay}({self.inp(self.LAYERS[cls][0])})")

    def f_layer_attr_elsewhere(self):
        """An initializer attribute of a layer set through another name or from a function."""
        cls = self.r.choice(["Dense", "Conv1D", "Embedding"])
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        lay = self.fresh("lay")
        value = f"{self.I(self.main, 'get')}({self.init_value(self.main, rank2, simple=True)})"
        self.main.add(f"{lay} = {self.ctor(self.main, cls, self.some_kwargs(self.main, cls))}")
        if self.r.random() < 0.5:
            other = self.fresh("other")
            self.main.add(f"{other} = {lay}\n{other}.{p} = {value}")
        else:
            fn = self.fresh("configure")
            self.main.add(f"def {fn}():\n    {lay}.{p} = {value}")
            self.main.add(f"if {self.flag()}:\n    {fn}()" if self.r.random() < 0.4 else f"{fn}()")
        self.main.add(f"{self.fresh('y')} = {lay}({self.inp(self.LAYERS[cls][0])})")

    def f_global_setter(self):
        """A module global rebound through `global` in a setter, from its parameter."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        g, fn = self.fresh("G").upper(), self.fresh("set_init")
        self.main.add(f"{g} = {self.init_value(self.main, rank2)}")
        if self.r.random() < 0.4:
            self.main.add(f"v = {self.init_value(self.main, rank2)}")  # same spelling as the parameter
        self.main.add(f"def {fn}(v):\n    global {g}\n    {g} = v")
        if self.r.random() < 0.4:
            self.use(self.ctor(self.main, cls, [(p, g)]), cls)
        call = f"{fn}({self.init_value(self.main, rank2)})"
        self.main.add(f"if {self.flag()}:\n    {call}" if self.r.random() < 0.3 else call)
        self.use(self.ctor(self.main, cls, [(p, g)]), cls)

    def f_recursion(self):
        """A recursive helper passing other arguments to itself."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        fn = self.fresh("stack")
        a, b = self.init_value(self.main, rank2), self.init_value(self.main, rank2)
        self.main.add(f"def {fn}(n, init):\n    if n == 0:\n        return []\n"
                      f"    return [{self.ctor(self.main, cls, [(p, 'init')])}] + {fn}(n - 1, {b})")
        x = self.inp(self.LAYERS[cls][0])
        self.main.add(f"for lay in {fn}({self.r.randint(1, 3)}, {a}):\n    lay({x})")

    def f_try(self):
        """Values bound in `try` / `except` / `else`."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        v = self.fresh("picked")
        a, b, c = (self.init_value(self.main, rank2) for _ in range(3))
        raise_line = "    raise ValueError('no')\n" if self.r.random() < 0.5 else ""
        self.main.add(f"try:\n    {v} = {a}\n{raise_line}except ValueError:\n    {v} = {b}\n"
                      + (f"else:\n    {v} = {c}\n" if self.r.random() < 0.4 else ""))
        self.use(self.ctor(self.main, cls, [(p, v)]), cls)

    def f_break(self):
        """A loop that stops early: the value after it."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        v = self.fresh("found")
        vals = ", ".join(self.init_value(self.main, rank2) for _ in range(self.r.randint(1, 3)))
        stop = self.r.choice(["True", "False", "i == 1", "i > 5"])
        self.main.add(f"{v} = {self.init_value(self.main, rank2)}\n"
                      f"for i, cand in enumerate([{vals}]):\n    {v} = cand\n    if {stop}:\n        break")
        self.use(self.ctor(self.main, cls, [(p, v)]), cls)

    def f_rebind_shared(self):
        """Rebinds a module constant another feature defined, then uses a helper again."""
        consts = [l.split(" = ")[0] for l in self.main.body
                  if " = " in l and l.split(" = ")[0].isupper() and "\n" not in l.strip()]
        helpers = [l[4:].split("(")[0] for l in self.main.body if l.startswith("def ")]
        if not consts:
            return self.f_constant()
        name = self.r.choice(consts)
        self.main.add(f"{name} = {self.init_value(self.main, self.r.choice([True, False]))}")
        if helpers and self.r.random() < 0.7:
            h = self.r.choice(helpers)
            # Call it as the other feature did, if it needs no arguments.
            line = next((l for l in self.main.body if f"= {h}(" in l and "(X" in l), None)
            if line is not None:
                self.main.add(f"{self.fresh('y')} = {line.split(' = ', 1)[1].strip()}")

    def f_class_dict(self):
        """A dict of arguments held by a class, changed on the class."""
        cls = self.layer_kind(0.8)
        _, _, params, _ = self.LAYERS[cls]
        c = self.fresh("Defaults")
        self.main.add(f"class {c}:\n    KW = {self.kw_dict(self.main, cls)}")
        k = self.r.choice(list(params))
        if self.r.random() < 0.6:
            self.main.add(f"{c}.KW[{k!r}] = {self.init_value(self.main, params[k])}")
        else:
            self.main.add(f"{c}.KW = {{**{c}.KW, {k!r}: {self.init_value(self.main, params[k])}}}")
        self.use(f"{self.L(self.main, cls)}({', '.join(self.pos_args(cls) + [f'**{c}.KW'])})", cls)

    def f_comprehension(self):
        """Layers built in a comprehension over values."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        vals = ", ".join(self.init_value(self.main, rank2) for _ in range(self.r.randint(1, 3)))
        x = self.inp(self.LAYERS[cls][0])
        lst = self.fresh("stack")
        self.main.add(f"{lst} = [{self.L(self.main, cls)}({', '.join(self.pos_args(cls) + [f'{p}=v'])}) for v in [{vals}]]")
        self.main.add(f"for lay in {lst}:\n    lay({x})")

    def f_setattr_dynamic(self):
        """`setattr` with a name that is not a literal: a loop over a module dict of fields (its
        items, keys, or the dict itself; sometimes a field is an initializer parameter, sometimes
        the dict is changed elsewhere), and an f-string name with a constant suffix."""
        cls = self.r.choice(["Dense", "Conv1D", "Embedding"])
        params = self.LAYERS[cls][2]
        st = self.fresh("STATE")
        fields = {"active": "False", "layer_index": "0"}
        if self.r.random() < 0.4:
            p, rank2 = self.r.choice(list(params.items()))
            fields[p] = self.init_value(self.main, rank2, simple=True)
        body = ", ".join(f"{k!r}: {v}" for k, v in fields.items())
        self.main.add(f"{st} = {{{body}}}")
        if self.r.random() < 0.25:
            p, rank2 = self.r.choice(list(params.items()))
            self.main.add(f"{st}[{p!r}] = {self.init_value(self.main, rank2, simple=True)}")
        fn = self.fresh("reset")
        form = self.r.choice(["items", "keys", "plain"])
        if form == "items":
            loop = f"for name, value in {st}.items():\n        setattr(obj, name, value)"
        elif form == "keys":
            loop = f"for name in {st}.keys():\n        setattr(obj, name, {st}[name])"
        else:
            loop = f"for name in {st}:\n        setattr(obj, name, {st}[name])"
        tag = "\n    setattr(obj, f\"{name}_id\", 0)" if self.r.random() < 0.5 else ""
        self.main.add(f"def {fn}(obj):\n    {loop}{tag}")
        lay = self.fresh("lay")
        self.main.add(f"{lay} = {self.ctor(self.main, cls, self.some_kwargs(self.main, cls))}")
        self.main.add(f"{fn}({lay})")
        self.main.add(f"{self.fresh('y')} = {lay}({self.inp(self.LAYERS[cls][0])})")

    def f_clone(self):
        """The clone idiom behind an `isinstance` check (strings, dicts and None handed back,
        initializer objects rebuilt from their config), `serialize`/`deserialize` round trips and
        `from_config` with a literal config."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        m = self.main
        fn = self.fresh("clone")
        m.add(f"def {fn}(initializer):\n"
              f"    if not isinstance(initializer, {self.I(m, 'Initializer')}):\n"
              f"        return initializer\n"
              f"    config = initializer.get_config()\n"
              f"    return initializer.__class__.from_config(config)")
        vals = []
        for _ in range(self.r.randint(1, 3)):
            r = self.r.random()
            if r < 0.5:
                vals.append(f"{fn}({self.init_value(m, rank2)})")
            elif r < 0.75:
                vals.append(f"{self.I(m, 'deserialize')}({self.I(m, 'serialize')}({self.init_object(m, rank2)}))")
            else:
                c, _, kw = self.r.choice(CLASSES)
                cfg = ", ".join(f"{k!r}: {self.num(v)}" for k, v in kw.items() if self.r.random() < 0.6)
                vals.append(f"{self.I(m, c)}.from_config({{{cfg}}})")
        if len(vals) > 1 and self.r.random() < 0.5:
            h = self.fresh("block")
            m.add(f"def {h}(init):\n    return {self.L(m, cls)}({', '.join(self.pos_args(cls) + [f'{p}=init'])})")
            for v in vals:
                self.use(f"{h}({v})", cls)
        else:
            for v in vals:
                self.use(f"{self.L(m, cls)}({', '.join(self.pos_args(cls) + [f'{p}={v}'])})", cls)

    def f_loop_pairs(self):
        """Loops whose targets are unpacked: `enumerate`, `zip`, a dict's `.items()`, a list of
        tuples."""
        cls = self.layer_kind()
        p, rank2 = self.r.choice(list(self.LAYERS[cls][2].items()))
        m = self.main
        vals = [self.init_value(m, rank2) for _ in range(self.r.randint(1, 3))]
        form = self.r.choice(["enumerate", "zip", "items", "tuples"])
        if form == "enumerate":
            head = f"for i, v in enumerate([{', '.join(vals)}]):"
        elif form == "zip":
            head = f"for i, v in zip({list(range(len(vals)))!r}, [{', '.join(vals)}]):"
        elif form == "items":
            head = "for i, v in {" + ", ".join(f"'k{i}': {v}" for i, v in enumerate(vals)) + "}.items():"
        else:
            head = "for i, v in [" + ", ".join(f"({i}, {v})" for i, v in enumerate(vals)) + "]:"
        x = self.inp(self.LAYERS[cls][0])
        out = self.fresh("y")
        m.add(f"{head}\n    {out} = {self.L(m, cls)}({', '.join(self.pos_args(cls) + [f'{p}=v'])})({x})")

    def f_foreign_change(self):
        """An object of one module (a dict of arguments, an initializer object) changed in place or
        rebound by another module that imports it, which main imports before or after a use (the
        use reads it directly, or through a function of the owning module that reads the global)."""
        r = self.r
        cls = self.layer_kind(0.8)
        _, _, params, _ = self.LAYERS[cls]
        k = r.choice(list(params))
        owner = self.pkg_module()
        cname = self.fresh("chg")
        changer = self.module(f"pkg.{cname}", f"pkg/{cname}.py")
        name = self.fresh("OBJ").upper()
        is_init = r.random() < 0.35
        if is_init:
            owner.add(f"{name} = {self.I(owner, 'RandomNormal')}(stddev=0.05)")
        else:
            owner.add(f"{name} = {self.kw_dict(owner, cls)}")
        style = r.random()
        alias = None
        if style < 0.5:
            changer.need(f"from {owner.name} import {name}")
            ref = name
        elif style < 0.65:
            changer.need(f"from {owner.name} import *")
            ref = name
        else:
            alias = owner.name.replace(".", "_")
            changer.need(f"import {owner.name} as {alias}")
            ref = f"{alias}.{name}"
        op = r.random()
        if is_init:
            v = self.num("POS")
            if op < 0.6:
                changer.add(f"{ref}.stddev = {v}")
            else:
                fn = self.fresh("set_stddev")
                changer.add(f"def {fn}(o):\n    o.stddev = {v}\n\n{fn}({ref})")
        else:
            v = self.init_value(changer, params[k])
            if op < 0.3:
                changer.add(f"{ref}[{k!r}] = {v}")
            elif op < 0.45:
                changer.add(f"{ref}.update({k}={v})")
            elif op < 0.55:
                changer.add(f"{ref}.pop({k!r}, None)")
            elif op < 0.65:
                changer.add(f"{ref}.setdefault({k!r}, {v})")
            elif op < 0.85 or alias is None:
                fn = self.fresh("change")
                changer.add(f"def {fn}(d):\n    d[{k!r}] = {v}\n\n{fn}({ref})")
            else:
                changer.add(f"{ref} = {{{k!r}: {v}}}")
        if r.random() < 0.6:
            self.main.need(f"import {changer.name}")
            late = False
        else:
            late = True
        arg = f"**{name}" if not is_init else f"{k}={name}"
        if r.random() < 0.5:
            fn = self.fresh("build")
            owner.add(f"def {fn}():\n    return {self.L(owner, cls)}({', '.join(self.pos_args(cls) + [arg])})")
            spell = self.import_from(self.main, owner, [fn])
            expr = f"{spell[fn]}()"
        else:
            spell = self.import_from(self.main, owner, [name])
            a = arg.replace(name, spell[name])
            expr = f"{self.L(self.main, cls)}({', '.join(self.pos_args(cls) + [a])})"
        if late:
            if r.random() < 0.5:
                self.use(expr, cls)
            self.main.add(f"import {changer.name}")
        self.use(expr, cls)

    FEATURES = [
        ("f_direct", 2), ("f_constant", 3), ("f_kwargs_helper", 4), ("f_default_param", 3),
        ("f_dict_ops", 4), ("f_module_dict", 2), ("f_loop", 3), ("f_global_time", 2),
        ("f_attr_reassign", 2), ("f_config_class", 2), ("f_class_override", 3), ("f_star_args", 2),
        ("f_partial", 2), ("f_star_import", 1), ("f_conditional", 2), ("f_init_factory", 2),
        ("f_custom_layer", 2), ("f_super_chain", 2), ("f_sequential", 1), ("f_unregistered", 1),
        ("f_alias_dict", 3), ("f_helper_chain", 3), ("f_closure", 2), ("f_early_return", 2),
        ("f_methods", 2), ("f_instance_config", 2), ("f_setattr_layer", 1), ("f_try", 1),
        ("f_break", 1), ("f_rebind_shared", 2), ("f_class_dict", 1), ("f_comprehension", 1),
        ("f_mutable_default", 1), ("f_list_change", 2), ("f_loop_changes", 1),
        ("f_init_object_changed", 1), ("f_layer_attr_elsewhere", 1), ("f_global_setter", 1),
        ("f_recursion", 1), ("f_setattr_dynamic", 1), ("f_clone", 2), ("f_loop_pairs", 1),
        ("f_foreign_change", 2),
    ]

    def program(self):
        names = [n for n, w in self.FEATURES for _ in range(w)]
        for _ in range(self.r.randint(2, 6)):
            getattr(self, self.r.choice(names))()
        files = {}
        for m in self.modules.values():
            if self.flavor == "keras2":
                # `import keras` is Keras 3 even with TF_USE_LEGACY_KERAS=1: spell tf_keras.
                m.imports = [KERAS2_SPELLING.get(l[len("import "):], l) if l.startswith("import ")
                             else l for l in m.imports]
                m.imports = [l.replace("from keras.layers ", "from tf_keras.layers ")
                             .replace("from keras import ", "from tf_keras import ") for l in m.imports]
            files[m.path] = m.text()
        return files


def generate(seed, flavor="keras3"):
    """The program of `seed`: {relative path: text}; `main.py` is the entry point."""
    return Gen(seed, flavor).program()


if __name__ == "__main__":
    import sys

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    flavor = sys.argv[2] if len(sys.argv) > 2 else "keras3"
    for path, text in sorted(generate(seed, flavor).items()):
        print(f"# ===== {path}")
        print(text)
