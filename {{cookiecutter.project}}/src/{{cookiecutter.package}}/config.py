"""The typed configuration of every command: one class per command, every default here.

Each command (``train``, ``evaluate``, ``predict``, ``export``, ``benchmark``, the demo data
and the cluster launcher) takes one of these classes, never an argparse ``Namespace``. A
notebook builds one directly::

    from {{ cookiecutter.package }}.train import TrainConfig, train
    metrics = train(TrainConfig(data_dir="data/demo", epochs=3))

The classes are pydantic models (https://docs.pydantic.dev/latest/concepts/models/): the
types and bounds below are checked when a configuration is built, from a notebook, from a
file or from flags alike, and a bad value is reported with the field, the value given and
what is accepted. ``cli.parse`` turns every field into a flag (``batch_size`` ->
``--batch-size``, booleans as ``--fresh``/``--no-fresh``) with pydantic-settings' CLI source
(https://docs.pydantic.dev/latest/concepts/pydantic_settings/#command-line-support), and
reads a configuration file given with ``--config`` (YAML or TOML), which flags override.
Configurations are immutable (``frozen``); unknown fields are refused (``extra="forbid"``), so
a misspelt key in a file is an error rather than silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .backbones import CNN, MIN_IMAGE_SIZE, NAMES, default_image_size

LOADERS = ("sequence", "tf-data")
STRATEGIES = ("default", "mirrored", "multi-worker")


class Config(BaseModel):
    """Base of every configuration: immutable, unknown fields refused, defaults checked."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    def to_file_dict(self) -> dict[str, Any]:
        """The fields as plain JSON/YAML values (paths as strings), in declaration order."""
        return self.model_dump(mode="json")


class BatchOptions(Config):
    batch_size: int = Field(32, ge=1, description="images per batch")


class ImageOptions(BatchOptions):
    image_size: int | None = Field(
        None,
        ge=8,
        description="height and width in pixels of the model input (default: the backbone's "
        "native size, 32 for the CNN)",
    )

    @model_validator(mode="after")
    def _default_image_size(self) -> ImageOptions:
        """The one place ``image_size`` is resolved: unset or null, it follows ``backbone``
        (``backbones.default_image_size``). Written into ``__dict__`` as the model is frozen;
        ``model_fields_set`` still says whether the user set it."""
        if self.image_size is None:
            self.__dict__["image_size"] = default_image_size(getattr(self, "backbone", CNN))
        return self


class ModelFile(Config):
    model: Path = Field(
        Path("artifacts/model.keras"),
        description="a .keras model written by training (class_names.json beside it)",
    )

    def output_or(self, output_dir: Path | None, name: str) -> Path:
        """``output_dir``, or ``name`` in the model file's folder (the training run's)."""
        return output_dir if output_dir is not None else self.model.parent / name


class ModelOptions(Config):
    """The options ``train`` passes to ``model.build_model`` as keywords (those it accepts)."""

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
        return self


class TrainConfig(ImageOptions, ModelOptions):
    """Train the model of src/<package>/model.py on a folder of class sub-folders."""

    data_dir: Path = Field(Path("data/demo"), description="folder of class sub-folders")
    output_dir: Path = Field(Path("artifacts"), description="the run's folder")
    loader: Literal["sequence", "tf-data"] = Field(
        "sequence",
        description="sequence: the keras.utils.PyDataset loader; tf-data: the tf.data pipeline "
        "(the one multi-worker training takes, and its default there)",
    )
    epochs: int = Field(
        5, ge=1, description="epochs (with a pretrained backbone: of the head, backbone frozen)"
    )
    fine_tune_epochs: int = Field(
        0,
        ge=0,
        description="epochs of the second phase: the top of the backbone unfrozen "
        "(the model's layer named backbone; pretrained weights)",
    )
    fine_tune_layers: int | None = Field(
        20, ge=1, description="layers with weights unfrozen at the top of the backbone (null: all)"
    )
    fine_tune_learning_rate: float = Field(
        1e-5, gt=0, description="the learning rate of the fine-tuning phase"
    )
    validation_split: float = Field(
        0.2, ge=0.0, lt=1.0, description="fraction of every class held out for validation"
    )
    seed: int = Field(0, description="seed of the split, the shuffling and the weights")
    workers: int = Field(1, ge=1, description="PyDataset worker threads (sequence loader)")
    cache: bool = Field(False, description="keep decoded images in memory (tf-data loader)")
    label_mode: Literal["auto", "int", "categorical", "binary"] = Field(
        "auto",
        description="labels as the loss expects them, as in image_dataset_from_directory: "
        "int class indices, categorical one-hot rows, binary 0/1 floats; auto asks the "
        "compiled loss (see training.targets)",
    )
    patience: int | None = Field(
        None, ge=1, description="stop after this many epochs without a better val_loss"
    )
    fresh: bool = Field(False, description="ignore the backup of an interrupted run")
    deterministic: bool = Field(
        False, description="bit-identical reruns: seeded, with TensorFlow op determinism"
    )
    strategy: Literal["default", "mirrored", "multi-worker"] = Field(
        "default",
        description="mirrored: every GPU (or CPU device) of this machine; multi-worker: one "
        "process of the cluster TF_CONFIG describes (make train-cluster)",
    )
    peer_timeout: float = Field(
        60.0, gt=0, description="multi-worker: seconds to wait for the other workers"
    )
    cpu_devices: int = Field(
        1, ge=1, description="split the CPU into N logical devices (mirrored without GPUs)"
    )
    log_dir: Path | None = Field(None, description="TensorBoard logs (default: OUTPUT_DIR/logs)")

    @model_validator(mode="before")
    @classmethod
    def _multi_worker_takes_tf_data(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("strategy") == "multi-worker":
            data = {"loader": "tf-data", **data}
        return data

    @model_validator(mode="after")
    def _check_loader(self) -> TrainConfig:
        if self.strategy == "multi-worker" and self.loader != "tf-data":
            raise ValueError(
                "loader 'sequence' cannot be sharded across workers: multi-worker training "
                "takes loader 'tf-data'"
            )
        if self.strategy == "multi-worker" and self.fine_tune_epochs:
            raise ValueError(
                "fine-tuning (fine_tune_epochs > 0) runs with strategy default or mirrored, not "
                "multi-worker: train the head there, then fine-tune from its "
                "backbone.weights.h5 with --weights PATH on one machine"
            )
        if self.backbone != CNN and self.image_size < MIN_IMAGE_SIZE:
            raise ValueError(
                f"image_size {self.image_size} is below {MIN_IMAGE_SIZE}, the smallest input "
                f"keras.applications take: use --image-size {MIN_IMAGE_SIZE} or more"
            )
        if self.fine_tune_epochs and self.weights == "none":
            raise ValueError(
                "fine_tune_epochs needs pretrained weights (imagenet or a file): with weights "
                "none the backbone trains from the start, in one phase of EPOCHS"
            )
        return self

    def model_options(self) -> dict[str, Any]:
        """The ``ModelOptions`` fields: what ``build_model`` may take as keywords."""
        return {name: getattr(self, name) for name in ModelOptions.model_fields}

    @property
    def logs(self) -> Path:
        """The TensorBoard log folder: ``log_dir``, else ``output_dir/logs``."""
        return self.log_dir if self.log_dir is not None else self.output_dir / "logs"


class EvaluateConfig(ModelFile, BatchOptions):
    """Measure a trained model on a labelled folder of class sub-folders."""

    data_dir: Path = Field(Path("data/demo"), description="folder of class sub-folders")
    output_dir: Path | None = Field(
        None, description="where evaluation.json goes (default: the model's folder/evaluation)"
    )

    @property
    def output(self) -> Path:
        return self.output_or(self.output_dir, "evaluation")


class PredictConfig(ModelFile, BatchOptions):
    """Classify image files with a trained model."""

    input: Path = Field(description="an image file or a folder of them (searched recursively)")
    output_dir: Path | None = Field(
        None, description="where predictions.csv goes (default: the model's folder/predictions)"
    )

    @property
    def output(self) -> Path:
        return self.output_or(self.output_dir, "predictions")


class ExportConfig(ModelFile):
    """Export a trained model as a SavedModel for TensorFlow Serving."""

    output_dir: Path | None = Field(
        None, description="the SavedModel folder (default: the model's folder/export)"
    )

    @property
    def output(self) -> Path:
        return self.output_or(self.output_dir, "export")


class BenchConfig(ImageOptions):
    """Measure the loaders, fit with each and fit in memory on a folder, in one run: images/s
    and peak RSS of each (``benchmark.py``)."""

    data_dir: Path = Field(Path("data/demo"), description="folder of class sub-folders")
    epochs: int = Field(
        3, ge=1, description="timed passes (loaders) or epochs (fit), after one untimed"
    )
    workers: int = Field(2, ge=1, description="PyDataset worker threads")


class DataCheckConfig(Config):
    """Check a folder of class sub-folders before training: duplicates, unreadable files,
    EXIF orientation, sizes, class balance."""

    data_dir: Path = Field(Path("data/demo"), description="folder of class sub-folders")
    image_size: int = Field(32, ge=1, description="the training size: smaller images are named")
    max_imbalance: float = Field(
        3.0, ge=1.0, description="warn when the largest class is more than this times the smallest"
    )
    report: Path = Field(
        Path("artifacts/data-check.json"), description="where the JSON report is written"
    )


class DemoDataConfig(Config):
    """Write the offline demo dataset: three classes of drawn shapes."""

    output_dir: Path = Field(Path("data/demo"), description="the dataset folder")
    images_per_class: int = Field(200, ge=1, description="images in every class")
    image_size: int = Field(32, ge=8, description="pixels (square)")
    seed: int = Field(0, description="seed of the drawing")


class LaunchConfig(Config):
    """Run multi-worker training on this machine: N train processes, one cluster."""

    workers: int = Field(2, ge=1, description="worker processes")
    grace: float = Field(5.0, gt=0, description="seconds to stop the others before killing them")
