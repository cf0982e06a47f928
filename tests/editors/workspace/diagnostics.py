import keras

# A misspelt identifier: Keras raises ValueError when the layer is constructed. The VS Code
# workbench test (tests/editors/vscode/test.mjs) checks the error squiggle and applies the quick fix.
inputs = keras.Input(shape=(8,))
outputs = keras.layers.Dense(4, kernel_initializer="he_normall")(inputs)
