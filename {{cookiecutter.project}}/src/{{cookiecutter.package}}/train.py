"""Training command line: fit the example model on an image folder with either loader.

Usage::

    python -m {{ cookiecutter.package }}.train --data-dir data/demo --loader tf-data
        --epochs 5 --batch-size 32 --image-size 32 --output-dir artifacts

``--loader sequence`` uses ``data.ImageFolderPyDataset`` (a ``keras.utils.PyDataset``, the
class ``keras.utils.Sequence`` names); ``--loader tf-data`` uses ``pipeline.make_dataset``.
A seeded, stratified split holds out ``--validation-split`` of every class.

Writes to ``--output-dir`` (see ``train``): ``model.keras`` and ``best.keras``
(``keras.saving.load_model`` reads them), ``class_names.json`` beside them (what
``evaluate``/``predict``/``export`` read), ``history.json``/``history.png`` (per-epoch
metrics), ``metrics.json`` (``loader``, ``epochs``, ``resumed_from_epoch``, ``val_accuracy``,
``seconds``: wall-clock seconds of ``fit``, ...) and TensorBoard logs in ``logs/``
(``make tensorboard``, https://www.tensorflow.org/tensorboard/get_started). Rerunning the
same command after an interruption resumes from the last completed epoch (``--fresh``
starts over). ``--deterministic`` makes reruns bit-identical
(https://www.tensorflow.org/api_docs/python/tf/config/experimental/enable_op_determinism);
``--strategy mirrored`` trains on every GPU (or CPU device) with ``MirroredStrategy``;
``--strategy multi-worker`` makes this process one worker of a ``MultiWorkerMirroredStrategy``
cluster described by ``TF_CONFIG`` (``multi_worker``; ``launch_cluster`` starts one on this
machine). Bad data, a bad ``TF_CONFIG`` or unreachable peers exit with status 2 and one
``error:`` line naming the folder, file, field or address, before training starts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import keras
import tensorflow as tf

from .cluster import ClusterError
from .data import ImageFolderPyDataset
from .images import DataError, list_image_folder, require_readable
from .model import build_model
from .multi_worker import train_multi_worker
from .pipeline import make_dataset
from .run_outputs import (
    HISTORY_CSV,
    read_csv_history,
    write_run_record,
)
from .split import split_indices

LOADERS = ("sequence", "tf-data")
STRATEGIES = ("default", "mirrored", "multi-worker")


def make_loaders(loader, paths, labels, train_idx, val_idx, args):
    """Training and validation loaders of the chosen kind over the split."""
    common = {"batch_size": args.batch_size, "image_size": (args.image_size, args.image_size)}
    train_paths, train_labels = [paths[i] for i in train_idx], [labels[i] for i in train_idx]
    val_paths, val_labels = [paths[i] for i in val_idx], [labels[i] for i in val_idx]
    if loader == "sequence":
        workers = {"workers": args.workers, "use_multiprocessing": False}
        train = ImageFolderPyDataset(
            train_paths, train_labels, shuffle=True, seed=args.seed, **common, **workers
        )
        val = (
            ImageFolderPyDataset(val_paths, val_labels, **common, **workers) if val_paths else None
        )
    else:
        train = make_dataset(
            train_paths, train_labels, shuffle=True, seed=args.seed, cache=args.cache, **common
        )
        val = make_dataset(val_paths, val_labels, cache=args.cache, **common) if val_paths else None
    return train, val


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the example image classifier.")
    parser.add_argument("--data-dir", required=True, help="folder of class sub-folders")
    parser.add_argument(
        "--loader",
        choices=LOADERS,
        help="default: sequence; tf-data with --strategy multi-worker (the one it takes)",
    )
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=32, help="pixels (square)")
    parser.add_argument("--output-dir", default="artifacts", help="default: artifacts/")
    parser.add_argument(
        "--log-dir", help="TensorBoard logs (default: OUTPUT_DIR/logs; make tensorboard)"
    )
    parser.add_argument("--validation-split", type=float, default=0.2)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="PyDataset workers (sequence)")
    parser.add_argument("--cache", action="store_true", help="cache decoded images (tf-data)")
    parser.add_argument(
        "--fresh", action="store_true", help="ignore the backup of an interrupted run"
    )
    parser.add_argument(
        "--deterministic",
        action="store_true",
        help="bit-identical reruns: seeded, with TensorFlow op determinism (slower)",
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="default",
        help="multi-worker: one process of a cluster described by TF_CONFIG (see launch_cluster)",
    )
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=60.0,
        help="multi-worker: seconds to wait for the other workers before failing (default 60)",
    )
    parser.add_argument(
        "--cpu-devices",
        type=int,
        default=1,
        help="split the CPU into N logical devices (try --strategy mirrored without GPUs)",
    )
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "image_size", "workers", "cpu_devices"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0.0 <= args.validation_split < 1.0:
        parser.error("--validation-split must be in [0, 1)")
    if args.peer_timeout <= 0:
        parser.error("--peer-timeout must be positive")
    if args.strategy == "multi-worker":
        if args.loader == "sequence":
            parser.error("--strategy multi-worker takes --loader tf-data (it shards tf.data)")
        args.loader = "tf-data"
    elif args.loader is None:
        args.loader = "sequence"
    return args


def backed_up_epochs(backup: Path) -> int:
    """Epochs completed by an interrupted run, from ``BackupAndRestore``'s metadata (0: none)."""
    try:
        return int(json.loads((backup / "training_metadata.json").read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


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


def train(args: argparse.Namespace) -> dict:
    """Run one training, resuming an interrupted one; returns what ``metrics.json`` holds.

    Writes to ``args.output_dir``: ``model.keras`` (last epoch), ``best.keras`` (lowest
    ``val_loss``), ``class_names.json``, ``history.json`` and ``history.png`` (every epoch,
    also those of an interrupted run), ``history.csv``, ``metrics.json`` and TensorBoard logs.
    ``backup/`` holds the per-epoch backup (``keras.callbacks.BackupAndRestore``) while
    training runs; the same command after an interruption (SIGKILL included) continues from
    the last completed epoch, and a run that completes removes it. ``--fresh`` ignores it.

    ``--strategy multi-worker`` runs ``multi_worker.train_multi_worker`` instead (one
    process of a ``TF_CONFIG`` cluster; it returns ``None`` on workers other than the chief).

    Raises:
        DataError: the data folder or an image in it cannot be used.
        ClusterError: (multi-worker) bad ``TF_CONFIG`` or unreachable peers.
    """
    if args.strategy == "multi-worker":
        return train_multi_worker(args)
    if args.cpu_devices > 1:
        split_cpu(args.cpu_devices)  # before any TensorFlow op runs
    paths, labels, class_names = list_image_folder(args.data_dir)
    require_readable(paths)
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    backup, history_csv = output / "backup", output / HISTORY_CSV
    if args.fresh or not backup.exists():
        shutil.rmtree(backup, ignore_errors=True)
        history_csv.unlink(missing_ok=True)
    resumed_from = backed_up_epochs(backup)
    train_idx, val_idx = split_indices(labels, args.validation_split, args.seed)
    keras.utils.set_random_seed(args.seed)  # Python, NumPy and TensorFlow
    if args.deterministic:
        tf.config.experimental.enable_op_determinism()  # before the model is compiled
    strategy = distribution(args.strategy)
    train_data, val_data = make_loaders(args.loader, paths, labels, train_idx, val_idx, args)
    with strategy.scope():
        # Built (keras.Input) before fit, as BackupAndRestore needs (keras-team/keras#20712).
        model = build_model(
            (args.image_size, args.image_size), len(class_names), learning_rate=args.learning_rate
        )
    monitor = "val_loss" if val_idx.size else "loss"
    best = keras.callbacks.ModelCheckpoint(
        output / "best.keras", monitor=monitor, save_best_only=True
    )
    earlier = read_csv_history(history_csv).get(monitor)
    if earlier:
        best.best = min(earlier)  # a resumed run keeps the best of the interrupted one
    log_dir = Path(args.log_dir) if args.log_dir else output / "logs"
    callbacks = [
        # The log row before the backup: a run killed between them reruns that epoch,
        # whose row read_csv_history then keeps once.
        keras.callbacks.CSVLogger(history_csv, append=True),
        keras.callbacks.BackupAndRestore(backup, double_checkpoint=True),
        best,
        keras.callbacks.TensorBoard(log_dir),
    ]
    start = time.perf_counter()
    # Both loaders shuffle themselves each epoch; fit's own shuffle must stay off.
    model.fit(
        train_data,
        validation_data=val_data,
        epochs=args.epochs,
        shuffle=False,
        callbacks=callbacks,
        verbose=1,
    )
    seconds = time.perf_counter() - start

    model.save(output / "model.keras")
    metrics = write_run_record(
        output,
        args,
        resumed_from=resumed_from,
        seconds=seconds,
        train_examples=len(train_idx),
        validation_examples=len(val_idx),
        replicas=strategy.num_replicas_in_sync,
        class_names=class_names,
    )
    return metrics


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        metrics = train(args)
    except (DataError, ClusterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if metrics is None:  # a multi-worker run's non-chief worker: the chief writes and reports
        return 0
    print(
        f"loader={metrics['loader']} epochs={metrics['epochs']} "
        f"val_accuracy={metrics['val_accuracy']} seconds={metrics['seconds']} "
        f"-> {args.output_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
