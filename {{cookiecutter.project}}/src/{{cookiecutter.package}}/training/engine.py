"""The training engine: one implementation of a run's steps, for every strategy.

``train(config)`` runs, in order:

1. the runner (``local.LocalRunner``: one process, the default strategy or
   ``MirroredStrategy`` and ``model.fit``; ``distributed.multi_worker.MultiWorkerRunner``: one
   worker of a ``MultiWorkerMirroredStrategy`` cluster and a custom loop), created before any
   other TensorFlow op, as both strategies require;
2. the examples: the data folder listed, every image decoded once, the seeded stratified
   split (``Examples``; on every worker, which agree on the outcome);
3. the seeds (Python, NumPy, TensorFlow) and, with ``deterministic``, op determinism;
4. the run folder and its resume state: an interrupted run's backup is kept and training
   continues after its last completed epoch, or, with ``fresh`` or no backup, it starts over;
5. the user's model, ``model.build_model(image_size=, num_classes=, **options)``, built and
   compiled in the strategy's scope (``targets.build``), and the label encoding its loss
   takes (``targets.label_mode``);
6. the phases (``phases.plan``): with a pretrained layer named ``backbone``, the head first
   (backbone frozen), then, with ``fine_tune_epochs``, the top of the backbone unfrozen at
   a lower learning rate; a ``phase`` column in the history says which epoch was which;
7. the callbacks every runner drives: ``CSVLogger`` (the history, under the model's own
   metric names), ``ModelCheckpoint`` (``best.keras``, lowest ``val_loss``), ``TensorBoard``
   and, with ``patience``, ``EarlyStopping``;
8. ``runner.fit``, once per phase: the one step that differs;
9. ``model.keras``, ``backbone.weights.h5`` (the ``backbone`` layer's weights, for a later
   ``--weights PATH``) and the record (``record.write_run_record``), on the chief only.

An interrupted run loses at most the epoch it was in, in either phase: the backup is kept
between the phases, and a resumed run skips the phases its history shows completed.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import NamedTuple, Protocol

import keras
import numpy as np
import tensorflow as tf

from .. import model as user_model
from ..config import TrainConfig
from ..data.check import duplicate_groups
from ..data.images import list_image_folder, require_readable
from ..data.split import split_indices
from . import phases, targets
from .record import HISTORY_CSV, read_csv_history, write_run_record

BACKBONE_WEIGHTS = "backbone.weights.h5"


class Examples(NamedTuple):
    """The image folder's examples and their split (``data.split.split_indices``)."""

    paths: list[str]
    labels: list[int]
    class_names: list[str]
    train_idx: np.ndarray
    val_idx: np.ndarray

    def subset(self, indices: np.ndarray) -> tuple[list[str], list[int]]:
        """``(paths, labels)`` of ``indices``."""
        return [self.paths[i] for i in indices], [self.labels[i] for i in indices]


def load_examples(config: TrainConfig) -> Examples:
    """List ``config.data_dir``, decode every image once, and split it.

    Exact duplicates (identical bytes, ``data.check.duplicate_groups``) that fall on both
    sides of the split are named in a ``warning:`` line on stderr: they inflate the
    validation scores (``make data-check`` lists every duplicate).

    Raises:
        errors.DataError: the folder or an image in it cannot be used.
    """
    paths, labels, class_names = list_image_folder(config.data_dir)
    require_readable(paths)
    train_idx, val_idx = split_indices(labels, config.validation_split, config.seed)
    held_out = set(val_idx.tolist())
    leaks = [
        [paths[i] for i in group]
        for group in duplicate_groups(paths)
        if held_out.intersection(group) and not held_out.issuperset(group)
    ]
    if leaks:
        shown = "; ".join(" = ".join(group) for group in leaks[:5])
        more = f" (and {len(leaks) - 5} more)" if len(leaks) > 5 else ""
        print(
            f"warning: {len(leaks)} group(s) of identical images are on both sides of the "
            f"train/validation split, which inflates the validation scores: {shown}{more}. "
            "Keep one of each (make data-check lists them all).",
            file=sys.stderr,
        )
    return Examples(paths, labels, class_names, train_idx, val_idx)


class Runner(Protocol):
    """What differs between strategies; ``engine.train`` does the rest."""

    strategy: tf.distribute.Strategy
    is_chief: bool

    def agree(self, load, config: TrainConfig) -> Examples:
        """``load(config)`` here, agreed on by every process of the run."""

    def run_folder(self, output: Path):
        """A context manager yielding the folder this process writes to."""

    def completed_epochs(self, backup: Path) -> int:
        """Epochs an interrupted run completed, from its backup in ``backup`` (0: none)."""

    def datasets(self, config: TrainConfig, examples: Examples, label_mode: str):
        """``(train, validation or None)`` loaders of the split."""

    def fit(self, model, train, validation, callbacks, config: TrainConfig, backup: Path, **phase):
        """Train ``model`` to ``config.epochs``, resuming from ``backup``; every epoch ends
        with ``callbacks``' ``on_epoch_end`` and then the backup. ``phase`` (local runner
        only): ``initial_epoch``, ``epochs`` and ``keep_backup`` of one fine-tuning phase."""


def make_runner(config: TrainConfig) -> Runner:
    """The runner of ``config.strategy``; only multi-worker training imports ``distributed``."""
    if config.strategy == "multi-worker":
        from ..distributed.multi_worker import MultiWorkerRunner

        return MultiWorkerRunner(config)
    from .local import LocalRunner

    return LocalRunner(config)


def standard_callbacks(
    folder: Path, config: TrainConfig, monitor: str, fresh_start: bool
) -> list[keras.callbacks.Callback]:
    """The callbacks of every run, in order: the history row comes first, so a run killed
    between it and the backup reruns that epoch, whose row ``read_csv_history`` keeps once.
    """
    history_csv = folder / HISTORY_CSV
    best = keras.callbacks.ModelCheckpoint(
        folder / "best.keras", monitor=monitor, save_best_only=True
    )
    earlier = [] if fresh_start else read_csv_history(history_csv).get(monitor)
    if earlier:
        best.best = min(earlier)  # a resumed run keeps the best of the interrupted one
    log_dir = config.logs if folder == config.output_dir else folder / "logs"
    callbacks = [
        keras.callbacks.CSVLogger(history_csv, append=True),
        best,
        keras.callbacks.TensorBoard(log_dir),
    ]
    if config.patience is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, patience=config.patience, restore_best_weights=False
            )
        )
    return callbacks


def fit_phases(runner, model, plan, data, callbacks, config: TrainConfig, backup: Path) -> None:
    """Run the two phases of ``plan`` (``phases.plan``) with ``runner.fit``, skipping those an
    interrupted run completed: the phase of its history's last row, or its backup's epoch.

    ``phases.PhaseLogger`` comes first, so ``CSVLogger`` writes the ``phase`` column; the
    backup is kept after every phase but the last (``BackupAndRestore`` deletes its own at
    the end of ``fit``), so a run killed in phase 2 resumes in phase 2.
    """
    logger = phases.PhaseLogger()
    callbacks = [logger, *callbacks]
    history = read_csv_history(Path(callbacks[1].filename))
    last_phase = int(history["phase"][-1]) if history.get("phase") else 1
    done = runner.completed_epochs(backup)
    for phase in plan:
        logger.phase = phase.number
        if phase.number == 2:
            with runner.strategy.scope():
                phases.unfreeze_top(model, config.fine_tune_layers, config.fine_tune_learning_rate)
        last = phase is plan[-1]
        if not last and (phase.number < last_phase or done >= phase.epochs):
            continue
        runner.fit(
            model, *data, callbacks, config, backup,
            initial_epoch=phase.initial_epoch, epochs=phase.epochs, keep_backup=not last,
        )  # fmt: skip


def train(config: TrainConfig) -> dict | None:
    """Run one training as ``config`` says, resuming an interrupted one.

    Writes to ``config.output_dir``: ``model.keras`` (last epoch), ``best.keras`` (lowest
    ``val_loss``, else ``loss``), TensorBoard logs, and the record (``record``): ``history.csv``
    and ``history.json``/``history.png`` (every epoch, those of an interrupted run too),
    ``metrics.json``, ``config.yaml``, ``run.json``, ``class_names.json``. ``backup/`` holds
    the per-epoch backup while training runs; a run that completes removes it.

    Returns:
        ``metrics.json``'s object; ``None`` on a multi-worker run's other workers.

    Raises:
        errors.DataError: the data folder or an image in it cannot be used.
        errors.ModelError: ``model.build_model`` cannot be called or returns an unusable model.
        errors.ClusterError: (multi-worker) bad ``TF_CONFIG``, unreachable or lost peers.
    """
    runner = make_runner(config)
    examples = runner.agree(load_examples, config)
    keras.utils.set_random_seed(config.seed)  # Python, NumPy and TensorFlow
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()  # before the model is compiled
    with runner.run_folder(config.output_dir) as folder:
        backup = folder / "backup"
        resumed_from = 0 if config.fresh else runner.completed_epochs(backup)
        if resumed_from == 0:
            shutil.rmtree(backup, ignore_errors=True)
            (folder / HISTORY_CSV).unlink(missing_ok=True)
        num_classes = len(examples.class_names)
        with runner.strategy.scope():
            model = targets.build(user_model.build_model, config, num_classes)
        label_mode = targets.label_mode(model, num_classes, config.label_mode)
        train_data, val_data = runner.datasets(config, examples, label_mode)
        monitor = "val_loss" if examples.val_idx.size else "loss"
        callbacks = standard_callbacks(folder, config, monitor, fresh_start=resumed_from == 0)
        plan = phases.plan(model, config)
        start = time.perf_counter()
        if len(plan) == 1:
            runner.fit(model, train_data, val_data, callbacks, config, backup)
        else:
            fit_phases(runner, model, plan, (train_data, val_data), callbacks, config, backup)
        seconds = time.perf_counter() - start
        model.save(folder / "model.keras")
        backbone = phases.find_backbone(model)
        if backbone is not None and runner.is_chief:
            backbone.save_weights(folder / BACKBONE_WEIGHTS)
        if not runner.is_chief:
            return None
        metrics = write_run_record(
            folder,
            config,
            resumed_from=resumed_from,
            seconds=seconds,
            train_examples=len(examples.train_idx),
            validation_examples=len(examples.val_idx),
            replicas=runner.strategy.num_replicas_in_sync,
            class_names=examples.class_names,
        )
        shutil.rmtree(backup, ignore_errors=True)  # a completed run leaves no backup
        return metrics
