"""The options of your ``dataset.py`` and ``model.py``: configuration fields passed on as
keywords. Yours to edit beside those two files.

``DataOptions`` go to ``dataset.load_data`` and ``dataset.load_inputs``, ``ModelOptions`` to
``model.build_model``; the training engine passes each function only the options it takes
(all of them when it takes ``**options``). Every field is a flag of ``make train`` (``--image-size
64``) and a key of a configuration file, checked by pydantic when the configuration is built
(https://docs.pydantic.dev/latest/concepts/models/). Add a field here when your function takes a
new keyword; a run's ``config.yaml`` records them with the rest.

This example's options: the image folder (``loader``, ``image_size``, ``workers``,
``cache``) and the classifier (``learning_rate``, ``backbone``, ``weights``, augmentation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from .backbones import CNN, MIN_IMAGE_SIZE, NAMES, default_image_size
from .config_base import Config

__all__ = ["DataOptions", "ModelOptions"]


class DataOptions(Config):
    """Keywords of ``dataset.load_data`` and ``dataset.load_inputs``."""

    loader: Literal["sequence", "tf-data"] = Field(
        "sequence",
        description="sequence: the keras.utils.PyDataset loader; tf-data: the tf.data pipeline "
        "(the one multi-worker training takes, and its default there)",
    )
    image_size: int | None = Field(
        None,
        ge=8,
        description="height and width in pixels of the model input (default: the backbone's "
        "native size, 32 for the CNN)",
    )
    workers: int = Field(1, ge=1, description="PyDataset worker threads (sequence loader)")
    cache: bool = Field(False, description="keep decoded images in memory (tf-data loader)")

    @model_validator(mode="before")
    @classmethod
    def _multi_worker_takes_tf_data(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("strategy") == "multi-worker":
            data = {"loader": "tf-data", **data}
        return data

    @model_validator(mode="after")
    def _default_image_size(self) -> DataOptions:
        """The one place ``image_size`` is resolved: unset or null, it follows ``backbone``
        (``backbones.default_image_size``). Written into ``__dict__`` as the model is frozen;
        ``model_fields_set`` still says whether the user set it."""
        if self.image_size is None:
            self.__dict__["image_size"] = default_image_size(getattr(self, "backbone", CNN))
        if getattr(self, "strategy", None) == "multi-worker" and self.loader != "tf-data":
            raise ValueError(
                "loader 'sequence' cannot be sharded across workers: multi-worker training "
                "takes loader 'tf-data'"
            )
        if getattr(self, "backbone", CNN) != CNN and self.image_size < MIN_IMAGE_SIZE:
            raise ValueError(
                f"image_size {self.image_size} is below {MIN_IMAGE_SIZE}, the smallest input "
                f"keras.applications take: use --image-size {MIN_IMAGE_SIZE} or more"
            )
        return self


class ModelOptions(Config):
    """Keywords of ``model.build_model`` (those it accepts)."""

    learning_rate: float = Field(3e-3, gt=0, description="the optimizer's learning rate")
    backbone: Literal[NAMES] = Field(  # type: ignore[valid-type]
        CNN,
        description="none: the small CNN; or a keras.applications model by its Keras name "
        "(see backbones.py), without its classifier",
    )
    weights: str = Field(
        "imagenet",
        description="the backbone's initial weights: imagenet (downloaded by Keras on first "
        "use into $KERAS_HOME/models), none (random), or the path of a weights file such as "
        "a run's backbone.weights.h5",
    )
    augment: bool = Field(
        False, description="random flip, rotation, zoom and contrast layers (training only)"
    )
    flip: Literal["horizontal", "vertical", "horizontal_and_vertical", "none"] = Field(
        "horizontal", description="augment: RandomFlip mode"
    )
    rotation: float = Field(
        0.05, ge=0, le=1, description="augment: RandomRotation factor, a fraction of a turn"
    )
    zoom: float = Field(0.1, ge=0, lt=1, description="augment: RandomZoom height factor")
    contrast: float = Field(0.1, ge=0, le=1, description="augment: RandomContrast factor")

    @model_validator(mode="after")
    def _check_weights(self) -> ModelOptions:
        if self.weights not in ("imagenet", "none") and not Path(self.weights).is_file():
            raise ValueError(
                f"weights {self.weights!r} is not imagenet, none, or an existing weights file "
                "(a run's backbone.weights.h5)"
            )
        if getattr(self, "fine_tune_epochs", 0) and self.weights == "none":
            raise ValueError(
                "fine_tune_epochs needs pretrained weights (imagenet or a file): with weights "
                "none the backbone trains from the start, in one phase of EPOCHS"
            )
        return self
