"""Training command line: fit the example model on an image folder with either loader.

Usage::

    python -m {{ cookiecutter.package }}.train --data-dir data/demo --loader tf-data
        --epochs 5 --batch-size 32 --image-size 32 --output-dir artifacts

``--loader sequence`` uses ``data.ImageFolderPyDataset`` (a ``keras.utils.PyDataset``, the
class ``keras.utils.Sequence`` names); ``--loader tf-data`` uses ``pipeline.make_dataset``.
A seeded, stratified split holds out ``--validation-split`` of every class.

Writes to ``--output-dir``: TensorBoard logs in ``logs/`` (``--log-dir``; ``make
tensorboard`` serves them, https://www.tensorflow.org/tensorboard/get_started),
``model.keras`` (``keras.saving.load_model`` reads it),
``history.json`` (per-epoch metrics of ``model.fit``) and ``metrics.json`` (``loader``,
``epochs``, ``val_accuracy``, ``val_loss``, ``seconds``: wall-clock seconds of ``fit``,
``class_names``, ...). Bad data exits with status 2 and one ``error:`` line naming the
folder or file, before training starts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .data import ImageFolderPyDataset
from .images import DataError, find_unreadable_images, list_image_folder
from .model import build_model
from .pipeline import make_dataset

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
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "image_size", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0.0 <= args.validation_split < 1.0:
        parser.error("--validation-split must be in [0, 1)")
    return args


def train(args: argparse.Namespace) -> dict:
    """Run one training; returns the metrics written to ``metrics.json``.

    Raises:
        DataError: the data folder or an image in it cannot be used.
    """
    paths, labels, class_names = list_image_folder(args.data_dir)
    unreadable = find_unreadable_images(paths)
    if unreadable:
        shown = ", ".join(unreadable[:5]) + (" ..." if len(unreadable) > 5 else "")
        raise DataError(
            f"{len(unreadable)} file(s) cannot be decoded as images: {shown}. "
            "Remove or replace them."
        )
    train_idx, val_idx = split_indices(labels, args.validation_split, args.seed)
    keras.utils.set_random_seed(args.seed)
    train_data, val_data = make_loaders(args.loader, paths, labels, train_idx, val_idx, args)
    model = build_model(
        (args.image_size, args.image_size), len(class_names), learning_rate=args.learning_rate
    )
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    log_dir = Path(args.log_dir) if args.log_dir else output / "logs"
    start = time.perf_counter()
    # Both loaders shuffle themselves each epoch; fit's own shuffle must stay off.
    history = model.fit(
        train_data,
        validation_data=val_data,
        epochs=args.epochs,
        shuffle=False,
        callbacks=[keras.callbacks.TensorBoard(log_dir)],
        verbose=1,
    )
    seconds = time.perf_counter() - start

    model.save(output / "model.keras")
    per_epoch = {key: [float(v) for v in values] for key, values in history.history.items()}
    (output / "history.json").write_text(json.dumps(per_epoch, indent=2) + "\n")
    metrics = {
        "loader": args.loader,
        "epochs": args.epochs,
        "accuracy": per_epoch["accuracy"][-1],
        "loss": per_epoch["loss"][-1],
        "val_accuracy": per_epoch["val_accuracy"][-1] if "val_accuracy" in per_epoch else None,
        "val_loss": per_epoch["val_loss"][-1] if "val_loss" in per_epoch else None,
        "seconds": round(seconds, 3),
        "train_examples": int(len(train_idx)),
        "validation_examples": int(len(val_idx)),
        "batch_size": args.batch_size,
        "image_size": args.image_size,
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
