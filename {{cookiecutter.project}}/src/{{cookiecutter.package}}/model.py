"""The example model: a small ``keras.Sequential`` CNN image classifier.

``keras.Sequential`` is imported from ``keras`` itself, as the Keras 3 migration guide
recommends (https://keras.io/guides/migrating_to_keras_3/), not from ``tensorflow.keras``
or ``keras.api._v2``. The first entry is ``keras.Input``, not an ``input_shape=`` argument
(deprecated with a warning in Keras 3).
"""

from __future__ import annotations

import keras


def build_model(
    image_size: tuple[int, int] = (32, 32), num_classes: int = 2, learning_rate: float = 3e-3
) -> keras.Sequential:
    """Build and compile the classifier.

    Args:
        image_size: ``(height, width)`` of the float32 RGB input in pixels.
        num_classes: number of classes (at least 2).
        learning_rate: Adam's learning rate.

    Returns:
        A compiled ``keras.Sequential`` mapping float32 ``(batch, height, width, 3)`` in
        [0, 1] to float32 ``(batch, num_classes)`` class probabilities; loss
        ``sparse_categorical_crossentropy`` on int labels, metric ``accuracy``.

    Raises:
        ValueError: ``num_classes`` < 2.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    model = keras.Sequential(
        [
            keras.Input(shape=(*image_size, 3)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="image_classifier",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
