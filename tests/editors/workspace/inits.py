import keras


class MyInit(keras.initializers.Initializer):
    """Normal noise with a configurable scale."""

    def __init__(self, scale=1.0, seed=None):
        self.scale = scale
        self.seed = seed

    def __call__(self, shape, dtype=None):
        return keras.random.normal(shape, stddev=self.scale, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "seed": self.seed}
