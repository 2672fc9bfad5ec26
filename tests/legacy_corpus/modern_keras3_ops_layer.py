"""A custom attention-pooling layer written with keras.ops (backend-agnostic Keras 3)."""
import numpy as np

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="corpus")
class AttentionPooling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], 1), initializer="glorot_uniform", name="w"
        )
        self.b = self.add_weight(shape=(1,), initializer="zeros", name="b")

    def call(self, x):
        scores = ops.tanh(ops.matmul(x, self.w) + self.b)  # (batch, steps, 1)
        weights = ops.softmax(scores, axis=1)
        return ops.sum(x * weights, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


def build_model():
    inputs = keras.Input(shape=(40,), dtype="int32")
    x = layers.Embedding(2000, 32)(inputs)
    x = layers.Bidirectional(layers.GRU(16, return_sequences=True))(x)
    x = AttentionPooling()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=1e-3), loss="binary_crossentropy")
    return model


if __name__ == "__main__":
    x = np.random.randint(0, 2000, size=(64, 40))
    y = np.random.randint(0, 2, size=(64, 1))
    model = build_model()
    model.fit(x, y, epochs=1, batch_size=16)
    model.save("attention_pooling.keras")
    restored = keras.saving.load_model("attention_pooling.keras")
    print(restored.count_params())
