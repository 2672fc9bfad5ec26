"""Training in one process: the default strategy or ``MirroredStrategy``, with ``model.fit``.

``LocalRunner`` is the engine's runner (``engine.Runner``) for ``strategy`` ``default`` and
``mirrored``: Keras's ``fit`` over the data in any form it takes (``feeds``), resuming through
``keras.callbacks.BackupAndRestore`` (https://keras.io/api/callbacks/backup_and_restore/).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keras
import tensorflow as tf

from .. import feeds
from ..config import TrainConfig


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

    def datasets(self, config: TrainConfig, train, validation):
        """As ``load_data`` returned them (``fit`` takes every form), but arrays become a
        ``tf.data`` pipeline (``feeds.to_tf_data``: shuffled each epoch with the seed):
        ``fit`` fed from it ran 8 times the rows/s of ``fit(x, y)`` on the table example's
        300 rows (``make bench`` of a table bake)."""
        if feeds.form(train) == "arrays":
            train = feeds.to_tf_data(train, config.batch_size, shuffle=True, seed=config.seed)
        if validation is not None and feeds.form(validation) == "arrays":
            validation = feeds.to_tf_data(validation, config.batch_size)
        return train, validation

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
        # Both forms left (a PyDataset, a tf.data pipeline) shuffle themselves each epoch;
        # fit's own shuffle must stay off.
        model.fit(
            train,
            validation_data=validation,
            epochs=config.epochs if epochs is None else epochs,
            initial_epoch=initial_epoch,
            shuffle=False,
            callbacks=backed_up,
            verbose=1,
        )
