"""MNIST convnet ported from Keras 1 with a compatibility shim (2017).

The port kept one Keras 1 call at module level, then rebinds `Convolution2D` to a shim
with the Keras 1 signature; the calls after the shim use it.
"""
import numpy as np
from keras.layers import Convolution2D, Conv2D, Dense, Flatten, Input, MaxPooling2D
from keras.models import Model
from keras.optimizers import SGD

STEM_FILTERS = 16


# the Keras 1 stem layer, built while `Convolution2D` is still Keras's own
STEM = Convolution2D(STEM_FILTERS, 3, 3, border_mode='same', init='he_normal')


def Convolution2D(nb_filter, nb_row, nb_col, border_mode='same', subsample=(1, 1), **kwargs):
    """Keras 1 signature on top of Keras 2's Conv2D."""
    return Conv2D(nb_filter, (nb_row, nb_col), padding=border_mode, strides=subsample, **kwargs)


def build_model():
    inputs = Input((28, 28, 1))
    x = Convolution2D(32, 3, 3, border_mode='same', subsample=(1, 1), activation='relu')(inputs)
    x = MaxPooling2D()(x)
    x = Flatten()(x)
    outputs = Dense(10, activation='softmax')(x)
    model = Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=SGD(lr=0.01, momentum=0.9), loss='categorical_crossentropy')
    return model
