"""Multi-worker training: ``tf.distribute.MultiWorkerMirroredStrategy`` and a custom loop.

The ``train`` command with ``--strategy multi-worker`` runs the training
engine (``training.engine.train``) in every process of a cluster that ``TF_CONFIG`` describes
(see ``cluster``; ``launch`` starts one on this machine), with ``MultiWorkerRunner`` as its
runner: the engine loads the data (``dataset.load_data``), seeds, builds the user's model,
makes the callbacks and writes the record exactly as for one process; this module does only
what must differ. Each step every worker trains the same model on its share of the global
batch and the gradients are summed across workers, so all workers hold the same weights.

Keras 3's ``model.fit`` fails under this strategy (``ValueError: Attempt to convert a value
(PerReplica...)``, https://github.com/keras-team/keras/issues/20585), so the loop follows
TensorFlow's custom-training-loop tutorial
(https://www.tensorflow.org/tutorials/distribute/multi_worker_with_ctl) with the model's own
steps: ``strategy.run(model.train_step)`` and ``strategy.run(model.test_step)``, the methods
``fit`` and ``evaluate`` call, so the compiled loss, metrics and their names (and a user's own
``train_step``) are the model's. Keras scales the loss for the replicas and the optimizer sums
their gradients; metric values, read with ``model.get_metrics_result()`` after each pass, are
over the global batch. The callbacks the engine made (``CSVLogger``, ``ModelCheckpoint``,
``TensorBoard``, ``EarlyStopping``) run through ``keras.callbacks.CallbackList``, as ``fit``
runs them. The data, in whatever form ``load_data`` returned it, becomes a ``tf.data``
dataset (``feeds.to_tf_data``) and goes to ``strategy.experimental_distribute_dataset`` with
the ``DATA`` auto-shard policy (every worker reads the data and keeps its part of each
global batch; https://www.tensorflow.org/tutorials/distribute/input#sharding); its batches
are global batches of ``batch_size``.

The chief (``task`` worker 0, or the ``chief`` task) writes under ``output_dir``. The other
workers take part in every save too, as the tutorial asks, but into a private temporary
folder that is deleted at the end. A ``tf.train.CheckpointManager`` checkpoint of the model,
the optimizer and the epoch count is written after every epoch (``OUTPUT_DIR/backup/`` on the
chief); restarting every worker with the same command resumes after the last completed epoch:
the chief restores it and sends the values to the others, so their folders need not be shared.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .. import feeds
from ..config import TrainConfig
from ..errors import ClusterError, DataError
from .cluster import ClusterSpec, deadline, read_tf_config, wait_for_peers

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


def weights_digest(model: keras.Model) -> str:
    """SHA-256 (hex) of all weights' bytes, in order: equal on workers holding equal weights."""
    digest = hashlib.sha256()
    for array in model.get_weights():
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def make_steps(strategy: tf.distribute.Strategy, model: keras.Model):
    """``(train_step, test_step)``: ``tf.function``s running ``model.train_step`` /
    ``model.test_step`` on one distributed batch; each returns the number of examples this
    worker processed (float32 scalar)."""

    def counted(step):
        def replica(batch):
            step(batch)
            return tf.cast(tf.shape(tf.nest.flatten(batch[1])[0])[0], tf.float32)

        return replica

    def local(per_replica):
        return tf.add_n(strategy.experimental_local_results(per_replica))

    @tf.function
    def train_step(batch):
        return local(strategy.run(counted(model.train_step), args=(batch,)))

    @tf.function
    def test_step(batch):
        return local(strategy.run(counted(model.test_step), args=(batch,)))

    return train_step, test_step


def run_pass(model: keras.Model, step, batches) -> tuple[dict[str, float], int, int]:
    """One pass of ``step`` over a distributed dataset, metrics reset first: ``(the model's
    metric results over the global examples, steps, this worker's examples)``."""
    model.reset_metrics()
    steps, local = 0, 0.0
    for batch in batches:
        local += float(step(batch))
        steps += 1
    results = {name: float(value) for name, value in model.get_metrics_result().items()}
    return results, steps, int(local)


def build_compiled_state(model: keras.Model, sample) -> None:
    """Create the optimizer's and the compiled loss's and metrics' variables now, in the
    strategy's scope and the same order on every worker, rather than inside the first
    distributed step: ``sample`` (two examples of the training data, ``(inputs, targets)``)
    through ``compute_loss``/``compute_metrics`` (public ``Model`` API), then
    ``reset_metrics``."""
    x, y = sample
    y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred)
    model.compute_metrics(x, y, y_pred, sample_weight=None)
    model.optimizer.build(model.trainable_variables)
    model.reset_metrics()


class MultiWorkerRunner:
    """One worker of a ``TF_CONFIG`` cluster (see ``training.engine.Runner``).

    Every worker prints, per epoch, one line ``multi-worker: worker I of N epoch E/EPOCHS
    steps=S examples=X <metric>=... seconds=...`` (``steps``: the epoch's global steps, which
    every worker runs; ``examples``: the training examples this worker processed, its share of
    every global batch), and at the end ``multi-worker: worker I of N done
    weights_sha256=HEX``. ``batch_size`` is the global batch, split across the workers.

    Raises (from the constructor, ``agree`` and ``fit``):
        ClusterError: bad ``TF_CONFIG``; a peer unreachable for ``config.peer_timeout``
            seconds; another worker's data unusable; or a peer lost during training (restart
            all workers to resume).
        DataError: this worker's data folder cannot be used (the other workers stop too).
    """

    def __init__(self, config: TrainConfig) -> None:
        self.spec = read_tf_config()
        if not Path(config.data_dir).exists():  # fails here, before the peers wait
            raise DataError(f"data {config.data_dir} does not exist: check --data-dir (DATA=)")
        self.strategy = create_strategy(self.spec, config.peer_timeout)  # before other TF ops
        self.is_chief = self.spec.is_chief
        self.name = f"multi-worker: {self.spec.task_name} of {self.spec.num_workers}"
        replicas = self.strategy.num_replicas_in_sync
        print(f"{self.name} joined the cluster ({replicas} replicas)", flush=True)
        self.sample = None

    def agree(self, load: Callable, config: TrainConfig):
        """``load(config)`` on every worker; one collective tells every worker which ones
        failed, so all stop together instead of waiting for the failed one in training."""
        spec, problem, result = self.spec, None, None
        try:
            result = load(config)
        except DataError as error:
            problem = error
        mine = np.zeros(spec.num_workers, np.float32)
        mine[spec.worker_id] = 1.0 if problem else 0.0
        failed = self.strategy.reduce("SUM", tf.constant(mine), axis=None).numpy()
        if problem is not None:
            raise problem
        if failed.any():
            tasks = spec.tasks()
            names = ", ".join(name for (name, _), bad in zip(tasks, failed, strict=True) if bad)
            raise ClusterError(
                f"{names} cannot use the data in {config.data_dir} (its output says why); "
                "nothing was trained"
            )
        return result

    @contextmanager
    def run_folder(self, output: Path) -> Iterator[Path]:
        """``output`` on the chief; a private temporary folder elsewhere, deleted after."""
        if self.is_chief:
            output.mkdir(parents=True, exist_ok=True)
            yield output
            return
        spec = self.spec
        folder = Path(tempfile.mkdtemp(prefix=f"multi-worker-{spec.task_type}{spec.task_index}-"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def completed_epochs(self, backup: Path) -> int:
        """The chief's last checkpoint's epoch count (the other workers: 0; the chief sends
        its values to them in ``fit``)."""
        latest = tf.train.latest_checkpoint(backup) if self.is_chief else None
        if latest is None:
            return 0
        return int(tf.train.load_variable(latest, "epochs_done/.ATTRIBUTES/VARIABLE_VALUE"))

    def datasets(self, config: TrainConfig, train, validation):
        """Both as ``tf.data`` datasets of global batches, distributed with the ``DATA``
        auto-shard policy; two training examples are kept to build the compiled state."""
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA
        )

        def distributed(data, shuffle: bool):
            dataset = feeds.to_tf_data(data, config.batch_size, shuffle=shuffle, seed=config.seed)
            return self.strategy.experimental_distribute_dataset(dataset.with_options(options))

        first = next(iter(feeds.to_tf_data(train, config.batch_size).take(1)))
        self.sample = tf.nest.map_structure(lambda value: value[:2], (first[0], first[1]))
        train = distributed(train, shuffle=True)
        validation = distributed(validation, shuffle=False) if validation is not None else None
        return train, validation

    def fit(self, model, train, validation, callbacks, config: TrainConfig, backup: Path):
        strategy, name = self.strategy, self.name
        with strategy.scope():
            build_compiled_state(model, self.sample)
            epochs_done = tf.Variable(0, dtype=tf.int64, trainable=False, name="epochs_done")
        checkpoint = tf.train.Checkpoint(
            model=model, optimizer=model.optimizer, epochs_done=epochs_done
        )
        manager = tf.train.CheckpointManager(checkpoint, backup, max_to_keep=1)
        if self.is_chief and manager.latest_checkpoint:
            checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        broadcast_from_chief(
            strategy, [*model.variables, *model.optimizer.variables, epochs_done], self.is_chief
        )
        start_epoch = int(epochs_done.numpy())
        if start_epoch:
            print(f"{name} resumes after epoch {start_epoch}", flush=True)
        train_step, test_step = make_steps(strategy, model)
        hooks = keras.callbacks.CallbackList(
            callbacks, model=model, epochs=config.epochs, verbose=0
        )
        model.stop_training = False
        hooks.on_train_begin()
        epoch = start_epoch
        try:
            for epoch in range(start_epoch, config.epochs):
                began = time.perf_counter()
                hooks.on_epoch_begin(epoch)
                logs, steps, shared = run_pass(model, train_step, train)
                if validation is not None:
                    val_logs, _, _ = run_pass(model, test_step, validation)
                    logs.update({f"val_{key}": value for key, value in val_logs.items()})
                hooks.on_epoch_end(epoch, logs)  # the history row before the checkpoint
                epochs_done.assign(epoch + 1)
                manager.save()  # on every worker: saving may run collectives
                values = " ".join(f"{key}={value:.4f}" for key, value in sorted(logs.items()))
                print(
                    f"{name} epoch {epoch + 1}/{config.epochs} steps={steps} examples={shared} "
                    f"{values} seconds={time.perf_counter() - began:.1f}",
                    flush=True,
                )
                if model.stop_training:  # EarlyStopping: the same logs on every worker
                    break
        except LOST_PEER_ERRORS as error:
            detail = (error.message or type(error).__name__).strip().splitlines()[0]
            raise ClusterError(
                f"{self.spec.task_name} lost the cluster during epoch {epoch + 1} ({detail}); "
                "restart every worker with the same command to resume after epoch "
                f"{int(epochs_done.numpy())}"
            ) from error
        hooks.on_train_end()
        print(f"{name} done weights_sha256={weights_digest(model)}", flush=True)
