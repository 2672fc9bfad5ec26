"""Simple convnet on MNIST (Keras 2.2.4).

All imports here are from the top-level keras.layers / keras.optimizers
namespaces, but the optimizer is built with the old `lr` argument.
"""
from __future__ import print_function

import numpy as np

import keras
from keras.models import Sequential
from keras.layers import Dense, Dropout, Flatten
from keras.layers import Conv2D, MaxPooling2D
from keras.optimizers import Adam
from keras import backend as K

batch_size = 128
num_classes = 10
epochs = 12

# input image dimensions
img_rows, img_cols = 28, 28


def build_model():
    if K.image_data_format() == 'channels_first':
        input_shape = (1, img_rows, img_cols)
    else:
        input_shape = (img_rows, img_cols, 1)

    model = Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3),
                     activation='relu',
                     input_shape=input_shape))
    model.add(Conv2D(64, (3, 3), activation='relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.5))
    model.add(Dense(num_classes, activation='softmax'))

    model.compile(loss=keras.losses.categorical_crossentropy,
                  optimizer=Adam(lr=1e-3),
                  metrics=['accuracy'])
    return model


if __name__ == '__main__':
    x_train = np.random.rand(128, img_rows, img_cols, 1).astype('float32')
    y_train = keras.utils.to_categorical(np.random.randint(0, 10, 128), num_classes)
    model = build_model()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=1, verbose=1)
