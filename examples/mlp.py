"""A multi-layer perceptron for tabular data."""
import numpy as np

import keras
from keras import initializers, layers

NUM_FEATURES = 20
NUM_CLASSES = 3


def build_mlp(train_x, hidden=(64, 32), dropout=0.2):
    inputs = keras.Input(shape=(NUM_FEATURES,), name="features")
    scale = layers.Normalization(name="scale")
    scale.adapt(train_x)
    x = scale(inputs)
    for units in hidden:
        x = layers.Dense(units, activation="relu", kernel_initializer="he_normal")(x)
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(
        NUM_CLASSES,
        activation="softmax",
        kernel_initializer=initializers.GlorotUniform(seed=0),
        bias_initializer="zeros",
    )(x)
    return keras.Model(inputs, outputs, name="mlp")


if __name__ == "__main__":
    x = np.random.default_rng(0).normal(size=(32, NUM_FEATURES)).astype("float32")
    model = build_mlp(x)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    probabilities = model.predict(x, verbose=0)
