"""The typed configuration of every command: one class per command, every default here.

Each command (``train``, ``evaluate``, ``predict``, ``export`` and the cluster launcher) takes
one of these classes, never an argparse ``Namespace``. ``TrainConfig`` holds the training
engine's fields and your own ``options.DataOptions`` and ``options.ModelOptions`` (the
keywords of ``dataset.load_data`` and ``model.build_model``). A notebook builds one
directly::

    from {{ cookiecutter.package }}.train import TrainConfig, train
    metrics = train(TrainConfig(epochs=3))

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

import importlib.util
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from .config_base import Config
from .options import DataOptions, ModelOptions

__all__ = [
    "Config",
    "EvaluateConfig",
    "ExportConfig",
    "LaunchConfig",
    "PredictConfig",
    "RunsConfig",
    "TrainConfig",
    "TuneConfig",
]

DEFAULT_DATA = Path("data/demo")
STRATEGIES = ("default", "mirrored", "multi-worker")


class BatchOptions(Config):
    batch_size: int = Field(32, ge=1, description="examples per batch")


class ModelFile(Config):
    model: Path = Field(
        Path("artifacts/model.keras"),
        description="a .keras model written by training (its run's facts.json and config.yaml "
        "are beside it)",
    )

    def output_or(self, output_dir: Path | None, name: str) -> Path:
        """``output_dir``, or ``name`` in the model file's folder (the training run's)."""
        return output_dir if output_dir is not None else self.model.parent / name


class TrainConfig(DataOptions, ModelOptions, BatchOptions):
    """Train the model of src/<package>/model.py on the data that dataset.py loads."""

    # Sections of a configuration file that training skips: tune.py reads ``search``, so
    # one file serves ``make tune`` and ``make train CONFIG=``.
    file_sections: ClassVar[tuple[str, ...]] = ("search",)

    data_dir: Path = Field(DEFAULT_DATA, description="the data that dataset.load_data reads")
    output_dir: Path = Field(Path("artifacts"), description="the run's folder")
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
        0.2, ge=0.0, lt=1.0, description="fraction of the data held out for validation"
    )
    seed: int = Field(0, description="seed of the split, the shuffling and the weights")
    label_mode: Literal["auto", "int", "categorical", "binary"] = Field(
        "auto",
        description="classification data (its facts name class_names): labels as the loss "
        "expects them, as in image_dataset_from_directory: int class indices, categorical "
        "one-hot rows, binary 0/1 floats; auto asks the compiled loss (see training.targets)",
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
    track: bool = Field(
        True,
        description="log the run to MLflow: MLFLOW_TRACKING_URI, else sqlite:///mlflow.db in "
        "the working directory (see tracking.py)",
    )

    @model_validator(mode="after")
    def _check_phases(self) -> TrainConfig:
        if self.strategy == "multi-worker" and self.fine_tune_epochs:
            raise ValueError(
                "fine-tuning (fine_tune_epochs > 0) runs with strategy default or mirrored, not "
                "multi-worker: train the head there, then fine-tune from its "
                "backbone.weights.h5 with --weights PATH on one machine"
            )
        return self

    def model_options(self) -> dict[str, Any]:
        """The ``options.ModelOptions`` fields: what ``build_model`` may take as keywords."""
        return {name: getattr(self, name) for name in ModelOptions.model_fields}

    def data_options(self) -> dict[str, Any]:
        """The ``options.DataOptions`` fields: what ``load_data`` may take as keywords."""
        return {name: getattr(self, name) for name in DataOptions.model_fields}

    @property
    def logs(self) -> Path:
        """The TensorBoard log folder: ``log_dir``, else ``output_dir/logs``."""
        return self.log_dir if self.log_dir is not None else self.output_dir / "logs"


class EvaluateConfig(ModelFile, BatchOptions):
    """Measure a trained model on labelled data, read by dataset.load_data."""

    data_dir: Path = Field(DEFAULT_DATA, description="labelled data, as training reads it")
    output_dir: Path | None = Field(
        None, description="where evaluation.json goes (default: the model's folder/evaluation)"
    )

    @property
    def output(self) -> Path:
        return self.output_or(self.output_dir, "evaluation")


class PredictConfig(ModelFile, BatchOptions):
    """Run a trained model on inputs read by dataset.load_inputs."""

    input: Path = Field(description="what dataset.load_inputs reads (a file or a folder)")
    output_dir: Path | None = Field(
        None, description="where predictions.csv goes (default: the model's folder/predictions)"
    )

    @property
    def output(self) -> Path:
        return self.output_or(self.output_dir, "predictions")


EXPORT_FORMATS = ("saved_model", "onnx", "litert", "litert-int8", "openvino")


class ExportConfig(ModelFile, BatchOptions):
    """Export a trained model (SavedModel, ONNX, LiteRT float or int8, OpenVINO), each file
    checked by its own runtime."""

    output_dir: Path | None = Field(
        None,
        description="the export folder: the SavedModel, model.onnx, model.tflite, "
        "model_int8.tflite, openvino/, export.json (default: the model's folder/export)",
    )
    format: Literal["saved_model", "onnx", "litert", "litert-int8", "openvino", "all"] = Field(
        "saved_model",
        description="what to export; all: every format (openvino once pip install openvino)",
    )
    data_dir: Path | None = Field(
        None,
        description="data read by dataset.load_data (the run's options) for the check and the "
        "int8 calibration (default: the run's data_dir, when that folder exists; without a "
        "folder: seeded random inputs of the model's input spec)",
    )
    check_examples: int = Field(128, ge=1, description="examples each export is checked on")
    calibration_examples: int = Field(
        128, ge=1, description="litert-int8: representative examples for the quantisation ranges"
    )
    max_difference: float = Field(
        1e-4, gt=0, description="float formats fail above this max |export - Keras|"
    )
    min_agreement: float = Field(
        0.97, ge=0, le=1, description="litert-int8 classifiers fail below this top-1 agreement"
    )

    @property
    def formats(self) -> tuple[str, ...]:
        """``format``, or for ``all`` every format whose converter is installed: OpenVINO
        is not in the locks (``requirements/cpu.in`` says why), so it is in ``all`` only
        once ``pip install openvino`` has put it there."""
        if self.format != "all":
            return (self.format,)
        openvino = importlib.util.find_spec("openvino") is not None
        return tuple(fmt for fmt in EXPORT_FORMATS if fmt != "openvino" or openvino)

    @property
    def output(self) -> Path:
        return self.output_or(self.output_dir, "export")


class LaunchConfig(Config):
    """Run multi-worker training on this machine: N train processes, one cluster."""

    workers: int = Field(2, ge=1, description="worker processes")
    grace: float = Field(5.0, gt=0, description="seconds to stop the others before killing them")


class RunsConfig(Config):
    """Print the tracked runs (MLflow) as a table, sorted by a metric."""

    metric: str = Field("val_loss", description="sort by this metric's last value")
    ascending: bool = Field(True, description="lowest first (--no-ascending: highest first)")
    max_runs: int = Field(50, ge=1, description="show at most this many runs")


class TuneConfig(Config):
    """Search hyperparameters with Optuna: trials of the training engine (see tune.py)."""

    config_file: Path = Field(
        description="a YAML or TOML file of training fields with a search: section"
    )
    trials: int = Field(10, ge=1, description="trials of the study in all (a resumed one too)")
    workers: int = Field(1, ge=1, description="processes running trials side by side")
    storage: str = Field(
        "sqlite:///optuna.db",
        description="the study's Optuna storage URL (a shared database for several machines)",
    )
    study: str | None = Field(None, description="the study's name (default: the file's stem)")
    output_dir: Path = Field(
        Path("artifacts/search"), description="trial folders and the best configuration"
    )
    worker: bool = Field(False, description="(internal) one of WORKERS processes of a search")
    parent_run: str | None = Field(None, description="(internal) the search's MLflow run id")

    @property
    def study_name(self) -> str:
        return self.study or self.config_file.stem
