"""Loader throughput: the PyDataset against the ``tf.data`` pipeline, in one run (``make bench``).

Reads and decodes every image of a folder, ``--epochs`` times, through each loader and
prints images per second and the ratio tf.data / PyDataset. Both are measured in the same
process, one after the other, so the ratio means more than either number on a shared,
noisy machine. The first pass of each loader is a warm-up and is not timed.

The PyDataset is iterated in this process, batch after batch, as ``model.fit`` does with
``workers=1``. Usage: ``python -m {{ cookiecutter.package }}.benchmark --data-dir data/demo``
"""

from __future__ import annotations

import argparse
import sys
import time

from .data import ImageFolderPyDataset
from .images import list_image_folder
from .pipeline import make_dataset


def images_per_second(batches, epochs: int) -> float:
    """Images per second over ``epochs`` full passes of an iterable of ``(x, y)`` batches."""
    for _ in batches:  # warm-up: graph tracing, file cache
        pass
    count, start = 0, time.perf_counter()
    for _ in range(epochs):
        for x, _ in batches:
            count += len(x)
    return count / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare the two loaders' throughput.")
    parser.add_argument("--data-dir", default="data/demo")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=32, help="pixels (square)")
    args = parser.parse_args(argv)
    paths, labels, _ = list_image_folder(args.data_dir)
    size = (args.image_size, args.image_size)
    sequence = ImageFolderPyDataset(paths, labels, batch_size=args.batch_size, image_size=size)
    pipeline = make_dataset(paths, labels, batch_size=args.batch_size, image_size=size)
    seq_rate = images_per_second(sequence, args.epochs)
    tf_rate = images_per_second(pipeline, args.epochs)
    print(f"images: {len(paths)}, epochs: {args.epochs}, image size: {args.image_size}")
    print(f"PyDataset:        {seq_rate:10.0f} img/s")
    print(f"tf.data pipeline: {tf_rate:10.0f} img/s")
    print(f"ratio tf.data / PyDataset: {tf_rate / seq_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
