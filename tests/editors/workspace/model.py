import keras

import inits


def build_model():
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(32, 3, kernel_initializer="he_uniform")(inputs)
    x = keras.layers.Reshape((26, 26 * 32))(x)
    x = keras.layers.LSTM(16)(x)
    x = keras.layers.Dense(64, kernel_initializer="he_normal", bias_initializer="zeros")(x)
    outputs = keras.layers.Dense(10, kernel_initializer=inits.MyInit(scale=0.5))(x)
    return keras.Model(inputs, outputs)
