"""Loader throughput: the PyDataset against the ``tf.data`` pipeline, in one run (``make bench``).

Reads and decodes every image of a folder, ``--epochs`` times, through each loader and
prints images per second and the ratio tf.data / PyDataset. Both are measured in the same
process, one after the other, so the ratio means more than either number on a shared,
noisy machine. The first pass of each loader is a warm-up and is not timed.

The PyDataset is iterated as ``model.fit`` iterates it with ``workers`` threads: Keras 3's
``OrderedEnqueuer`` (keras/src/trainers/data_adapters/py_dataset_adapter.py) submits
``dataset[i]`` to a thread pool of ``workers`` threads, at most ``max_queue_size`` batches
ahead, and yields the results in order; ``iterate_like_fit`` does the same with the public
API (the enqueuer is private). ``--workers 1`` is fit's plain loop in the calling thread.
The ``tf.data`` pipeline is iterated as it is.
Usage: ``python -m {{ cookiecutter.package }}.benchmark --data-dir data/demo --workers 2`` (``make bench``)
"""

from __future__ import annotations

import collections
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import ThreadPool

import keras

from .cli import run
from .config import BenchConfig
from .data.images import list_image_folder
from .data.pipeline import make_dataset
from .data.pydataset import ImageFolderPyDataset


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


def bench(config: BenchConfig) -> dict:
    """Both loaders' images per second on ``config.data_dir``, measured one after the other.

    Returns:
        ``{"images", "sequence", "tf_data", "ratio"}``: the folder's image count, each
        loader's images/s, and tf.data / PyDataset.

    Raises:
        errors.DataError: as ``data.images.list_image_folder``.
    """
    paths, labels, _ = list_image_folder(config.data_dir)
    size = (config.image_size, config.image_size)
    sequence = ImageFolderPyDataset(
        paths, labels, batch_size=config.batch_size, image_size=size, workers=config.workers
    )
    pipeline = make_dataset(paths, labels, batch_size=config.batch_size, image_size=size)
    seq_rate = images_per_second(lambda: iterate_like_fit(sequence), config.epochs)
    tf_rate = images_per_second(lambda: pipeline, config.epochs)
    return {
        "images": len(paths),
        "sequence": seq_rate,
        "tf_data": tf_rate,
        "ratio": tf_rate / seq_rate,
    }


def report(config: BenchConfig, result: dict) -> None:
    print(f"images: {result['images']}, epochs: {config.epochs}, image size: {config.image_size}")
    print(f"PyDataset ({config.workers} workers): {result['sequence']:10.0f} img/s")
    print(f"tf.data pipeline:      {result['tf_data']:10.0f} img/s")
    print(f"ratio tf.data / PyDataset: {result['ratio']:.2f}")


def main(argv: list[str] | None = None) -> int:
    return run(BenchConfig, bench, report, argv, prog="python -m {{ cookiecutter.package }}.benchmark")


if __name__ == "__main__":
    sys.exit(main())
