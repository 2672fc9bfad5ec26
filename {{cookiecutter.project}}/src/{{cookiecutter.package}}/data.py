"""Image-folder loader built on ``keras.utils.PyDataset``.

``keras.utils.Sequence`` is another name for the same class in Keras 3
(https://keras.io/api/utils/python_utils/#pydataset-class), so this is the "Sequence"
loader of older tutorials, imported from the place that exists in the pinned Keras. The
folder layout and the decoding live in ``images.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .images import DataError, decode_image, list_image_folder


class ImageFolderPyDataset(keras.utils.PyDataset):
    """Batches of images and labels from file paths, for ``model.fit``.

    Each item is ``(x, y)``: ``x`` float32 ``(batch, height, width, 3)`` in [0, 1], ``y``
    int32 ``(batch,)`` class indices. The last batch may be smaller.

    Args:
        paths: image file paths.
        labels: int class index of each path.
        batch_size: images per batch.
        image_size: ``(height, width)`` in pixels that every image is resized to.
        shuffle: reshuffle the order at the end of every epoch (``on_epoch_end``).
        seed: seed of the shuffling, for a repeatable order.
        **kwargs: passed to ``keras.utils.PyDataset``: ``workers``, ``use_multiprocessing``,
            ``max_queue_size`` (Keras 3 takes them here, not in ``fit``).

    Raises:
        ValueError: ``paths`` and ``labels`` differ in length, or ``batch_size`` < 1.
        DataError: ``paths`` is empty.
        TypeError: an unknown keyword argument (raised by ``PyDataset``).
    """

    def __init__(
        self,
        paths: Sequence[str],
        labels: Sequence[int],
        *,
        batch_size: int = 32,
        image_size: tuple[int, int] = (32, 32),
        shuffle: bool = False,
        seed: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if len(paths) != len(labels):
            raise ValueError(f"{len(paths)} paths but {len(labels)} labels")
        if not paths:
            raise DataError("no image paths given")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.paths = np.asarray(paths)
        self.labels = np.asarray(labels, dtype=np.int32)
        self.batch_size = batch_size
        self.image_size = tuple(image_size)
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self.order = np.arange(len(self.paths))
        if shuffle:
            self._rng.shuffle(self.order)

    @classmethod
    def from_directory(
        cls, data_dir: str | Path, **kwargs
    ) -> tuple[ImageFolderPyDataset, list[str]]:
        """Build from a folder of class sub-folders; returns ``(dataset, class_names)``.

        Raises:
            DataError: as ``list_image_folder``.
        """
        paths, labels, class_names = list_image_folder(data_dir)
        return cls(paths, labels, **kwargs), class_names

    def __len__(self) -> int:
        return math.ceil(len(self.paths) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        images = [
            decode_image(tf.io.read_file(path), self.image_size).numpy()
            for path in self.paths[rows]
        ]
        return np.stack(images), self.labels[rows]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._rng.shuffle(self.order)
