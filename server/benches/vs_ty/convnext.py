"""A ConvNeXt-shaped model (stem, four stages of depthwise blocks with layer scale, downsampling
between stages), written for keras-lsp's side-by-side benchmark with ty."""
import keras
from keras import initializers, layers

DEPTHS = [3, 3, 9, 3]
DIMS = [96, 192, 384, 768]


class LayerScale(layers.Layer):
    """Multiplies its input by a learned per-channel scale."""

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=initializers.Constant(self.init_values),
            trainable=True,
            name="gamma",
        )

    def call(self, x):
        return x * self.gamma


def convnext_block(x, dim, layer_scale_init_value=1e-6, name="block"):
    inputs = x
    x = layers.DepthwiseConv2D(kernel_size=7, padding="same", name=name + "_depthwise_conv")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=name + "_layernorm")(x)
    x = layers.Dense(4 * dim, name=name + "_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=name + "_gelu")(x)
    x = layers.Dense(dim, name=name + "_pointwise_conv_2")(x)
    x = LayerScale(layer_scale_init_value, dim, name=name + "_layer_scale")(x)
    return layers.add([inputs, x])


def convnext_tiny(input_shape=(224, 224, 3), classes=1000):
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(DIMS[0], kernel_size=4, strides=4, name="stem_conv")(inputs)
    x = layers.LayerNormalization(epsilon=1e-6, name="stem_layernorm")(x)
    for i in range(4):
        if i > 0:
            x = layers.LayerNormalization(epsilon=1e-6, name=f"downsampling_layernorm_{i}")(x)
            x = layers.Conv2D(DIMS[i], kernel_size=2, strides=2, name=f"downsampling_conv_{i}")(x)
        for j in range(DEPTHS[i]):
            x = convnext_block(x, DIMS[i], name=f"stage_{i}_block_{j}")
    x = layers.GlobalAveragePooling2D(name="head_gap")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name="head_layernorm")(x)
    outputs = layers.Dense(
        classes,
        activation="softmax",
        kernel_initializer=initializers.TruncatedNormal(stddev=0.02),
        bias_initializer="zeros",
        name="head_dense",
    )(x)
    return keras.Model(inputs, outputs, name="convnext_tiny")


model = convnext_tiny()
