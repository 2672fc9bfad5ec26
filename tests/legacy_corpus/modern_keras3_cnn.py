"""MNIST convnet written for Keras 3 (canonical imports only)."""
import numpy as np

import keras
from keras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)


def build_model():
    model = keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=["accuracy"],
    )
    return model


if __name__ == "__main__":
    x = np.random.rand(256, *INPUT_SHAPE).astype("float32")
    y = np.random.randint(0, NUM_CLASSES, 256)
    model = build_model()
    model.fit(
        x,
        y,
        batch_size=64,
        epochs=2,
        validation_split=0.1,
        callbacks=[
            keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True),
            keras.callbacks.ModelCheckpoint("mnist_cnn.keras", save_best_only=True),
        ],
    )
