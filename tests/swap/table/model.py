"""A user's own model for the table swap test: functional, a Huber loss, metrics named
``mae`` and ``rmse``, the normalisation statistics taken from its own data's facts."""

import keras
import numpy as np


def build_model(n_inputs, mean, std, units=16):
    inputs = keras.Input(shape=(n_inputs,), name="measurements")
    x = keras.layers.Normalization(mean=mean, variance=np.square(std))(inputs)
    x = keras.layers.Dense(units, activation="relu")(x)
    outputs = keras.layers.Dense(1, name="heating_load")(x)
    model = keras.Model(inputs, outputs, name="heating")
    model.compile(
        optimizer=keras.optimizers.Adam(5e-2),
        loss=keras.losses.Huber(),
        metrics=[
            keras.metrics.MeanAbsoluteError(name="mae"),
            keras.metrics.RootMeanSquaredError(name="rmse"),
        ],
    )
    return model
