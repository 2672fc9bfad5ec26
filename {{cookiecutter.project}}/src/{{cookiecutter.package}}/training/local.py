"""Training in one process: the default strategy or ``MirroredStrategy``, with ``model.fit``.

``LocalRunner`` is the engine's runner (``engine.Runner``) for ``strategy`` ``default`` and
``mirrored``: Keras's ``fit`` over either loader, resuming through
``keras.callbacks.BackupAndRestore`` (https://keras.io/api/callbacks/backup_and_restore/).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keras
import tensorflow as tf

from ..config import TrainConfig
from ..data.pipeline import make_dataset
from ..data.pydataset import ImageFolderPyDataset


def split_cpu(devices: int) -> None:
    """Split the CPU into ``devices`` logical devices, to try several replicas without GPUs.

    Must run before TensorFlow executes its first op (RuntimeError otherwise).
    https://www.tensorflow.org/api_docs/python/tf/config/set_logical_device_configuration
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * devices
    )


def distribution(strategy: str) -> tf.distribute.Strategy:
    """The default strategy, or ``MirroredStrategy`` over every GPU (else every CPU device).

    https://www.tensorflow.org/guide/distributed_training#mirroredstrategy
    """
    if strategy != "mirrored":
        return tf.distribute.get_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
    return tf.distribute.MirroredStrategy(devices=devices)


def make_loaders(config: TrainConfig, examples, label_mode: str):
    """Training and validation loaders of ``config.loader`` over the split: the PyDataset
    (``workers`` threads) or the ``tf.data`` pipeline (``cache``)."""
    common = {
        "batch_size": config.batch_size,
        "image_size": (config.image_size, config.image_size),
        "label_mode": label_mode,
        "num_classes": len(examples.class_names),
    }
    train_paths, train_labels = examples.subset(examples.train_idx)
    val_paths, val_labels = examples.subset(examples.val_idx)
    if config.loader == "sequence":
        workers = {"workers": config.workers, "use_multiprocessing": False}
        train = ImageFolderPyDataset(
            train_paths, train_labels, shuffle=True, seed=config.seed, **common, **workers
        )
        val = (
            ImageFolderPyDataset(val_paths, val_labels, **common, **workers) if val_paths else None
        )
    else:
        train = make_dataset(
            train_paths, train_labels, shuffle=True, seed=config.seed, cache=config.cache, **common
        )
        val = (
            make_dataset(val_paths, val_labels, cache=config.cache, **common) if val_paths else None
        )
    return train, val


class LocalRunner:
    """One process; ``model.fit`` with ``BackupAndRestore`` (see ``engine.Runner``)."""

    is_chief = True

    def __init__(self, config: TrainConfig) -> None:
        if config.cpu_devices > 1:
            split_cpu(config.cpu_devices)  # before any TensorFlow op runs
        self.strategy = distribution(config.strategy)

    def agree(self, load, config: TrainConfig):
        return load(config)

    @contextmanager
    def run_folder(self, output: Path) -> Iterator[Path]:
        output.mkdir(parents=True, exist_ok=True)
        yield output

    def completed_epochs(self, backup: Path) -> int:
        """From ``BackupAndRestore``'s ``training_metadata.json``."""
        try:
            return int(json.loads((backup / "training_metadata.json").read_text())["epoch"])
        except (OSError, ValueError, KeyError):
            return 0

    def datasets(self, config: TrainConfig, examples, label_mode: str):
        return make_loaders(config, examples, label_mode)

    def fit(
        self,
        model,
        train,
        validation,
        callbacks,
        config: TrainConfig,
        backup: Path,
        *,
        initial_epoch: int = 0,
        epochs: int | None = None,
        keep_backup: bool = False,
    ):
        """``model.fit`` to ``epochs`` (default ``config.epochs``) from ``initial_epoch``;
        ``keep_backup``: leave the backup in place at the end (a phase before the last)."""
        # The backup after the history row (CSVLogger), before the others. The model is
        # built (keras.Input) before fit, as BackupAndRestore needs (keras-team/keras#20712).
        logger = next(
            i for i, c in enumerate(callbacks) if isinstance(c, keras.callbacks.CSVLogger)
        )
        restore = keras.callbacks.BackupAndRestore(
            backup, double_checkpoint=True, delete_checkpoint=not keep_backup
        )
        backed_up = [*callbacks[: logger + 1], restore, *callbacks[logger + 1 :]]
        # Both loaders shuffle themselves each epoch; fit's own shuffle must stay off.
        model.fit(
            train,
            validation_data=validation,
            epochs=config.epochs if epochs is None else epochs,
            initial_epoch=initial_epoch,
            shuffle=False,
            callbacks=backed_up,
            verbose=1,
        )
