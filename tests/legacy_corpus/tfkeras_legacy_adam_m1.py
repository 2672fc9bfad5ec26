# Apple Silicon (tensorflow-macos 2.11+) workaround: the new optimizers are slow on M1/M2,
# so use the legacy ones.  "WARNING:absl:At this time, the v2.11+ optimizer
# `tf.keras.optimizers.Adam` runs slowly on M1/M2 Macs, please use the legacy Keras optimizer instead"
import platform

import numpy as np
import tensorflow as tf


def get_optimizer(lr=1e-3):
    if platform.system() == "Darwin" and platform.processor() == "arm":
        return tf.keras.optimizers.legacy.Adam(learning_rate=lr)
    return tf.keras.optimizers.legacy.Adam(learning_rate=lr)  # same everywhere for reproducibility


def build_model():
    model = tf.keras.Sequential([
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(10),
    ])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=get_optimizer(), loss=loss_fn, metrics=["accuracy"])
    return model


if __name__ == "__main__":
    print("TensorFlow version:", tf.__version__)
    print("Num GPUs Available: ", len(tf.config.experimental.list_physical_devices('GPU')))
    x_train = np.random.rand(256, 28, 28).astype("float32")
    y_train = np.random.randint(0, 10, 256)
    model = build_model()
    model.fit(x_train, y_train, epochs=2)
    model.evaluate(x_train, y_train, verbose=2)
