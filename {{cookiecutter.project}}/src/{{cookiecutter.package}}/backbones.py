"""The ``keras.applications`` backbones the example model offers, and their input needs.

Standard library only: ``config`` reads it to check ``backbone`` and to resolve the default
``image_size`` without importing Keras. ``model.py`` builds them
(https://keras.io/api/applications/). Each entry says how to map the model's input, RGB in
[0, 1], to what the application expects: ``Rescaling(scale, offset)``. The applications
that include their own preprocessing (``include_preprocessing=True``, their default) expect
[0, 255]; ResNet50V2 expects ``preprocess_input``'s "tf" mode, ``x / 127.5 - 1`` in [-1, 1].
``tests/test_backbones.py`` checks every entry against
``keras.applications.<module>.preprocess_input``.
"""

from __future__ import annotations

from typing import NamedTuple

CNN = "none"
CNN_IMAGE_SIZE = 32
MIN_IMAGE_SIZE = 32  # keras.applications refuse smaller inputs


class Backbone(NamedTuple):
    """One application: its module under ``keras.applications``, native size, and the
    ``Rescaling(scale, offset)`` from [0, 1] to its expected input."""

    module: str
    native_size: int
    scale: float
    offset: float
    expects: str


BUILT_IN = "[0, 255] (preprocessing built in)"
BACKBONES = {
    "MobileNetV3Small": Backbone("mobilenet_v3", 224, 255.0, 0.0, BUILT_IN),
    "EfficientNetV2B0": Backbone("efficientnet_v2", 224, 255.0, 0.0, BUILT_IN),
    "ResNet50V2": Backbone("resnet_v2", 224, 2.0, -1.0, "[-1, 1] (x / 127.5 - 1)"),
    "ConvNeXtTiny": Backbone("convnext", 224, 255.0, 0.0, BUILT_IN),
}
NAMES = (CNN, *BACKBONES)


def default_image_size(backbone: str) -> int:
    """The native input size of ``backbone``, or 32 for the example CNN (``none``) or an
    unknown name (the configuration then reports the name)."""
    entry = BACKBONES.get(backbone)
    return entry.native_size if entry else CNN_IMAGE_SIZE
