"""A Transformer encoder block as a custom layer, used in a tiny text classifier."""
import keras
from keras import initializers, layers

DENSE_INIT = initializers.TruncatedNormal(stddev=0.02)


class TransformerBlock(layers.Layer):
    def __init__(self, dim, heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(num_heads=heads, key_dim=dim // heads, name="attention")
        self.ffn = keras.Sequential(
            [
                layers.Dense(ff_dim, activation="gelu", kernel_initializer=DENSE_INIT),
                layers.Dense(dim, kernel_initializer=DENSE_INIT),
            ],
            name="ffn",
        )
        self.norm1 = layers.LayerNormalization(epsilon=1e-6, name="norm1")
        self.norm2 = layers.LayerNormalization(epsilon=1e-6, name="norm2")
        self.drop = layers.Dropout(rate)

    def call(self, x, training=False):
        x = self.norm1(x + self.drop(self.attention(x, x), training=training))
        return self.norm2(x + self.drop(self.ffn(x), training=training))


class TokenAndPosition(layers.Layer):
    def __init__(self, maxlen, vocab, dim, **kwargs):
        super().__init__(**kwargs)
        self.tokens = layers.Embedding(vocab, dim, name="tokens")
        self.maxlen, self.dim = maxlen, dim

    def build(self, input_shape):
        self.tokens.build(input_shape)
        self.positions = self.add_weight(shape=(self.maxlen, self.dim), initializer=DENSE_INIT, name="positions")

    def call(self, ids):
        return self.tokens(ids) + self.positions

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.dim)


ids = keras.Input(shape=(16,), dtype="int32")
x = TokenAndPosition(16, 1000, 32)(ids)
x = TransformerBlock(32, 4, 64)(x)
x = layers.GlobalAveragePooling1D()(x)
out = layers.Dense(2, activation="softmax")(x)
model = keras.Model(ids, out, name="transformer_classifier")
