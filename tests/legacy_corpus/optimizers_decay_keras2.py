"""Optimizer zoo of a 2018 benchmark script (Keras 2.2): every optimizer with `decay`.

The learning-rate decay was a constructor argument in Keras 2; Keras 3 accepts it,
warns, and ignores it.
"""
import numpy as np
import keras
from keras.layers import Dense, Input
from keras.models import Model
from keras.optimizers import SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam

OPTIMIZERS = {
    'sgd': lambda: SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True),
    'rmsprop': lambda: RMSprop(lr=0.001, rho=0.9, epsilon=None, decay=1e-5),
    'adagrad': lambda: Adagrad(lr=0.01, epsilon=None, decay=1e-4),
    'adadelta': lambda: Adadelta(lr=1.0, rho=0.95, epsilon=None, decay=1e-4),
    'adam': lambda: Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, amsgrad=False),
    'adamax': lambda: Adamax(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, decay=1e-4),
    'nadam': lambda: Nadam(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, schedule_decay=0.004),
}


def positional_optimizers():
    # the short forms of the README: rate (and momentum) as positional arguments
    return [Adam(1e-4, decay=1e-4), SGD(0.01, 0.9, decay=1e-6, nesterov=True),
            keras.optimizers.RMSprop(0.001, decay=1e-6)]


def build_model():
    inputs = Input((10,))
    outputs = Dense(1)(Dense(16, activation='relu')(inputs))
    model = Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=Adam(1e-3, decay=1e-5), loss='mse')
    return model
