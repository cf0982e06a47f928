import keras
from keras import layers, initializers

from inits import ScaledInit

init = initializers.HeNormal(seed=42)

model = keras.Sequential([
    keras.Input(shape=(16,)),
    layers.Dense(64, kernel_initializer=init),
    layers.Dense(32, kernel_initializer=ScaledInit(2.0)),
    layers.Dense(10, use_bias=False),
])
