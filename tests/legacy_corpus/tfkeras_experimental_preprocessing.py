"""Flowers classifier with in-model augmentation (TF 2.3 - 2.5 image classification tutorial)."""
import numpy as np
import tensorflow as tf

from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.layers.experimental import preprocessing
from tensorflow.keras.models import Sequential

img_height = 96
img_width = 96
num_classes = 5


def build_model():
    data_augmentation = keras.Sequential(
        [
            preprocessing.RandomFlip("horizontal", input_shape=(img_height, img_width, 3)),
            preprocessing.RandomRotation(0.1),
            preprocessing.RandomZoom(0.1),
        ]
    )
    model = Sequential([
        data_augmentation,
        preprocessing.Rescaling(1. / 255),
        layers.Conv2D(16, 3, padding='same', activation='relu'),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding='same', activation='relu'),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(64, activation='relu'),
        layers.Dense(num_classes)
    ])
    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    return model


if __name__ == "__main__":
    AUTOTUNE = tf.data.experimental.AUTOTUNE
    x = np.random.rand(64, img_height, img_width, 3).astype("float32") * 255
    y = np.random.randint(0, num_classes, 64)
    train_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).cache().prefetch(buffer_size=AUTOTUNE)
    model = build_model()
    model.fit(train_ds, epochs=2)
