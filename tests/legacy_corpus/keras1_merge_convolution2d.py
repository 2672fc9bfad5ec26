'''Two-branch CNN on MNIST with the Keras 1 Sequential Merge layer.

Keras 1.2.2, Theano or TensorFlow backend.
'''
from __future__ import print_function

import numpy as np
np.random.seed(1337)

from keras.models import Sequential
from keras.layers import Merge
from keras.layers import Convolution2D, MaxPooling2D
from keras.layers import Dense, Dropout, Activation, Flatten
from keras.utils import np_utils
from keras.utils.visualize_util import plot
from keras import backend as K

nb_classes = 10
img_rows, img_cols = 28, 28
nb_filters = 32
nb_pool = 2
nb_conv = 3


def make_branch(input_shape, kernel):
    branch = Sequential()
    branch.add(Convolution2D(nb_filters, kernel, kernel, border_mode='same',
                             init='he_normal', input_shape=input_shape))
    branch.add(Activation('relu'))
    branch.add(MaxPooling2D(pool_size=(nb_pool, nb_pool)))
    branch.add(Flatten())
    return branch


def build_model():
    if K.image_dim_ordering() == 'th':
        input_shape = (1, img_rows, img_cols)
    else:
        input_shape = (img_rows, img_cols, 1)

    left = make_branch(input_shape, nb_conv)
    right = make_branch(input_shape, 5)

    model = Sequential()
    model.add(Merge([left, right], mode='concat'))
    model.add(Dense(output_dim=128, init='he_normal'))
    model.add(Activation('relu'))
    model.add(Dropout(0.5))
    model.add(Dense(output_dim=nb_classes))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='adadelta', metrics=['accuracy'])
    return model


if __name__ == '__main__':
    X = np.random.rand(64, img_rows, img_cols, 1).astype('float32')
    Y = np_utils.to_categorical(np.random.randint(0, nb_classes, 64), nb_classes)
    model = build_model()
    plot(model, to_file='model.png', show_shapes=True)
    model.fit([X, X], Y, batch_size=32, nb_epoch=2, verbose=1)
