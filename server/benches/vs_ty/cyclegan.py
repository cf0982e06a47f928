"""A CycleGAN-shaped pair of models (a ResNet generator with reflection padding and instance-style
group normalization, a PatchGAN discriminator), written for keras-lsp's side-by-side benchmark
with ty."""
import keras
from keras import layers

kernel_init = keras.initializers.RandomNormal(mean=0.0, stddev=0.02)
gamma_init = keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


class ReflectionPadding2D(layers.Layer):
    """Pads height and width by reflection."""

    def __init__(self, padding=(1, 1), **kwargs):
        self.padding = tuple(padding)
        super().__init__(**kwargs)

    def call(self, x):
        pw, ph = self.padding
        return keras.ops.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]], mode="reflect")


def residual_block(x, activation, kernel_size=(3, 3), strides=(1, 1), padding="valid"):
    dim = x.shape[-1]
    y = ReflectionPadding2D()(x)
    y = layers.Conv2D(dim, kernel_size, strides=strides, kernel_initializer=kernel_init, padding=padding, use_bias=False)(y)
    y = layers.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(y)
    y = activation(y)
    y = ReflectionPadding2D()(y)
    y = layers.Conv2D(dim, kernel_size, strides=strides, kernel_initializer=kernel_init, padding=padding, use_bias=False)(y)
    y = layers.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(y)
    return layers.add([x, y])


def downsample(x, filters, activation, kernel_size=(3, 3), strides=(2, 2), padding="same"):
    x = layers.Conv2D(filters, kernel_size, strides=strides, kernel_initializer=kernel_init, padding=padding, use_bias=False)(x)
    x = layers.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(x)
    return activation(x) if activation else x


def upsample(x, filters, activation, kernel_size=(3, 3), strides=(2, 2), padding="same"):
    x = layers.Conv2DTranspose(filters, kernel_size, strides=strides, padding=padding, kernel_initializer=kernel_init, use_bias=False)(x)
    x = layers.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(x)
    return activation(x) if activation else x


def resnet_generator(filters=64, num_downsampling_blocks=2, num_residual_blocks=9, name=None):
    img_input = layers.Input(shape=(256, 256, 3))
    x = ReflectionPadding2D(padding=(3, 3))(img_input)
    x = layers.Conv2D(filters, (7, 7), kernel_initializer=kernel_init, use_bias=False)(x)
    x = layers.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(x)
    x = layers.Activation("relu")(x)
    for _ in range(num_downsampling_blocks):
        filters *= 2
        x = downsample(x, filters=filters, activation=layers.Activation("relu"))
    for _ in range(num_residual_blocks):
        x = residual_block(x, activation=layers.Activation("relu"))
    for _ in range(num_downsampling_blocks):
        filters //= 2
        x = upsample(x, filters, activation=layers.Activation("relu"))
    x = ReflectionPadding2D(padding=(3, 3))(x)
    x = layers.Conv2D(3, (7, 7), padding="valid")(x)
    x = layers.Activation("tanh")(x)
    return keras.Model(img_input, x, name=name)


def discriminator(filters=64, num_downsampling=3, name=None):
    img_input = layers.Input(shape=(256, 256, 3))
    x = layers.Conv2D(filters, (4, 4), strides=(2, 2), padding="same", kernel_initializer=kernel_init)(img_input)
    x = layers.LeakyReLU(0.2)(x)
    num_filters = filters
    for i in range(3):
        num_filters *= 2
        strides = (2, 2) if i < 2 else (1, 1)
        x = downsample(x, filters=num_filters, activation=layers.LeakyReLU(0.2), kernel_size=(4, 4), strides=strides)
    x = layers.Conv2D(1, (4, 4), strides=(1, 1), padding="same", kernel_initializer=kernel_init)(x)
    return keras.Model(inputs=img_input, outputs=x, name=name)


gen_g = resnet_generator(name="generator_G")
gen_f = resnet_generator(name="generator_F")
disc_x = discriminator(name="discriminator_X")
disc_y = discriminator(name="discriminator_Y")
