"""A user's own model, as a new user writes it on day one: the swap test's ``model.py``.

Functional, not Sequential; a loss object with ``from_logits=True`` (the last layer has no
activation: logits); metrics under other names than the example's (``acc``, ``top3``); its
own options (``dropout``), and no ``learning_rate`` parameter: the engine passes only what
``build_model`` takes. Nothing else of the project is edited around it.
"""

import keras


def build_model(image_size, num_classes, dropout=0.1):
    inputs = keras.Input(shape=(*image_size, 3), name="photo")
    x = keras.layers.Conv2D(24, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(48, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(dropout)(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    model = keras.Model(inputs, logits, name="my_classifier")
    model.compile(
        optimizer=keras.optimizers.AdamW(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="acc"),
            keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2"),
        ],
    )
    return model
