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
``--strategy mirrored`` trains on every GPU (or CPU device) with ``MirroredStrategy``. Bad
data exits with status 2 and one ``error:`` line naming the folder or file, before
training starts.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .artifacts import save_class_names
from .data import ImageFolderPyDataset
from .images import DataError, list_image_folder, require_readable
from .model import build_model
from .pipeline import make_dataset
from .plots import plot_history

LOADERS = ("sequence", "tf-data")


def split_indices(
    labels: list[int], validation_split: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split: ``(train_indices, validation_indices)``, both sorted.

    Every class keeps at least one training example and, when ``validation_split`` > 0,
    gives at least one validation example.

    Raises:
        DataError: a class has fewer than two images while a validation split is asked for.
        ValueError: ``validation_split`` outside [0, 1).
    """
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    rng = np.random.default_rng(seed)
    labels_array = np.asarray(labels)
    train, validation = [], []
    for label in np.unique(labels_array):
        members = rng.permutation(np.flatnonzero(labels_array == label))
        if validation_split == 0.0:
            train.extend(members)
            continue
        if len(members) < 2:
            raise DataError(
                f"class index {label} has {len(members)} image; a validation split needs "
                "at least two images per class."
            )
        count = min(max(1, round(len(members) * validation_split)), len(members) - 1)
        validation.extend(members[:count])
        train.extend(members[count:])
    return np.sort(np.asarray(train, dtype=int)), np.sort(np.asarray(validation, dtype=int))


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
    parser.add_argument("--loader", choices=LOADERS, default="sequence")
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
    parser.add_argument("--strategy", choices=("default", "mirrored"), default="default")
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
    return args


def read_csv_history(path: Path) -> dict[str, list[float]]:
    """Per-epoch metrics from ``CSVLogger``'s file, one value per epoch in epoch order.

    A resumed run appends to the file; an epoch that was logged and then run again (the
    process died between the log row and the backup) keeps its last row.
    """
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        rows = {int(row["epoch"]): row for row in csv.DictReader(handle)}
    keys = [key for key in next(iter(rows.values()), {}) if key != "epoch"]
    return {key: [float(rows[epoch][key]) for epoch in sorted(rows)] for key in keys}


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

    Raises:
        DataError: the data folder or an image in it cannot be used.
    """
    if args.cpu_devices > 1:
        split_cpu(args.cpu_devices)  # before any TensorFlow op runs
    paths, labels, class_names = list_image_folder(args.data_dir)
    require_readable(paths)
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    backup, history_csv = output / "backup", output / "history.csv"
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
    save_class_names(output, class_names)
    per_epoch = read_csv_history(history_csv)
    (output / "history.json").write_text(json.dumps(per_epoch, indent=2) + "\n")
    plot_history(per_epoch, output / "history.png")
    metrics = {
        "loader": args.loader,
        "epochs": args.epochs,
        "resumed_from_epoch": resumed_from,
        "accuracy": per_epoch["accuracy"][-1],
        "loss": per_epoch["loss"][-1],
        "val_accuracy": per_epoch["val_accuracy"][-1] if "val_accuracy" in per_epoch else None,
        "val_loss": per_epoch["val_loss"][-1] if "val_loss" in per_epoch else None,
        "seconds": round(seconds, 3),
        "train_examples": int(len(train_idx)),
        "validation_examples": int(len(val_idx)),
        "batch_size": args.batch_size,
        "image_size": args.image_size,
        "deterministic": args.deterministic,
        "strategy": args.strategy,
        "replicas": strategy.num_replicas_in_sync,
        "class_names": class_names,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        metrics = train(args)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"loader={metrics['loader']} epochs={metrics['epochs']} "
        f"val_accuracy={metrics['val_accuracy']} seconds={metrics['seconds']} "
        f"-> {args.output_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
