"""Training throughput on a table, in one run (``make bench``).

For the table at ``DATA`` (read by ``dataset.load_data``, the whole of it for training) it
prints the rows per second of ``model.fit`` of the example model (``model.build_model`` on
the data's facts), fed two ways in the same run, one after the other: from the NumPy
arrays that ``load_data`` returns (``fit(x, y, batch_size=)``), and from a ``tf.data``
pipeline over the same arrays (``feeds.to_tf_data``: sliced, shuffled, batched). Each runs
``--epochs`` + 1 epochs; rows/s are from the second epoch on (the first traces the graph).
It then prints their ratio. All figures come from the same run, so the ratio means more
than either number on a shared, noisy machine.

Usage: ``make bench DATA=data/demo``, which runs ``python -m`` this module with
``--data-dir data/demo``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import keras
from pydantic import Field

from . import feeds
from .cli import run
from .config import BatchOptions
from .dataset import load_data
from .model import build_model
from .training.targets import accepted

FEEDS = ("arrays", "tf.data")


class BenchConfig(BatchOptions):
    """Measure fit's rows/s on a table, fed from arrays and from tf.data, in one run."""

    data_dir: Path = Field(Path("data/demo"), description="a CSV file or a folder of them")
    epochs: int = Field(3, ge=1, description="timed epochs, after one untimed")


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of each epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def bench(config: BenchConfig) -> dict:
    """``{"rows": n, "rows_per_s": {feed: rate}}`` for each of ``FEEDS``.

    Raises:
        errors.DataError: as ``dataset.load_data``.
    """
    (x, y), _, facts = load_data(
        config.data_dir, validation_split=0.0, seed=0, batch_size=config.batch_size
    )
    rates = {}
    for feed in FEEDS:
        keras.utils.set_random_seed(0)
        model = build_model(**accepted(build_model, facts))
        timer = EpochTimer()
        fit = {"epochs": config.epochs + 1, "callbacks": [timer], "verbose": 0}
        if feed == "arrays":
            model.fit(x, y, batch_size=config.batch_size, shuffle=True, **fit)
        else:
            model.fit(feeds.to_tf_data((x, y), config.batch_size, shuffle=True), **fit)
        rates[feed] = len(x) * config.epochs / sum(timer.seconds[1:])
    return {"rows": len(x), "rows_per_s": rates}


def report(config: BenchConfig, result: dict) -> None:
    rates = result["rows_per_s"]
    print(f"rows: {result['rows']}, batch size: {config.batch_size}, timed epochs: {config.epochs}")
    for feed, rate in rates.items():
        print(f"fit from {feed:8} {rate:10.0f} rows/s")
    print(f"ratio tf.data / arrays: {rates['tf.data'] / rates['arrays']:.2f}")


def main(argv: list[str] | None = None) -> int:
    return run(BenchConfig, bench, report, argv, prog=f"python -m {__package__}.benchmark")


if __name__ == "__main__":
    sys.exit(main())
