"""Loader and training throughput, and peak memory, in one run (``make bench``).

For a folder of class sub-folders it prints, for every configuration below, images per
second and the peak resident memory (RSS) of a fresh Python process that ran only that
configuration, so that no figure carries another's memory or warm caches:

- ``loader``: each loader alone (``PyDataset``, ``tf.data``, ``tf.data`` with ``cache``), read
  and decoded as training reads it (shuffled), ``--epochs`` timed passes after one warm-up;
- ``fit``: ``model.fit`` of the example model (``model.build_model``) fed by each loader, and
  fed from memory (the same images decoded into one NumPy array first, ``fit(x, y)``);
  ``--epochs`` + 1 epochs, images/s from the second epoch on (the first traces the graph and
  fills the cache).

It then prints the ratios a user chooses by: tf.data / PyDataset (loaders alone), and the
faster loader's ``fit`` / in-memory ``fit``. All figures come from the same run, one
configuration after another, so their ratios mean more than any one number on a shared,
noisy machine. Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux) at
the end of the child process, after the timed epochs.

The PyDataset loader alone is iterated as ``model.fit`` iterates it with ``workers`` threads:
Keras 3's ``OrderedEnqueuer`` (keras/src/trainers/data_adapters/py_dataset_adapter.py)
submits ``dataset[i]`` to a thread pool of ``workers`` threads, at most ``max_queue_size``
batches ahead, and yields the results in order; ``iterate_like_fit`` does the same with the
public API (the enqueuer is private). ``--workers 1`` is fit's plain loop in the calling
thread.

Usage: ``make bench DATA=data/photos IMAGE_SIZE=128``, which runs
``python -m {{ cookiecutter.package }}.benchmark`` with
``--data-dir data/photos --image-size 128``.
"""

from __future__ import annotations

import collections
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import ThreadPool
from pathlib import Path

import keras
import numpy as np
from pydantic import Field

from .cli import run
from .config import BatchOptions
from .data.images import list_image_folder
from .data.pipeline import make_dataset
from .data.pydataset import ImageFolderPyDataset
from .errors import ProjectError
from .model import build_model


class BenchConfig(BatchOptions):
    """Measure the loaders, fit with each and fit in memory on a folder, in one run: images/s
    and peak RSS of each."""

    data_dir: Path = Field(Path("data/demo"), description="folder of class sub-folders")
    image_size: int = Field(32, ge=8, description="height and width of the model input")
    epochs: int = Field(
        3, ge=1, description="timed passes (loaders) or epochs (fit), after one untimed"
    )
    workers: int = Field(2, ge=1, description="PyDataset worker threads")


LOADERS = ("PyDataset", "tf.data", "tf.data cache")
# (mode, loader) in the order they run and print; "memory" is fit(x, y) on a NumPy array.
CONFIGURATIONS = (
    *(("loader", name) for name in LOADERS),
    *(("fit", name) for name in LOADERS),
    ("fit", "memory"),
)


def iterate_like_fit(dataset: keras.utils.PyDataset) -> Iterator:
    """Yield one epoch of ``dataset``'s batches in order, ``dataset.workers`` at a time.

    Like Keras's ``OrderedEnqueuer``: batches are computed by a pool of ``dataset.workers``
    threads, at most ``dataset.max_queue_size`` ahead of the consumer, then
    ``dataset.on_epoch_end()`` is called.
    """
    if dataset.workers <= 1:
        for index in range(len(dataset)):
            yield dataset[index]
    else:
        with ThreadPool(dataset.workers) as pool:
            pending: collections.deque = collections.deque()
            for index in range(len(dataset)):
                pending.append(pool.apply_async(dataset.__getitem__, (index,)))
                if len(pending) >= dataset.max_queue_size:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
    dataset.on_epoch_end()


def images_per_second(make_epoch: Callable[[], Iterable], epochs: int) -> float:
    """Images per second over ``epochs`` passes of ``make_epoch()``'s ``(x, y)`` batches.

    One untimed pass comes first (graph tracing, file cache).
    """
    for _ in make_epoch():
        pass
    count, start = 0, time.perf_counter()
    for _ in range(epochs):
        for x, _ in make_epoch():
            count += len(x)
    return count / (time.perf_counter() - start)


class EpochTimes(keras.callbacks.Callback):
    """Records each epoch's wall-clock seconds in ``self.seconds``."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def make_loader(config: BenchConfig, name: str, paths: list[str], labels: list[int]):
    """The loader ``name`` of ``LOADERS`` over ``paths``, shuffled as training shuffles it."""
    size = (config.image_size, config.image_size)
    if name == "PyDataset":
        return ImageFolderPyDataset(
            paths,
            labels,
            batch_size=config.batch_size,
            image_size=size,
            shuffle=True,
            seed=0,
            workers=config.workers,
        )
    return make_dataset(
        paths,
        labels,
        batch_size=config.batch_size,
        image_size=size,
        shuffle=True,
        seed=0,
        cache=name == "tf.data cache",
    )


def measure(config: BenchConfig, mode: str, name: str) -> dict:
    """Run one configuration of ``CONFIGURATIONS`` in this process.

    Returns:
        ``{"images_per_s", "peak_rss_mb"}``: images per second (loader passes, or ``fit``
        epochs from the second on) and this process's peak RSS in MiB so far.
    """
    paths, labels, class_names = list_image_folder(config.data_dir)
    if mode == "loader":
        loader = make_loader(config, name, paths, labels)
        if name == "PyDataset":
            rate = images_per_second(lambda: iterate_like_fit(loader), config.epochs)
        else:
            rate = images_per_second(lambda: loader, config.epochs)
    else:
        keras.utils.set_random_seed(0)
        size = (config.image_size, config.image_size)
        model = build_model(image_size=size, num_classes=max(2, len(class_names)))
        timer = EpochTimes()
        fit = {"epochs": config.epochs + 1, "callbacks": [timer], "verbose": 0}
        if name == "memory":
            decoder = ImageFolderPyDataset(
                paths, labels, batch_size=config.batch_size, image_size=size
            )
            batches = [decoder[index] for index in range(len(decoder))]
            x = np.concatenate([x for x, _ in batches])
            y = np.concatenate([y for _, y in batches])
            del batches
            model.fit(x, y, batch_size=config.batch_size, shuffle=True, **fit)
        else:
            model.fit(make_loader(config, name, paths, labels), **fit)
        rate = len(paths) * config.epochs / sum(timer.seconds[1:])
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"images_per_s": rate, "peak_rss_mb": peak_kib / 1024}


CHILD = (
    "import json, sys\n"
    f"from {__package__}.benchmark import BenchConfig, measure\n"
    "config = BenchConfig.model_validate_json(sys.argv[1])\n"
    "print(json.dumps(measure(config, sys.argv[2], sys.argv[3])))\n"
)


def measure_in_child(config: BenchConfig, mode: str, name: str) -> dict:
    """``measure`` in a fresh Python process, so its peak RSS is this configuration's alone.

    Raises:
        errors.ProjectError: the child failed; the message holds the end of its stderr.
    """
    done = subprocess.run(
        [sys.executable, "-c", CHILD, config.model_dump_json(), mode, name],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise ProjectError(f"the {mode} run of {name} failed (exit {done.returncode}):\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench(config: BenchConfig) -> dict:
    """Every configuration of ``CONFIGURATIONS`` on ``config.data_dir``, one after another,
    each in a fresh process (``measure_in_child``).

    Returns:
        ``{"images": int, "classes": int, "results": {(mode, name): {"images_per_s",
        "peak_rss_mb"}}}``.

    Raises:
        errors.DataError: as ``data.images.list_image_folder``.
        errors.ProjectError: a configuration's process failed.
    """
    paths, _, class_names = list_image_folder(config.data_dir)
    results = {}
    for mode, name in CONFIGURATIONS:
        results[(mode, name)] = measure_in_child(config, mode, name)
    return {"images": len(paths), "classes": len(class_names), "results": results}


def report(config: BenchConfig, result: dict) -> None:
    results = result["results"]
    print(
        f"images: {result['images']} in {result['classes']} classes, image size: "
        f"{config.image_size}, batch size: {config.batch_size}, timed epochs: {config.epochs} "
        f"(after one untimed), PyDataset workers: {config.workers}"
    )
    print("each line ran in a fresh process; peak RSS is that process's")
    for mode, name in CONFIGURATIONS:
        figures = results[(mode, name)]
        label = f"{mode}: {'in memory (NumPy array)' if name == 'memory' else name}"
        print(
            f"{label:34} {figures['images_per_s']:8.0f} img/s   "
            f"peak RSS {figures['peak_rss_mb']:6.0f} MB"
        )
    loaders = {name: results[("loader", name)]["images_per_s"] for name in LOADERS}
    ratio = loaders["tf.data"] / loaders["PyDataset"]
    print(f"ratio tf.data / PyDataset (loaders alone): {ratio:.2f}")
    fits = {name: results[("fit", name)]["images_per_s"] for name in LOADERS}
    fastest = max(fits, key=fits.get)
    memory = results[("fit", "memory")]["images_per_s"]
    ratio = fits[fastest] / memory
    print(f"ratio fit with the faster loader ({fastest}) / fit in memory: {ratio:.2f}")


def main(argv: list[str] | None = None) -> int:
    return run(BenchConfig, bench, report, argv, prog=f"python -m {__package__}.benchmark")


if __name__ == "__main__":
    sys.exit(main())
