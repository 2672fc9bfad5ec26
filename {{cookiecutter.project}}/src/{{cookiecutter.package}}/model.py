"""The model: yours to replace. The example is a small CNN, or a ``keras.applications``
backbone with a new classifier head.

The contract every command relies on (nothing else needs editing when you replace it):
``build_model(image_size, num_classes, **options) -> keras.Model``, compiled. The training
engine calls it with keywords: ``image_size=(height, width)`` in pixels, ``num_classes`` (the
number of class sub-folders) and the options of ``config.ModelOptions`` (``learning_rate``,
``backbone``, ``weights``, ``augment``, ...); options your function does not take are left
out. The model takes float32 RGB images ``(batch, height, width, 3)`` in [0, 1] and returns
``(batch, num_classes)`` scores, or ``(batch, 1)`` for two classes; any loss (its
``from_logits`` tells evaluate, predict and export whether the outputs are logits), any
metrics under any names: the history, ``metrics.json``, ``history.png`` and TensorBoard take
their names from it.

A layer named ``backbone`` (a pretrained feature extractor) is what the engine freezes for the
first phase and partly unfreezes for fine-tuning (``training.phases``), and whose weights it
saves as ``backbone.weights.h5``. The backbone's own preprocessing and the augmentation are
layers inside the model, so both loaders and the exported ``serve`` endpoint feed it the same
[0, 1] images; augmentation layers act only when the model is called with ``training=True``
(https://keras.io/guides/preprocessing_layers/).

``keras.Sequential`` is imported from ``keras`` itself, as the Keras 3 migration guide
recommends (https://keras.io/guides/migrating_to_keras_3/), not from ``tensorflow.keras``
or ``keras.api._v2``. The first entry is ``keras.Input``, not an ``input_shape=`` argument
(deprecated with a warning in Keras 3).
"""

from __future__ import annotations

import keras

from .backbones import BACKBONES, CNN


def augmentation(
    flip: str = "horizontal", rotation: float = 0.05, zoom: float = 0.1, contrast: float = 0.1
) -> keras.Sequential:
    """Random flip, rotation, zoom and contrast, as one ``keras.Sequential`` named
    ``augmentation``; each layer with a zero strength (``flip`` ``none``) is left out.

    The layers change images only when called with ``training=True``; with
    ``training=False`` (evaluate, predict, the exported ``serve``) they pass them through.
    https://keras.io/api/layers/preprocessing_layers/image_augmentation/
    """
    layers = []
    if flip != "none":
        layers.append(keras.layers.RandomFlip(flip))
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, fill_mode="reflect"))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, fill_mode="reflect"))
    if contrast:
        layers.append(keras.layers.RandomContrast(contrast))
    return keras.Sequential(layers, name="augmentation")


def backbone_preprocessing(backbone: str) -> keras.layers.Rescaling:
    """The layer mapping RGB in [0, 1] to what ``backbone`` expects (``backbones.BACKBONES``),
    named ``preprocessing``: ``Rescaling(255)`` for the applications that include their
    preprocessing, ``Rescaling(2, offset=-1)`` for ResNet50V2's [-1, 1]."""
    entry = BACKBONES[backbone]
    return keras.layers.Rescaling(entry.scale, offset=entry.offset, name="preprocessing")


def cnn_features(inputs):
    """The example CNN: three convolutions and global average pooling."""
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    return keras.layers.GlobalAveragePooling2D()(x)


def build_model(
    image_size: tuple[int, int] = (32, 32),
    num_classes: int = 2,
    learning_rate: float = 3e-3,
    backbone: str = CNN,
    weights: str = "imagenet",
    augment: bool = False,
    flip: str = "horizontal",
    rotation: float = 0.05,
    zoom: float = 0.1,
    contrast: float = 0.1,
    **options,
) -> keras.Model:
    """Build and compile the classifier.

    Args:
        image_size: ``(height, width)`` of the float32 RGB input in pixels.
        num_classes: number of classes (at least 2).
        learning_rate: Adam's learning rate.
        backbone: ``none`` for the small CNN, or a name of ``backbones.BACKBONES``: that
            ``keras.applications`` model without its classifier (``include_top=False``,
            average pooling), as the layer ``backbone``, then dropout and the new head.
        weights: the backbone's weights: ``imagenet`` (Keras downloads them into
            ``$KERAS_HOME/models`` on first use), ``none``, or a weights file path (a run's
            ``backbone.weights.h5``). Pretrained weights run the backbone with
            ``training=False``, so its BatchNormalization stays in inference mode even
            when fine-tuning unfreezes it (https://keras.io/guides/transfer_learning/).
        augment: add ``augmentation(flip, rotation, zoom, contrast)`` after the input.
        flip, rotation, zoom, contrast: the augmentation strengths.
        **options: the configuration's other model options, unused here.

    Returns:
        A compiled ``keras.Model`` mapping float32 ``(batch, height, width, 3)`` in [0, 1]
        to float32 ``(batch, num_classes)`` class probabilities; loss
        ``sparse_categorical_crossentropy`` on int labels, metric ``accuracy``.

    Raises:
        ValueError: ``num_classes`` < 2, or an unknown ``backbone``.
        Exception: Keras's "URL fetch failure on URL" when ``imagenet`` weights are not
            cached and cannot be downloaded (the engine reports it as one line).
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    inputs = keras.Input(shape=(*image_size, 3))
    x = augmentation(flip, rotation, zoom, contrast)(inputs) if augment else inputs
    if backbone == CNN:
        x = cnn_features(x)
    else:
        if backbone not in BACKBONES:
            raise ValueError(f"backbone {backbone!r} is not one of {', '.join(BACKBONES)}")
        pretrained = weights != "none"
        application = getattr(keras.applications, backbone)(
            include_top=False,
            weights=weights if pretrained else None,
            input_shape=(*image_size, 3),
            pooling="avg",
        )
        application.name = "backbone"  # what the engine looks for (some take no name=)
        x = backbone_preprocessing(backbone)(x)
        x = application(x, training=False) if pretrained else application(x)
        x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="image_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
