"""The cost of MLflow tracking per epoch: ``make bench-tracking``.

Trains the same configuration untracked and tracked (the embedded SQLite store, in a
temporary folder), alternately, ``--repeats`` times each after one warm-up training, in one
process. An epoch's time runs from ``on_epoch_begin`` to the end of the last callback's
``on_epoch_end`` (tracking's included); the first epoch of each training (graph tracing) is
left out. Prints the median epoch time of each kind and their ratio, then the median
whole-training wall time of each (which adds opening the run, its params and tags, and
logging the record's files). On a busy machine the epochs' own spread hides tracking's
cost, so it also times the tracking callback alone (``on_epoch_end`` of the last epoch's
logs, ``CALLS`` times in a run of the same store) and prints the ratio that cost gives:
(untracked epoch + callback) / untracked epoch, and how long the run's end then waits for
MLflow's queue of metrics to drain.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import keras
from pydantic import Field

from . import tracking
from .cli import run
from .config import DEFAULT_DATA, Config, TrainConfig
from .errors import DataError


class BenchTrackingConfig(Config):
    """Print the per-epoch cost of MLflow tracking as a ratio to an untracked training."""

    data_dir: Path = Field(DEFAULT_DATA, description="the data to train on (make data)")
    epochs: int = Field(4, ge=2, description="epochs of each training (the first is not timed)")
    repeats: int = Field(3, ge=1, description="trainings of each kind, alternated")


CALLS = 50


class EpochTimer(keras.callbacks.Callback):
    """Seconds of each epoch, up to the end of the callbacks before this one."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self.began = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.began = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.began)
        self.logs = dict(logs or {})


def callback_seconds(logs: dict) -> tuple[float, float]:
    """``(seconds per on_epoch_end, seconds of end_run)`` of the tracking callback with
    ``logs``, ``CALLS`` calls in one run of the current store. MLflow queues the metrics
    (``synchronous=False``) and writes them from a background thread: the first figure is
    what an epoch waits for, the second what the run's end waits for the queue to drain."""
    import mlflow

    tracking.use_experiment()
    callback = tracking.metrics_callback()
    with mlflow.start_run(run_name="bench-tracking-callback"):
        began = time.perf_counter()
        for epoch in range(CALLS):
            callback.on_epoch_end(epoch, logs)
        logged = time.perf_counter()
    return (logged - began) / CALLS, time.perf_counter() - logged


def bench(config: BenchTrackingConfig) -> dict:
    """``{"untracked": s, "tracked": s, "ratio": r, ...}``: median seconds per epoch; the
    untracked trainings are ``TrainConfig(track=False)``.

    Raises:
        errors.DataError: ``data_dir`` does not exist.
    """
    from .training.engine import train

    if not config.data_dir.exists():
        raise DataError(f"data {config.data_dir} does not exist: run make data first")
    data_dir = config.data_dir.resolve()
    per_epoch: dict[bool, list[float]] = {False: [], True: []}
    wall: dict[bool, list[float]] = {False: [], True: []}
    here = Path.cwd()
    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)
    with tempfile.TemporaryDirectory(prefix="bench-tracking-") as scratch:
        os.chdir(scratch)  # the embedded default store: sqlite:///mlflow.db here
        try:
            kinds = [False] + [kind for _ in range(config.repeats) for kind in (False, True)]
            for number, tracked in enumerate(kinds):
                trial = TrainConfig(
                    data_dir=data_dir, epochs=config.epochs, track=tracked, fresh=True,
                    output_dir=Path(scratch) / f"run-{number}",
                )  # fmt: skip
                timer = EpochTimer()
                began = time.perf_counter()
                train(trial, callbacks=[timer])
                seconds = time.perf_counter() - began
                if number == 0:
                    continue  # warm-up: TensorFlow's first graphs, the first imports
                per_epoch[tracked].extend(timer.seconds[1:])
                wall[tracked].append(seconds)
            callback, drain = callback_seconds(timer.logs)
        finally:
            os.chdir(here)
            if saved is not None:
                os.environ["MLFLOW_TRACKING_URI"] = saved
    untracked, tracked = (statistics.median(per_epoch[kind]) for kind in (False, True))
    return {
        "untracked": untracked,
        "tracked": tracked,
        "ratio": tracked / untracked,
        "callback": callback,
        "drain": drain,
        "callback_ratio": (untracked + callback) / untracked,
        "wall_untracked": statistics.median(wall[False]),
        "wall_tracked": statistics.median(wall[True]),
        "runs": per_epoch,
    }


def report(config: BenchTrackingConfig, result: dict) -> None:
    runs = {k: " ".join(f"{v:.3f}" for v in vs) for k, vs in result["runs"].items()}
    print(f"seconds per epoch (after the first), untracked: {runs[False]}")
    print(f"seconds per epoch (after the first), tracked:   {runs[True]}")
    print(
        f"tracking cost per epoch: {result['tracked']:.3f} s / {result['untracked']:.3f} s "
        f"= ratio {result['ratio']:.3f} (medians of {len(result['runs'][True])} epochs, "
        f"{config.repeats} trainings of each kind, embedded SQLite store)"
    )
    print(
        f"tracking callback alone: {result['callback'] * 1000:.1f} ms per epoch ({CALLS} calls) "
        f"-> ratio {result['callback_ratio']:.4f} to the untracked epoch; the run's end then "
        f"waits {result['drain']:.2f} s for the {CALLS} epochs' queued metrics"
    )
    print(
        f"whole training: {result['wall_tracked']:.2f} s tracked, "
        f"{result['wall_untracked']:.2f} s untracked (run start, params, tags, files)"
    )


def main(argv: list[str] | None = None) -> int:
    return run(
        BenchTrackingConfig, bench, report, argv, prog=f"python -m {__package__}.tracking_bench"
    )


if __name__ == "__main__":
    sys.exit(main())
