"""The ``tf.data`` pipeline: the same job as ``data.ImageFolderPyDataset``, in graph mode.

Follows https://www.tensorflow.org/guide/data_performance: ``from_tensor_slices`` over the
file paths, parallel decode and resize with ``AUTOTUNE``, optional ``cache``, ``shuffle``,
``batch`` and ``prefetch``. Decoding uses ``images.decode_image``, so for the same file order
and no shuffling both loaders yield the same batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import tensorflow as tf

from .images import decode_image, list_image_folder, orientations
from .labels import encode_labels


def make_dataset(
    paths: Sequence[str],
    labels: Sequence[int],
    *,
    batch_size: int = 32,
    image_size: tuple[int, int] = (32, 32),
    shuffle: bool = False,
    seed: int | None = None,
    cache: bool = False,
    label_mode: str = "int",
    num_classes: int | None = None,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(x, y)`` batches from image paths and labels.

    ``x`` is float32 ``(batch, height, width, 3)`` in [0, 1]; ``y`` the labels encoded by
    ``labels.encode_labels`` (int32 ``(batch,)`` for ``label_mode="int"``).

    Args:
        paths: image file paths.
        labels: int class index of each path.
        batch_size: images per batch; the last batch may be smaller.
        image_size: ``(height, width)`` in pixels.
        shuffle: reshuffle all examples every epoch.
        seed: seed of the shuffling.
        cache: keep decoded images in memory after the first epoch (for data that fits).
        label_mode: ``int``, ``categorical`` or ``binary`` (``labels.encode_labels``).
        num_classes: the number of classes, for ``categorical``.

    Raises:
        ValueError: ``paths`` and ``labels`` differ in length, or ``batch_size`` < 1.
    """
    if len(paths) != len(labels):
        raise ValueError(f"{len(paths)} paths but {len(labels)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    size = tuple(image_size)
    dataset = tf.data.Dataset.from_tensor_slices(
        (
            tf.constant(list(paths), tf.string),
            orientations(paths),
            encode_labels(labels, label_mode, num_classes),
        )
    ).map(
        lambda path, turn, label: (decode_image(tf.io.read_file(path), size, turn), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def dataset_from_directory(data_dir: str | Path, **kwargs) -> tuple[tf.data.Dataset, list[str]]:
    """``make_dataset`` over a folder of class sub-folders; returns ``(dataset, class_names)``.

    Raises:
        images.DataError: as ``images.list_image_folder``.
    """
    paths, labels, class_names = list_image_folder(data_dir)
    return make_dataset(paths, labels, **kwargs), class_names
