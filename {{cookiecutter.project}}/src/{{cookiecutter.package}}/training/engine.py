"""The training engine: one implementation of a run's steps, for every strategy and task.

``train(config)`` runs, in order:

1. the runner (``local.LocalRunner``: one process, the default strategy or
   ``MirroredStrategy`` and ``model.fit``; ``distributed.multi_worker.MultiWorkerRunner``: one
   worker of a ``MultiWorkerMirroredStrategy`` cluster and a custom loop), created before any
   other TensorFlow op, as both strategies require;
2. the data: ``dataset.load_data(data_dir, validation_split=, seed=, batch_size=,
   **options)``, your file, returning ``(train, validation, facts)`` in any form ``fit``
   takes (``feeds``); on every worker, which agree on the outcome;
3. the seeds (Python, NumPy, TensorFlow) and, with ``deterministic``, op determinism;
4. the run folder and its resume state: an interrupted run's backup is kept and training
   continues after its last completed epoch, or, with ``fresh`` or no backup, it starts over;
5. your model, ``model.build_model(**facts, **options)``, built and compiled in the
   strategy's scope (``targets.build``); for classification data (``class_names`` in the
   facts) the int class indices are encoded as its loss takes them (``targets.label_mode``);
6. the phases (``phases.plan``): with a pretrained layer named ``backbone``, the head first
   (backbone frozen), then, with ``fine_tune_epochs``, the top of the backbone unfrozen at
   a lower learning rate; a ``phase`` column in the history says which epoch was which;
7. the callbacks every runner drives: ``CSVLogger`` (the history, under the model's own
   metric names), ``ModelCheckpoint`` (``best.keras``, lowest ``val_loss``), ``TensorBoard``
   and, with ``patience``, ``EarlyStopping``;
8. ``runner.fit``, once per phase: the one step that differs;
9. ``model.keras``, ``backbone.weights.h5`` (the ``backbone`` layer's weights, for a later
   ``--weights PATH``) and the record (``record.write_run_record``: the facts, and the data's
   fingerprint), on the chief only;
10. on the chief only, with ``track`` (the default), one MLflow run around steps 5 to 9
    (``tracking.track``): the configuration, tags and, per epoch, the same metrics as the
    history (an MLflow Keras callback beside those of step 7), then the record's files.

An interrupted run loses at most the epoch it was in, in either phase: the backup is kept
between the phases, and a resumed run skips the phases its history shows completed.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import keras
import tensorflow as tf

from .. import dataset as user_dataset
from .. import feeds, tracking
from .. import model as user_model
from ..artifacts import require_writable
from ..config import TrainConfig
from ..errors import DataError
from . import phases, targets
from .record import (
    HISTORY_CSV,
    data_fingerprint,
    read_csv_history,
    run_environment,
    warn_if_data_changed,
    write_run_record,
)

BACKBONE_WEIGHTS = "backbone.weights.h5"


class Data(NamedTuple):
    """What ``dataset.load_data`` returned: ``train`` and ``validation`` (``None`` without a
    validation split) in any form ``fit`` takes (``feeds.form``), and the ``facts``."""

    train: Any
    validation: Any
    facts: dict


def load_data(config: TrainConfig) -> Data:
    """``dataset.load_data`` on ``config``: its data directory, split, seed, batch size and
    the ``options.DataOptions`` that the function takes.

    Raises:
        errors.DataError: the data cannot be used (raised by ``load_data``), or it returned
            something other than ``(train, validation, facts)`` in forms ``fit`` takes.
    """
    returned = user_dataset.load_data(
        config.data_dir,
        validation_split=config.validation_split,
        seed=config.seed,
        batch_size=config.batch_size,
        **targets.accepted(user_dataset.load_data, config.data_options()),
    )
    if not isinstance(returned, tuple) or len(returned) != 3:
        raise DataError(
            "dataset.load_data must return (train, validation, facts); it returned "
            f"{type(returned).__name__}"
        )
    train, validation, facts = returned
    feeds.form(train)
    if validation is not None:
        feeds.form(validation)
    if not isinstance(facts, dict):
        raise DataError(f"dataset.load_data's facts must be a dict, not {type(facts).__name__}")
    return Data(train, validation, facts)


class Runner(Protocol):
    """What differs between strategies; ``engine.train`` does the rest."""

    strategy: tf.distribute.Strategy
    is_chief: bool

    def agree(self, load, config: TrainConfig) -> Data:
        """``load(config)`` here, agreed on by every process of the run."""

    def run_folder(self, output: Path):
        """A context manager yielding the folder this process writes to."""

    def completed_epochs(self, backup: Path) -> int:
        """Epochs an interrupted run completed, from its backup in ``backup`` (0: none)."""

    def datasets(self, config: TrainConfig, train, validation):
        """``(train, validation or None)`` as this strategy feeds them to the model."""

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


def encode_classes(model: keras.Model, data: Data, config: TrainConfig) -> tuple[Any, Any]:
    """``(train, validation)`` with their int class indices encoded as ``model``'s loss takes
    them (``targets.label_mode``), when the facts name ``class_names``; as they are otherwise."""
    if "class_names" not in data.facts:
        return data.train, data.validation
    num_classes = len(data.facts["class_names"])
    mode = targets.label_mode(model, num_classes, config.label_mode)
    if mode == "int":
        return data.train, data.validation
    encode = targets.encoder(mode, num_classes)
    return feeds.map_targets(data.train, encode), feeds.map_targets(data.validation, encode)


def train(config: TrainConfig, callbacks: Sequence[keras.callbacks.Callback] = ()) -> dict | None:
    """Run one training as ``config`` says, resuming an interrupted one; ``callbacks`` run
    after the engine's own (a search's pruning callback, for one).

    Writes to ``config.output_dir``: ``model.keras`` (last epoch), ``best.keras`` (lowest
    ``val_loss``, else ``loss``), TensorBoard logs, and the record (``record``): ``history.csv``
    and ``history.json``/``history.png`` (every epoch, those of an interrupted run too),
    ``metrics.json``, ``config.yaml``, ``facts.json``, ``run.json`` (with the data's
    fingerprint) and, for classification, ``class_names.json``. ``backup/`` holds the
    per-epoch backup while training runs; a run that completes removes it. With ``track``,
    the chief logs the run to MLflow too (``tracking``; a store out of reach: one warning).

    Returns:
        ``metrics.json``'s object; ``None`` on a multi-worker run's other workers.

    Raises:
        errors.DataError: the data cannot be used.
        errors.ModelError: ``model.build_model`` cannot be called or returns an unusable model.
        errors.ArtifactError: the output folder cannot be written.
        errors.ClusterError: (multi-worker) bad ``TF_CONFIG``, unreachable or lost peers.
    """
    runner = make_runner(config)
    if runner.is_chief:
        require_writable(config.output_dir)  # before any work that could be lost
    data = runner.agree(load_data, config)
    keras.utils.set_random_seed(config.seed)  # Python, NumPy and TensorFlow
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()  # before the model is compiled
    with runner.run_folder(config.output_dir) as folder, ExitStack() as stack:
        fingerprint = data_fingerprint(user_dataset, config.data_dir) if runner.is_chief else None
        if runner.is_chief:
            warn_if_data_changed(config, fingerprint)
        tracked = stack.enter_context(
            tracking.track(config, run_environment(config, fingerprint))
            if runner.is_chief
            else nullcontext(tracking.Tracked(None, ""))
        )
        backup = folder / "backup"
        resumed_from = 0 if config.fresh else runner.completed_epochs(backup)
        if resumed_from == 0:
            shutil.rmtree(backup, ignore_errors=True)
            (folder / HISTORY_CSV).unlink(missing_ok=True)
        with runner.strategy.scope():
            model = targets.build(user_model.build_model, config, data.facts)
        train_data, val_data = runner.datasets(config, *encode_classes(model, data, config))
        monitor = "val_loss" if data.validation is not None else "loss"
        callbacks = [
            *standard_callbacks(folder, config, monitor, fresh_start=resumed_from == 0),
            *tracked.callbacks,
            *callbacks,
        ]
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
            data={
                "train_examples": feeds.count_examples(data.train),
                "validation_examples": feeds.count_examples(data.validation),
                "train_batches": feeds.count_batches(data.train, config.batch_size),
                "validation_batches": feeds.count_batches(data.validation, config.batch_size),
            },
            replicas=runner.strategy.num_replicas_in_sync,
            facts=data.facts,
            fingerprint=fingerprint,
        )
        tracked.log_record(folder)
        shutil.rmtree(backup, ignore_errors=True)  # a completed run leaves no backup
        return metrics
