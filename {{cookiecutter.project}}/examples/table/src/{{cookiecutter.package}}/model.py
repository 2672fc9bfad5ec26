"""The model: yours to replace. The example is a ``keras.Sequential`` network on table rows.

The contract every command relies on (nothing else needs editing when you replace it, and
``dataset.py`` beside it is the same kind of contract): ``build_model(**keywords) ->
keras.Model``, compiled. The training engine calls it with keywords: the facts that
``dataset.load_data`` returns (here ``num_features``, ``mean``, ``variance`` and, for
classification, ``class_names``) and the options of ``options.ModelOptions``
(``learning_rate``, ``units``); facts and options your function does not take are left
out. Any loss, any metrics under any names: the history, ``metrics.json``, ``history.png``
and TensorBoard take their names from it.

``keras.Sequential`` is imported from ``keras`` itself, as the Keras 3 migration guide
recommends (https://keras.io/guides/migrating_to_keras_3/), not from ``tensorflow.keras``
or ``keras.api._v2``. The first entry is ``keras.Input``, not an ``input_shape=`` argument
(deprecated with a warning in Keras 3).
"""

from __future__ import annotations

import keras


def build_model(
    num_features: int = 4,
    mean: list[float] | None = None,
    variance: list[float] | None = None,
    class_names: list[str] | None = None,
    learning_rate: float = 1e-2,
    units: int = 32,
    **options,
) -> keras.Model:
    """Build and compile the network, a ``keras.Sequential``: input, normalisation, two
    hidden layers, head.

    Args:
        num_features: features per row.
        mean, variance: per-feature statistics of the training rows; the ``Normalization``
            layer maps raw rows to zero mean and unit variance with them, so the model (and
            its exported ``serve``) takes raw rows. ``None``: no normalisation.
        class_names: the classes of a classification; ``None`` for a regression.
        learning_rate: Adam's learning rate.
        units: units of each hidden ``Dense`` layer.
        **options: the configuration's other model options, unused here.

    Returns:
        A compiled ``keras.Model`` mapping float32 ``(batch, num_features)`` rows to float32
        ``(batch, 1)`` predictions (regression: loss ``mse``, metrics ``mae`` and ``rmse``)
        or ``(batch, classes)`` class probabilities (loss
        ``sparse_categorical_crossentropy`` on int labels, metric ``accuracy``).
    """
    layers = [keras.Input(shape=(num_features,), name="features")]
    if mean is not None and variance is not None:
        layers.append(keras.layers.Normalization(mean=mean, variance=variance))
    layers += [
        keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(units, activation="relu"),
    ]
    if class_names:
        layers.append(keras.layers.Dense(len(class_names), activation="softmax"))
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        layers.append(keras.layers.Dense(1))
        loss = "mse"
        metrics = [
            keras.metrics.MeanAbsoluteError(name="mae"),
            keras.metrics.RootMeanSquaredError(name="rmse"),
        ]
    model = keras.Sequential(layers, name="table_model")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)
    return model
