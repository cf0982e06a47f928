import keras


class ScaledInit(keras.initializers.Initializer):
    """Normal values scaled by a constant."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def __call__(self, shape, dtype=None):
        return keras.random.normal(shape, dtype=dtype) * self.scale

    def get_config(self):
        return {"scale": self.scale}
