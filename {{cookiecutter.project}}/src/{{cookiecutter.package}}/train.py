"""Train the model of ``model.py`` on the data of ``dataset.py``: ``make train``.

Usage::

    python -m {{ cookiecutter.package }}.train
        --data-dir data/demo --loader tf-data --epochs 5
    python -m {{ cookiecutter.package }}.train
        --config configs/run.yaml --epochs 10
    python -m {{ cookiecutter.package }}.train
        --config artifacts/config.yaml --output-dir again

Every flag is a field of ``config.TrainConfig`` (``--help`` lists them with their defaults);
``--config FILE`` reads a YAML or TOML file of fields, which the flags override (a run's own
``config.yaml`` reruns it). A bad value, data folder or model exits with status 2 and one
``error:`` line naming it, before training starts. From Python or a notebook::

    from {{ cookiecutter.package }}.train import TrainConfig, train
    metrics = train(TrainConfig(epochs=3))

``train`` is ``training.engine.train``: it resumes an interrupted run, keeps the best
checkpoint, writes TensorBoard logs and the run's record (see ``training.record``).
"""

from __future__ import annotations

import itertools
import sys

from .cli import run
from .config import TrainConfig
from .training.engine import train

__all__ = ["TrainConfig", "main", "train"]


def report(config: TrainConfig, metrics: dict | None) -> None:
    """Print the last epoch's metrics, or nothing on a multi-worker run's other workers."""
    if metrics is None:
        return
    # metrics.json starts with the last value of each logged metric, then "epochs".
    names = itertools.takewhile(lambda name: name != "epochs", metrics)
    values = " ".join(f"{name}={metrics[name]:.4f}" for name in names)
    epochs, seconds = metrics["epochs_run"], metrics["seconds"]
    print(f"epochs={epochs} {values} seconds={seconds} -> {config.output_dir}")


def main(argv: list[str] | None = None) -> int:
    return run(TrainConfig, train, report, argv, prog=f"python -m {__package__}.train")


if __name__ == "__main__":
    sys.exit(main())
