"""The model: yours to replace. The example is a small ``keras.Sequential`` CNN classifier.

The contract every command relies on (nothing else needs editing when you replace it):
``build_model(image_size, num_classes, **options) -> keras.Model``, compiled. The training
engine calls it with keywords: ``image_size=(height, width)`` in pixels, ``num_classes`` (the
number of class sub-folders) and the options of ``config.ModelOptions`` (``learning_rate``);
options your function does not take are left out. The model takes float32 RGB images
``(batch, height, width, 3)`` in [0, 1] and returns ``(batch, num_classes)`` scores, or
``(batch, 1)`` for two classes; any loss (its ``from_logits`` tells evaluate, predict and
export whether the outputs are logits), any metrics under any names: the history,
``metrics.json``, ``history.png`` and TensorBoard take their names from it.

``keras.Sequential`` is imported from ``keras`` itself, as the Keras 3 migration guide
recommends (https://keras.io/guides/migrating_to_keras_3/), not from ``tensorflow.keras``
or ``keras.api._v2``. The first entry is ``keras.Input``, not an ``input_shape=`` argument
(deprecated with a warning in Keras 3).
"""

from __future__ import annotations

import keras


def build_model(
    image_size: tuple[int, int] = (32, 32),
    num_classes: int = 2,
    learning_rate: float = 3e-3,
    **options,
) -> keras.Sequential:
    """Build and compile the classifier.

    Args:
        image_size: ``(height, width)`` of the float32 RGB input in pixels.
        num_classes: number of classes (at least 2).
        learning_rate: Adam's learning rate.
        **options: the configuration's other model options, unused here.

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
