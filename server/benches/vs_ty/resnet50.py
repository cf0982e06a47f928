"""A ResNet50-shaped model (bottleneck blocks built by two helpers), written for keras-lsp's
side-by-side benchmark with ty: the shape of the public Keras Applications file, not its code."""
import keras
from keras import layers

BN_AXIS = 3


def identity_block(x, kernel_size, filters, stage, block):
    f1, f2, f3 = filters
    name = f"res{stage}{block}"
    y = layers.Conv2D(f1, (1, 1), kernel_initializer="he_normal", name=name + "_a")(x)
    y = layers.BatchNormalization(axis=BN_AXIS, name=name + "_bn_a")(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(f2, kernel_size, padding="same", kernel_initializer="he_normal", name=name + "_b")(y)
    y = layers.BatchNormalization(axis=BN_AXIS, name=name + "_bn_b")(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(f3, (1, 1), kernel_initializer="he_normal", name=name + "_c")(y)
    y = layers.BatchNormalization(axis=BN_AXIS, name=name + "_bn_c")(y)
    y = layers.add([y, x])
    return layers.Activation("relu")(y)


def conv_block(x, kernel_size, filters, stage, block, strides=(2, 2)):
    f1, f2, f3 = filters
    name = f"res{stage}{block}"
    y = layers.Conv2D(f1, (1, 1), strides=strides, kernel_initializer="he_normal", name=name + "_a")(x)
    y = layers.BatchNormalization(axis=BN_AXIS, name=name + "_bn_a")(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(f2, kernel_size, padding="same", kernel_initializer="he_normal", name=name + "_b")(y)
    y = layers.BatchNormalization(axis=BN_AXIS, name=name + "_bn_b")(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(f3, (1, 1), kernel_initializer="he_normal", name=name + "_c")(y)
    y = layers.BatchNormalization(axis=BN_AXIS, name=name + "_bn_c")(y)
    shortcut = layers.Conv2D(f3, (1, 1), strides=strides, kernel_initializer="he_normal", name=name + "_s")(x)
    shortcut = layers.BatchNormalization(axis=BN_AXIS, name=name + "_bn_s")(shortcut)
    y = layers.add([y, shortcut])
    return layers.Activation("relu")(y)


def resnet50(input_shape=(224, 224, 3), classes=1000):
    inputs = keras.Input(shape=input_shape)
    x = layers.ZeroPadding2D(padding=(3, 3))(inputs)
    x = layers.Conv2D(64, (7, 7), strides=(2, 2), padding="valid", kernel_initializer="he_normal", name="conv1")(x)
    x = layers.BatchNormalization(axis=BN_AXIS, name="bn_conv1")(x)
    x = layers.Activation("relu")(x)
    x = layers.ZeroPadding2D(padding=(1, 1))(x)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = conv_block(x, 3, [64, 64, 256], stage=2, block="a", strides=(1, 1))
    x = identity_block(x, 3, [64, 64, 256], stage=2, block="b")
    x = identity_block(x, 3, [64, 64, 256], stage=2, block="c")

    x = conv_block(x, 3, [128, 128, 512], stage=3, block="a")
    for block in ["b", "c", "d"]:
        x = identity_block(x, 3, [128, 128, 512], stage=3, block=block)

    x = conv_block(x, 3, [256, 256, 1024], stage=4, block="a")
    for block in ["b", "c", "d", "e", "f"]:
        x = identity_block(x, 3, [256, 256, 1024], stage=4, block=block)

    x = conv_block(x, 3, [512, 512, 2048], stage=5, block="a")
    x = identity_block(x, 3, [512, 512, 2048], stage=5, block="b")
    x = identity_block(x, 3, [512, 512, 2048], stage=5, block="c")

    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(classes, activation="softmax", name="fc1000")(x)
    return keras.Model(inputs, outputs, name="resnet50")


model = resnet50()
