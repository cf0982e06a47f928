"""Functional API with two inputs, shared layers and a custom weight."""
import keras
from keras import initializers, layers, ops


class Temperature(layers.Layer):
    """Learned softmax temperature."""

    def build(self, input_shape):
        self.log_t = self.add_weight(shape=(), initializer=initializers.Constant(0.0), name="log_t")

    def call(self, logits):
        return logits / ops.exp(self.log_t)


title = keras.Input(shape=(12,), dtype="int32", name="title")
body = keras.Input(shape=(64,), dtype="int32", name="body")
shared_embedding = layers.Embedding(2000, 24, embeddings_initializer="uniform")
t = layers.GlobalAveragePooling1D()(shared_embedding(title))
b = layers.GRU(24)(shared_embedding(body))
x = layers.Concatenate()([t, b])
x = layers.Dense(32, activation="relu", kernel_initializer="lecun_normal")(x)
x = layers.LayerNormalization()(x)
logits = layers.Dense(4, name="priority")(x)
probs = layers.Softmax()(Temperature()(logits))
model = keras.Model([title, body], probs, name="ticket_router")
