"""A training run's record files, written the same way by single-process and multi-worker
training: ``history.csv`` (per-epoch rows while training runs), ``history.json`` and
``history.png`` (every epoch), and ``metrics.json`` (one summary object).

``history.csv`` has the layout of ``keras.callbacks.CSVLogger`` (an ``epoch`` column, then
the metric names sorted; https://keras.io/api/callbacks/csv_logger/): single-process training
writes it with that callback, multi-worker training with ``append_history_row``, and both
read it back with ``read_csv_history``. ``write_run_record`` writes the files of a finished
run for both, so both paths write the same files and the same keys.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Mapping
from pathlib import Path

import keras
import tensorflow as tf

from .artifacts import save_class_names
from .plots import plot_history

HISTORY_CSV = "history.csv"


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


def append_history_row(path: Path, epoch: int, logs: Mapping[str, float]) -> None:
    """Append one epoch's metrics to ``path`` as ``CSVLogger`` does (header on a new file).

    Args:
        path: the CSV file.
        epoch: 0-based epoch index.
        logs: metric name -> value of that epoch (``loss``, ``accuracy``, ``val_loss``, ...).

    Raises:
        ValueError: ``path`` exists with other columns (a run with other metrics).
    """
    keys = sorted(logs)
    fields = ["epoch", *keys]
    new = not path.is_file() or path.stat().st_size == 0
    if not new:
        with path.open(newline="") as handle:
            header = next(csv.reader(handle), [])
        if header != fields:
            raise ValueError(f"{path} has columns {header}, not {fields}")
    with path.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(fields)
        writer.writerow([epoch, *(logs[key] for key in keys)])


def write_history(output: Path, per_epoch: Mapping[str, list[float]]) -> None:
    """Write ``output/history.json`` (metric -> per-epoch list) and its plot ``history.png``."""
    (output / "history.json").write_text(json.dumps(per_epoch, indent=2) + "\n")
    plot_history(per_epoch, output / "history.png")


def training_metrics(
    args: argparse.Namespace,
    per_epoch: Mapping[str, list[float]],
    *,
    resumed_from: int,
    seconds: float,
    train_examples: int,
    validation_examples: int,
    replicas: int,
    class_names: list[str],
) -> dict:
    """The ``metrics.json`` object of a run: its settings (``args`` of ``train.parse_args``)
    and last-epoch ``accuracy``/``loss``/``val_accuracy``/``val_loss`` (``None`` without a
    validation split); ``seconds`` is the wall-clock time of the training loop."""
    return {
        "loader": args.loader,
        "epochs": args.epochs,
        "resumed_from_epoch": resumed_from,
        "accuracy": per_epoch["accuracy"][-1],
        "loss": per_epoch["loss"][-1],
        "val_accuracy": per_epoch["val_accuracy"][-1] if "val_accuracy" in per_epoch else None,
        "val_loss": per_epoch["val_loss"][-1] if "val_loss" in per_epoch else None,
        "seconds": round(seconds, 3),
        "train_examples": int(train_examples),
        "validation_examples": int(validation_examples),
        "batch_size": args.batch_size,
        "image_size": args.image_size,
        "deterministic": args.deterministic,
        "strategy": args.strategy,
        "replicas": replicas,
        "class_names": class_names,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def write_metrics(output: Path, metrics: Mapping) -> None:
    """Write ``output/metrics.json``."""
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


def write_run_record(
    output: Path,
    args: argparse.Namespace,
    *,
    resumed_from: int,
    seconds: float,
    train_examples: int,
    validation_examples: int,
    replicas: int,
    class_names: list[str],
) -> dict:
    """Write a finished run's record beside its ``model.keras`` and return ``metrics.json``.

    Writes ``class_names.json`` (``artifacts.save_class_names``), ``history.json`` and
    ``history.png`` from ``output/history.csv`` (``write_history``), and ``metrics.json``
    (``training_metrics``; the keyword arguments are its own).
    """
    save_class_names(output, class_names)
    per_epoch = read_csv_history(output / HISTORY_CSV)
    write_history(output, per_epoch)
    metrics = training_metrics(
        args,
        per_epoch,
        resumed_from=resumed_from,
        seconds=seconds,
        train_examples=train_examples,
        validation_examples=validation_examples,
        replicas=replicas,
        class_names=class_names,
    )
    write_metrics(output, metrics)
    return metrics
