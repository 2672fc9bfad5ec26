"""Multi-worker training: ``tf.distribute.MultiWorkerMirroredStrategy`` and a custom loop.

``python -m {{ cookiecutter.package }}.train --strategy multi-worker ...`` runs
``train_multi_worker`` in every process of a cluster that ``TF_CONFIG`` describes (see
``cluster``; ``launch_cluster`` starts one on this machine). Each step every worker trains the
same model on its share of the global batch and the gradients are summed across workers, so
all workers hold the same weights.

Keras 3's ``model.fit`` fails under this strategy (``ValueError: Attempt to convert a value
(PerReplica...)``, https://github.com/keras-team/keras/issues/20585), so this module follows
TensorFlow's custom-training-loop tutorial instead
(https://www.tensorflow.org/tutorials/distribute/multi_worker_with_ctl): ``strategy.run`` of a
step over the Keras 3 model, optimizer and loss that ``model.build_model`` compiles, and the
``pipeline.make_dataset`` pipeline given to ``strategy.experimental_distribute_dataset`` with
the ``DATA`` auto-shard policy (every worker reads the file list and keeps its part of each
global batch; https://www.tensorflow.org/tutorials/distribute/input#sharding).

The chief (``task`` worker 0, or the ``chief`` task) writes the same files as single-process
training (``train.train``), under ``--output-dir``. The other workers take part in every save
too, as the tutorial asks, but into a private temporary folder that is deleted at the end.
A ``tf.train.CheckpointManager`` checkpoint of the model, the optimizer and the epoch count
is written after every epoch (``OUTPUT_DIR/backup/`` on the chief); restarting every worker
with the same command resumes after the last completed epoch: the chief restores it and
sends the values to the others, so their folders need not be shared.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from .cluster import ClusterError, ClusterSpec, deadline, read_tf_config, wait_for_peers
from .images import DataError, list_image_folder, require_readable
from .model import build_model
from .pipeline import make_dataset
from .run_outputs import (
    HISTORY_CSV,
    append_history_row,
    write_run_record,
)
from .split import split_indices

# Errors of a collective op whose peer is gone (killed, crashed, unreachable).
LOST_PEER_ERRORS = (
    tf.errors.UnavailableError,
    tf.errors.AbortedError,
    tf.errors.CancelledError,
    tf.errors.DeadlineExceededError,
)


def create_strategy(spec: ClusterSpec, timeout: float) -> tf.distribute.MultiWorkerMirroredStrategy:
    """``MultiWorkerMirroredStrategy`` from ``TF_CONFIG``, once every peer has answered.

    ``cluster.wait_for_peers`` meets the peers first. Creating the strategy then starts this
    task's gRPC server and waits, without limit, for every task to connect; should a peer
    vanish in between, ``cluster.deadline`` kills this process after ``timeout`` seconds
    (exit status 137) with an ``error:`` line instead of hanging.

    Raises:
        ClusterError: a peer did not answer within ``timeout`` seconds, or runs with another
            cluster (see ``cluster.wait_for_peers``).
    """
    wait_for_peers(spec, timeout)
    message = (
        f"{spec.task_name} met its peers but the cluster did not form within {timeout:g} s "
        "(did a worker exit?)"
    )
    with deadline(timeout, message):
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        strategy.reduce("SUM", tf.constant(1.0), axis=None)  # every worker is in
    return strategy


def broadcast_from_chief(
    strategy: tf.distribute.Strategy, variables: Sequence, is_chief: bool
) -> None:
    """Give every worker the chief's value of each variable (a sum with zeros elsewhere).

    Every worker must call it with the same variables in the same order (one collective
    all-reduce per variable).
    """
    for variable in variables:
        value = tf.convert_to_tensor(variable)
        local = value if is_chief else tf.zeros_like(value)
        variable.assign(strategy.reduce("SUM", local, axis=None))


def per_example_loss(model: keras.Model) -> Callable:
    """The compiled loss of ``model`` as a function returning one value per example.

    Raises:
        ValueError: the model was compiled without a loss.
    """
    loss = model.loss
    if loss is None:
        raise ValueError("the model must be compiled with a loss")
    if isinstance(loss, keras.losses.Loss):
        config = {**loss.get_config(), "reduction": None}
        return type(loss).from_config(config)
    return keras.losses.get(loss)


def weights_digest(model: keras.Model) -> str:
    """SHA-256 (hex) of all weights' bytes, in order: equal on workers holding equal weights."""
    digest = hashlib.sha256()
    for array in model.get_weights():
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def make_steps(strategy: tf.distribute.Strategy, model: keras.Model):
    """``(train_step, eval_step)``: ``tf.function``s taking one distributed batch.

    Each returns ``(loss_sum, correct, examples, local_examples)``: float32 scalars, the first
    three summed over the global batch (every worker gets the same), the last over this
    worker's share. ``loss_sum / examples`` is the batch's mean loss, as ``fit`` reports it.
    The gradient is that of the mean loss over the global batch: each replica divides its
    loss sum by the global batch size (counted each step, so a last, smaller batch is
    weighed right) and the optimizer sums the replicas' gradients
    (https://www.tensorflow.org/tutorials/distribute/custom_training#define_the_loss_function).
    """
    loss_fn = per_example_loss(model)
    optimizer = model.optimizer

    def scores(y, probabilities):
        losses = tf.cast(loss_fn(y, probabilities), tf.float32)
        hits = keras.metrics.sparse_categorical_accuracy(y, probabilities)
        return losses, tf.reduce_sum(tf.cast(hits, tf.float32))

    def replica_train(x, y):
        count = tf.shape(y)[0]
        global_count = tf.distribute.get_replica_context().all_reduce("SUM", count)
        with tf.GradientTape() as tape:
            probabilities = model(x, training=True)
            losses, correct = scores(y, probabilities)
            loss = tf.reduce_sum(losses) / tf.cast(tf.maximum(global_count, 1), tf.float32)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return tf.reduce_sum(losses), correct, tf.cast(count, tf.float32)

    def replica_eval(x, y):
        losses, correct = scores(y, model(x, training=False))
        return tf.reduce_sum(losses), correct, tf.cast(tf.shape(y)[0], tf.float32)

    def totals(per_replica):
        summed = [strategy.reduce("SUM", value, axis=None) for value in per_replica]
        local = tf.add_n(strategy.experimental_local_results(per_replica[2]))
        return (*summed, local)

    @tf.function
    def train_step(batch):
        return totals(strategy.run(replica_train, args=batch))

    @tf.function
    def eval_step(batch):
        return totals(strategy.run(replica_eval, args=batch))

    return train_step, eval_step


def run_epoch(step, batches) -> tuple[dict[str, float], int, int]:
    """Run ``step`` over a distributed dataset: ``({"loss", "accuracy"}, steps,
    local_examples)``; loss and accuracy are means over the epoch's global examples."""
    sums = np.zeros(4)
    steps = 0
    for batch in batches:
        sums += [float(value) for value in step(batch)]
        steps += 1
    loss_sum, correct, examples, local = sums
    examples = max(examples, 1.0)
    return {"loss": loss_sum / examples, "accuracy": correct / examples}, steps, int(local)


def write_summaries(writers: dict, epoch: int, logs: dict, optimizer) -> None:
    """Write one epoch's TensorBoard scalars under the names ``keras.callbacks.TensorBoard``
    gives them (``logs/train``, ``logs/validation``; x axis: epoch, and optimizer steps for
    ``evaluation_*_vs_iterations``)."""
    learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    step = int(keras.ops.convert_to_numpy(optimizer.iterations))
    with writers["train"].as_default(step=epoch):
        tf.summary.scalar("epoch_loss", logs["loss"])
        tf.summary.scalar("epoch_accuracy", logs["accuracy"])
        tf.summary.scalar("epoch_learning_rate", learning_rate)
    if "val_loss" in logs:
        with writers["validation"].as_default(step=epoch):
            tf.summary.scalar("epoch_loss", logs["val_loss"])
            tf.summary.scalar("epoch_accuracy", logs["val_accuracy"])
        with writers["validation"].as_default(step=step):
            tf.summary.scalar("evaluation_loss_vs_iterations", logs["val_loss"])
            tf.summary.scalar("evaluation_accuracy_vs_iterations", logs["val_accuracy"])
    for writer in writers.values():
        writer.flush()


class Examples(NamedTuple):
    """The image folder's examples and their split (``split.split_indices``)."""

    paths: list[str]
    labels: list[int]
    class_names: list[str]
    train_idx: np.ndarray
    val_idx: np.ndarray


def check_data_on_every_worker(
    strategy: tf.distribute.Strategy, spec: ClusterSpec, args: argparse.Namespace
) -> Examples:
    """List, decode-check and split ``args.data_dir`` on every worker, and agree on it.

    Each worker checks its own copy of the data; one collective tells every worker which
    ones failed, so all stop together instead of waiting for the failed one in training.

    Raises:
        DataError: this worker's data cannot be used.
        ClusterError: another worker's data cannot be used (its own output names why).
    """
    problem: DataError | None = None
    try:
        paths, labels, class_names = list_image_folder(args.data_dir)
        require_readable(paths)
        train_idx, val_idx = split_indices(labels, args.validation_split, args.seed)
    except DataError as error:
        problem = error
    mine = np.zeros(spec.num_workers, np.float32)
    mine[spec.worker_id] = 1.0 if problem else 0.0
    failed = strategy.reduce("SUM", tf.constant(mine), axis=None).numpy()
    if problem is not None:
        raise problem
    if failed.any():
        names = ", ".join(name for (name, _), bad in zip(spec.tasks(), failed, strict=True) if bad)
        raise ClusterError(
            f"{names} cannot use the data in {args.data_dir} (its output says why); "
            "nothing was trained"
        )
    return Examples(paths, labels, class_names, train_idx, val_idx)


def train_multi_worker(args: argparse.Namespace) -> dict | None:
    """Train as one worker of the ``TF_CONFIG`` cluster; returns ``metrics.json``'s object on
    the chief and ``None`` on the other workers.

    ``args`` are ``train.parse_args``'s; ``--batch-size`` is the global batch, split across
    the workers each step. Every worker prints, per epoch, one line
    ``multi-worker: worker I of N epoch E/EPOCHS steps=S examples=X loss=... seconds=...``
    (``steps``: the epoch's global steps, which every worker runs; ``examples``: the
    training examples this worker processed, its share of every global batch), and at the
    end ``multi-worker: worker I of N done weights_sha256=HEX``.

    The chief writes to ``args.output_dir`` what ``train.train`` writes: ``model.keras``,
    ``best.keras`` (lowest ``val_loss``, else ``loss``), ``class_names.json``,
    ``history.csv``/``history.json``/``history.png``, ``metrics.json`` (same keys;
    ``strategy`` is ``"multi-worker"``, ``replicas`` the number of replicas in the cluster,
    ``seconds`` the training loop's wall-clock time on the chief), and TensorBoard logs.

    Raises:
        ClusterError: bad ``TF_CONFIG``; a peer unreachable for ``args.peer_timeout``
            seconds; another worker's data unusable; or a peer lost during training
            (restart all workers to resume).
        DataError: this worker's data folder or an image in it cannot be used (the other
            workers stop too).
    """
    spec = read_tf_config()
    list_image_folder(args.data_dir)  # a missing folder fails here, before the peers wait
    strategy = create_strategy(spec, args.peer_timeout)  # before any other TensorFlow op
    name = f"multi-worker: {spec.task_name} of {spec.num_workers}"
    print(f"{name} joined the cluster ({strategy.num_replicas_in_sync} replicas)", flush=True)
    examples = check_data_on_every_worker(strategy, spec, args)
    keras.utils.set_random_seed(args.seed)  # the same shuffling order on every worker
    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    if spec.is_chief:
        folder = Path(args.output_dir)
        folder.mkdir(parents=True, exist_ok=True)
    else:  # saves of the other workers: private, deleted
        folder = Path(tempfile.mkdtemp(prefix=f"multi-worker-{spec.task_type}{spec.task_index}-"))
    try:
        return _train(args, spec, strategy, folder, name, examples)
    finally:
        if not spec.is_chief:
            shutil.rmtree(folder, ignore_errors=True)


def _train(args, spec, strategy, folder: Path, name: str, examples: Examples) -> dict | None:
    paths, labels, class_names, train_idx, val_idx = examples
    backup, history_csv = folder / "backup", folder / HISTORY_CSV
    if spec.is_chief and (args.fresh or tf.train.latest_checkpoint(backup) is None):
        shutil.rmtree(backup, ignore_errors=True)
        history_csv.unlink(missing_ok=True)

    size = (args.image_size, args.image_size)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA

    def distributed(indices, shuffle):
        dataset = make_dataset(
            [paths[i] for i in indices],
            [labels[i] for i in indices],
            batch_size=args.batch_size,  # global: split across the workers
            image_size=size,
            shuffle=shuffle,
            seed=args.seed,
            cache=args.cache,
        )
        return strategy.experimental_distribute_dataset(dataset.with_options(options))

    train_data = distributed(train_idx, shuffle=True)
    val_data = distributed(val_idx, shuffle=False) if val_idx.size else None

    with strategy.scope():
        model = build_model(size, len(class_names), learning_rate=args.learning_rate)
        model.optimizer.build(model.trainable_variables)
        epochs_done = tf.Variable(0, dtype=tf.int64, trainable=False, name="epochs_done")
        best = tf.Variable(np.inf, dtype=tf.float32, trainable=False, name="best_monitor")
    checkpoint = tf.train.Checkpoint(
        model=model, optimizer=model.optimizer, epochs_done=epochs_done, best_monitor=best
    )
    manager = tf.train.CheckpointManager(checkpoint, backup, max_to_keep=1)
    if spec.is_chief and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    broadcast_from_chief(
        strategy,
        [*model.variables, *model.optimizer.variables, epochs_done, best],
        spec.is_chief,
    )
    resumed_from = int(epochs_done.numpy())
    if resumed_from:
        print(f"{name} resumes after epoch {resumed_from}", flush=True)

    train_step, eval_step = make_steps(strategy, model)
    monitor = "val_loss" if val_data is not None else "loss"
    log_dir = Path(args.log_dir) if args.log_dir else folder / "logs"
    parts = ("train", "validation") if spec.is_chief else ()
    writers = {part: tf.summary.create_file_writer(str(log_dir / part)) for part in parts}
    start = time.perf_counter()
    epoch = resumed_from
    try:
        for epoch in range(resumed_from, args.epochs):
            began = time.perf_counter()
            logs, steps, shared = run_epoch(train_step, train_data)
            if val_data is not None:
                val_logs, _, _ = run_epoch(eval_step, val_data)
                logs.update({f"val_{key}": value for key, value in val_logs.items()})
            epochs_done.assign(epoch + 1)
            improved = logs[monitor] < float(best.numpy())
            if improved:
                best.assign(logs[monitor])
            if spec.is_chief:  # the log row before the checkpoint, as train.train does
                append_history_row(history_csv, epoch, logs)
                write_summaries(writers, epoch, logs, model.optimizer)
            manager.save()  # on every worker: saving may run collectives
            if improved:
                model.save(folder / "best.keras")
            values = " ".join(f"{key}={value:.4f}" for key, value in sorted(logs.items()))
            print(
                f"{name} epoch {epoch + 1}/{args.epochs} steps={steps} examples={shared} "
                f"{values} seconds={time.perf_counter() - began:.1f}",
                flush=True,
            )
    except LOST_PEER_ERRORS as error:
        detail = (error.message or type(error).__name__).strip().splitlines()[0]
        raise ClusterError(
            f"{spec.task_name} lost the cluster during epoch {epoch + 1} ({detail}); restart "
            f"every worker with the same command to resume after epoch {int(epochs_done.numpy())}"
        ) from error
    seconds = time.perf_counter() - start

    model.save(folder / "model.keras")
    print(f"{name} done weights_sha256={weights_digest(model)}", flush=True)
    if not spec.is_chief:
        return None
    metrics = write_run_record(
        folder,
        args,
        resumed_from=resumed_from,
        seconds=seconds,
        train_examples=len(train_idx),
        validation_examples=len(val_idx),
        replicas=strategy.num_replicas_in_sync,
        class_names=class_names,
    )
    shutil.rmtree(backup, ignore_errors=True)  # a completed run leaves no backup
    return metrics
