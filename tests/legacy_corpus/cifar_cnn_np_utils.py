# CIFAR-10 small CNN with batchnorm + leaky relu
# based on the keras/examples/cifar10_cnn.py script (Keras 2.1)
import os
import sys

import numpy as np

from keras.models import Sequential
from keras.layers.core import Dense, Dropout, Activation, Flatten
from keras.layers.convolutional import Conv2D, MaxPooling2D
from keras.layers.normalization import BatchNormalization
from keras.layers.advanced_activations import LeakyReLU
from keras.optimizers import SGD
from keras.utils import np_utils
from keras.callbacks import ModelCheckpoint, ReduceLROnPlateau

num_classes = 10
img_rows, img_cols, channels = 32, 32, 3
save_dir = os.path.join(os.getcwd(), 'saved_models')


def build_model():
    model = Sequential()
    model.add(Conv2D(32, (3, 3), padding='same',
                     input_shape=(img_rows, img_cols, channels)))
    model.add(BatchNormalization())
    model.add(LeakyReLU(alpha=0.1))
    model.add(Conv2D(32, (3, 3)))
    model.add(BatchNormalization())
    model.add(LeakyReLU(alpha=0.1))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))

    model.add(Conv2D(64, (3, 3), padding='same'))
    model.add(BatchNormalization())
    model.add(LeakyReLU(alpha=0.1))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))

    model.add(Flatten())
    model.add(Dense(128))
    model.add(Activation('relu'))
    model.add(Dropout(0.5))
    model.add(Dense(num_classes))
    model.add(Activation('softmax'))
    return model


if __name__ == '__main__':
    x_train = np.random.rand(256, img_rows, img_cols, channels).astype('float32')
    y_train = np.random.randint(0, num_classes, size=(256, 1))
    # Convert class vectors to binary class matrices.
    y_train = np_utils.to_categorical(y_train, num_classes)

    model = build_model()
    sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])

    if not os.path.isdir(save_dir):
        os.makedirs(save_dir)
    checkpoint = ModelCheckpoint(os.path.join(save_dir, 'weights.{epoch:02d}-{val_loss:.2f}.hdf5'),
                                 monitor='val_loss', save_best_only=True)
    reduce_lr = ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=5, min_lr=0.001)
    model.fit(x_train, y_train, batch_size=32, epochs=2, validation_split=0.1,
              callbacks=[checkpoint, reduce_lr], shuffle=True)
    sys.exit(0)
