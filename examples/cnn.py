"""A small convolutional classifier for 28x28 grayscale images."""
import keras
from keras import initializers, layers

CONV_INIT = initializers.HeNormal(seed=1)


def conv_block(x, filters):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=CONV_INIT)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.SeparableConv2D(filters, 3, padding="same", depthwise_initializer=CONV_INIT)(x)
    return layers.MaxPooling2D()(x)


images = keras.Input(shape=(28, 28, 1))
x = layers.Rescaling(1 / 255)(images)
x = conv_block(x, 16)
x = conv_block(x, 32)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.3)(x)
logits = layers.Dense(10, kernel_initializer=initializers.RandomNormal(stddev=0.01))(x)
model = keras.Model(images, logits, name="cnn")
