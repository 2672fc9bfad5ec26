"""Char-CNN classifier written for Keras 1 and 2 at once (2017).

It switches on `keras.__version__`; under Keras 3 the `else` branches run.
"""
import numpy as np
import keras
from keras.layers import Dense, Embedding, Flatten, Input
from keras.models import Model

if keras.__version__.startswith('1.'):
    from keras.layers import Merge, Convolution1D as Conv1D
    KERAS_2 = False
else:
    from keras.layers import Conv1D, concatenate
    KERAS_2 = True

if int(keras.__version__.split('.')[0]) >= 2:
    from keras.layers.normalization import BatchNormalization
else:
    from keras.layers import BatchNormalization


def build_model(vocab=70, length=64):
    inputs = Input((length,))
    x = Embedding(vocab, 16)(inputs)
    towers = [Conv1D(8, size, activation='relu')(x) for size in (3, 5)]
    x = concatenate([Flatten()(t) for t in towers])
    x = BatchNormalization()(x)
    outputs = Dense(4, activation='softmax')(x)
    return Model(inputs=inputs, outputs=outputs)
