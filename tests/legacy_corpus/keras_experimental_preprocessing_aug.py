"""Image classifier with preprocessing layers inside the model (Keras 2.6 - 2.8, standalone keras package)."""
import numpy as np

import keras
from keras import layers
from keras.layers.experimental.preprocessing import Rescaling, RandomFlip, RandomRotation, RandomZoom
from keras.models import Model
from keras.layers import Input

IMAGE_SIZE = (80, 80)


def build_model(num_classes=2):
    inputs = Input(shape=IMAGE_SIZE + (3,))
    x = RandomFlip("horizontal")(inputs)
    x = RandomRotation(0.1)(x)
    x = RandomZoom(0.1)(x)
    x = Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(32, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    activation = "sigmoid" if num_classes == 2 else "softmax"
    units = 1 if num_classes == 2 else num_classes
    outputs = layers.Dense(units, activation=activation)(x)
    return Model(inputs, outputs)


if __name__ == "__main__":
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    x = np.random.rand(32, 80, 80, 3).astype("float32") * 255
    y = np.random.randint(0, 2, 32)
    model.fit(x, y, epochs=1, batch_size=8)
