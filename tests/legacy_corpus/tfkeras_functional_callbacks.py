# Fashion-MNIST classifier, TF 2.2. Uses the functional API and the usual callbacks.
import datetime
import os

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models, optimizers
from tensorflow.keras.callbacks import ModelCheckpoint, EarlyStopping, TensorBoard

NUM_CLASSES = 10
LOG_DIR = os.path.join("logs", "fit", datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))


def build_model():
    inputs = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, (3, 3), activation="relu")(inputs)
    x = layers.MaxPooling2D((2, 2))(x)
    x = layers.Conv2D(64, (3, 3), activation="relu")(x)
    x = layers.MaxPooling2D((2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = models.Model(inputs=inputs, outputs=outputs, name="fashion_cnn")
    model.compile(optimizer=optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    x_train = np.random.rand(512, 28, 28, 1).astype("float32")
    y_train = np.random.randint(0, NUM_CLASSES, 512)

    model = build_model()
    callbacks = [
        ModelCheckpoint("best_model.h5", monitor="val_loss", save_best_only=True),
        EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
        TensorBoard(log_dir=LOG_DIR, histogram_freq=1),
    ]
    model.fit(x_train, y_train, epochs=3, batch_size=64, validation_split=0.2, callbacks=callbacks)
    model.save("fashion_model")  # SavedModel directory
