"""Cats vs dogs style classifier with ImageDataGenerator (TF 2.3 tutorial style)."""
import os

import numpy as np
import tensorflow as tf
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Conv2D, Flatten, Dropout, MaxPooling2D
from tensorflow.keras.preprocessing.image import ImageDataGenerator

batch_size = 32
epochs = 15
IMG_HEIGHT = 64
IMG_WIDTH = 64


def build_model():
    model = Sequential([
        Conv2D(16, 3, padding='same', activation='relu', input_shape=(IMG_HEIGHT, IMG_WIDTH, 3)),
        MaxPooling2D(),
        Conv2D(32, 3, padding='same', activation='relu'),
        MaxPooling2D(),
        Dropout(0.2),
        Flatten(),
        Dense(64, activation='relu'),
        Dense(1)
    ])
    model.compile(optimizer='adam',
                  loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    return model


if __name__ == '__main__':
    train_dir = os.path.join('cats_and_dogs_filtered', 'train')
    image_gen_train = ImageDataGenerator(
        rescale=1. / 255,
        rotation_range=45,
        width_shift_range=.15,
        height_shift_range=.15,
        horizontal_flip=True,
        zoom_range=0.5
    )
    validation_image_generator = ImageDataGenerator(rescale=1. / 255)

    if os.path.isdir(train_dir):
        train_data_gen = image_gen_train.flow_from_directory(batch_size=batch_size,
                                                             directory=train_dir,
                                                             shuffle=True,
                                                             target_size=(IMG_HEIGHT, IMG_WIDTH),
                                                             class_mode='binary')
    else:
        x = np.random.rand(96, IMG_HEIGHT, IMG_WIDTH, 3) * 255
        y = np.random.randint(0, 2, 96)
        train_data_gen = image_gen_train.flow(x, y, batch_size=batch_size)

    model = build_model()
    model.summary()
    history = model.fit(train_data_gen, steps_per_epoch=len(train_data_gen), epochs=2)
