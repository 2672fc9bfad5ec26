"""A training run's record, written beside its ``model.keras``: the same files and keys for
every strategy (``engine.train`` writes them through ``write_run_record``).

- ``history.csv``: one row per epoch while training runs, in the layout of
  ``keras.callbacks.CSVLogger`` (an ``epoch`` column, then the logged names sorted;
  https://keras.io/api/callbacks/csv_logger/), written by that callback on every strategy;
- ``history.json`` and ``history.png``: every epoch of every compiled metric, under the
  model's own names (``loss``, ``acc``, ``val_acc``, ...), and their plot;
- ``metrics.json``: one flat object: the last value of every logged metric under its own
  name, then the run's summary (``train_examples``, ``seconds``, ...; ``training_metrics``);
- ``config.yaml``: the resolved configuration; ``make train CONFIG=run/config.yaml
  OUTPUT=new`` trains the same run again (bit-identical weights with ``deterministic``);
- ``run.json``: where the run ran (``run_environment``): the sha256 of each installed lock
  file, the git commit and whether the tree was dirty, TensorFlow's and Keras's versions,
  the devices and the command line;
- ``class_names.json`` (``artifacts.save_class_names``).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import keras
import tensorflow as tf

from ..artifacts import save_class_names
from ..cli import write_config_file
from ..config import TrainConfig
from .plots import plot_history

HISTORY_CSV = "history.csv"
# Written by `make install` (and the container image) into the venv: `sha256sum` lines of
# the lock files it installed, so a run records what its environment was installed from.
INSTALLED_LOCKS = "locks.sha256"
PACKAGE_DIR = Path(__file__).resolve().parent.parent


def read_csv_history(path: Path) -> dict[str, list[float]]:
    """Per-epoch values from ``CSVLogger``'s file, one value per epoch in epoch order.

    A resumed run appends to the file; an epoch that was logged and then run again (the
    process died between the log row and the backup) keeps its last row.
    """
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        rows = {int(row["epoch"]): row for row in csv.DictReader(handle)}
    keys = [key for key in next(iter(rows.values()), {}) if key != "epoch"]
    return {key: [float(rows[epoch][key]) for epoch in sorted(rows)] for key in keys}


PHASE = "phase"  # the fine-tuning phase column (training.phases.PhaseLogger)


def write_history(output: Path, per_epoch: Mapping[str, list[float]]) -> None:
    """Write ``output/history.json`` (name -> per-epoch list; a fine-tuning run's ``phase``
    as ints) and its plot ``history.png`` (the metrics only)."""
    history = dict(per_epoch)
    if PHASE in history:
        history[PHASE] = [int(value) for value in history[PHASE]]
    (output / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    plot_history({k: v for k, v in per_epoch.items() if k != PHASE}, output / "history.png")


def epochs_per_phase(per_epoch: Mapping[str, list[float]]) -> dict[str, int]:
    """``{"head": n, "fine-tune": m}`` from the ``phase`` column; ``{}`` without one."""
    column = [int(value) for value in per_epoch.get(PHASE, [])]
    names = {1: "head", 2: "fine-tune"}
    return {names[number]: column.count(number) for number in sorted(set(column))}


def training_metrics(
    config: TrainConfig,
    per_epoch: Mapping[str, list[float]],
    *,
    resumed_from: int,
    seconds: float,
    train_examples: int,
    validation_examples: int,
    replicas: int,
    class_names: list[str],
) -> dict:
    """The ``metrics.json`` object: the last epoch's value of every name in ``per_epoch``
    (the model's compiled loss and metrics, ``val_`` ones included), then the run's summary;
    ``seconds`` is the wall-clock time of the training loop."""
    last = {name: values[-1] for name, values in per_epoch.items() if values and name != PHASE}
    phases = epochs_per_phase(per_epoch)
    return {
        **last,
        "loader": config.loader,
        "epochs": config.epochs,
        "epochs_run": len(next(iter(per_epoch.values()), [])),
        **({"epochs_per_phase": phases} if phases else {}),
        "backbone": config.backbone,
        "weights": config.weights if config.backbone != "none" else None,
        "fine_tune_epochs": config.fine_tune_epochs,
        "resumed_from_epoch": resumed_from,
        "seconds": round(seconds, 3),
        "train_examples": int(train_examples),
        "validation_examples": int(validation_examples),
        "batch_size": config.batch_size,
        "image_size": config.image_size,
        "learning_rate": config.learning_rate,
        "seed": config.seed,
        "validation_split": config.validation_split,
        "deterministic": config.deterministic,
        "strategy": config.strategy,
        "replicas": replicas,
        "class_names": class_names,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def installed_locks(prefix: Path | None = None) -> dict[str, str] | None:
    """``{lock path: sha256}`` of the locks installed into the environment at ``prefix``
    (default ``sys.prefix``), from its ``locks.sha256``; ``None`` when it has none (an
    environment not made by ``make install`` or the image)."""
    path = Path(prefix or sys.prefix) / INSTALLED_LOCKS
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    return {name.strip(): digest for digest, _, name in (line.partition("  ") for line in lines)}


def git_state(folder: Path = PACKAGE_DIR) -> dict[str, object] | None:
    """``{"commit": sha, "dirty": bool}`` of the git tree holding ``folder``, or ``None``
    (not a git tree, or no git)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.strip()  # fmt: skip
        status = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def run_environment() -> dict:
    """What ``run.json`` holds: the installed locks' sha256, the git state, the versions,
    the devices TensorFlow sees, and the command line (``sys.orig_argv``)."""
    return {
        "command": list(sys.orig_argv),
        "git": git_state(),
        "locks_sha256": installed_locks(),
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "devices": [device.name for device in tf.config.list_logical_devices()],
    }


def write_run_record(
    output: Path,
    config: TrainConfig,
    *,
    resumed_from: int,
    seconds: float,
    train_examples: int,
    validation_examples: int,
    replicas: int,
    class_names: list[str],
) -> dict:
    """Write a finished run's record (see the module docstring) and return ``metrics.json``.

    ``history.json``/``history.png`` come from ``output/history.csv``; the keyword arguments
    are ``training_metrics``'s.
    """
    save_class_names(output, class_names)
    per_epoch = read_csv_history(output / HISTORY_CSV)
    write_history(output, per_epoch)
    metrics = training_metrics(
        config,
        per_epoch,
        resumed_from=resumed_from,
        seconds=seconds,
        train_examples=train_examples,
        validation_examples=validation_examples,
        replicas=replicas,
        class_names=class_names,
    )
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    write_config_file(config, output / "config.yaml")
    (output / "run.json").write_text(json.dumps(run_environment(), indent=2) + "\n")
    return metrics
