"""Sentiment classifier over token ids: embedding, bidirectional LSTM, dense head."""
import keras
from keras import layers

VOCAB = 5000
EMBED_DIM = 32

tokens = keras.Input(shape=(40,), dtype="int32")
x = layers.Embedding(VOCAB, EMBED_DIM, mask_zero=True)(tokens)
x = layers.Bidirectional(layers.LSTM(32, return_sequences=True))(x)
x = layers.LSTM(16, recurrent_initializer="glorot_uniform", unit_forget_bias=False)(x)
x = layers.Dense(16, activation="relu", kernel_initializer="he_uniform")(x)
score = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(tokens, score, name="lstm_text")
