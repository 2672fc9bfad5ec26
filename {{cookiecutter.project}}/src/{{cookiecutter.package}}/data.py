"""Image-folder loader built on ``keras.utils.PyDataset``.

``keras.utils.Sequence`` is another name for the same class in Keras 3
(https://keras.io/api/utils/python_utils/#pydataset-class), so this is the "Sequence"
loader of older tutorials, imported from the place that exists in the pinned Keras.

A dataset folder holds one sub-folder per class (``DATA_DIR/<class name>/<image file>``),
the layout of ``keras.utils.image_dataset_from_directory``. Class indices follow the
sorted sub-folder names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


class DataError(ValueError):
    """A data folder or image file that cannot be used; the message names it and the fix."""


def list_image_folder(data_dir: str | Path) -> tuple[list[str], list[int], list[str]]:
    """List the images of a folder of class sub-folders.

    Args:
        data_dir: a folder holding one sub-folder of images per class.

    Returns:
        ``(paths, labels, class_names)``: image paths sorted by class then file name, their
        int class indices, and the sorted class names (index ``i`` is ``class_names[i]``).

    Raises:
        DataError: the folder is missing, has fewer than two class sub-folders, or a class
            sub-folder holds no image file (extensions: ``IMAGE_EXTENSIONS``).
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise DataError(
            f"data folder {root} does not exist. Pass --data-dir with a folder of class "
            "sub-folders, or run 'make data' for the demo dataset."
        )
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(class_dirs) < 2:
        found = ", ".join(p.name for p in class_dirs) or "none"
        raise DataError(
            f"data folder {root} needs at least two class sub-folders "
            f"(DATA_DIR/<class>/<image>); found {len(class_dirs)}: {found}."
        )
    paths: list[str] = []
    labels: list[int] = []
    for label, class_dir in enumerate(class_dirs):
        images = sorted(
            str(p)
            for p in class_dir.iterdir()
            if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
        )
        if not images:
            raise DataError(
                f"class folder {class_dir} holds no image file "
                f"({', '.join(IMAGE_EXTENSIONS)}); add images or remove the folder."
            )
        paths.extend(images)
        labels.extend([label] * len(images))
    return paths, labels, [p.name for p in class_dirs]


def decode_image(contents: tf.Tensor, image_size: tuple[int, int]) -> tf.Tensor:
    """Decode PNG/JPEG/GIF/BMP bytes to a float32 ``(height, width, 3)`` tensor in [0, 1].

    The one decode step of both loaders (this module's PyDataset and ``pipeline.py``'s
    ``tf.data`` pipeline), so they yield the same values. Grayscale and RGBA images become
    RGB; the image is resized bilinearly to ``image_size`` ``(height, width)`` pixels
    (https://www.tensorflow.org/api_docs/python/tf/io/decode_image).

    Raises:
        tf.errors.InvalidArgumentError: the bytes are not a supported image.
    """
    image = tf.io.decode_image(contents, channels=3, dtype=tf.float32, expand_animations=False)
    return tf.image.resize(image, image_size, method="bilinear")


def find_unreadable_images(paths: Sequence[str]) -> list[str]:
    """Return the paths, in input order, that cannot be read or decoded as images.

    Decodes every file once in a parallel ``tf.data`` pass (cheap next to training), so a
    broken file is named before training starts instead of failing an epoch half-way.
    """
    checked = (
        tf.data.Dataset.from_tensor_slices(list(paths))
        .map(
            # The decoded shape is dynamic, so graph mode cannot prune the decode away.
            lambda path: (
                path,
                tf.shape(tf.io.decode_image(tf.io.read_file(path), expand_animations=False)),
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        .ignore_errors()
    )
    readable = {path.decode() for path, _ in checked.as_numpy_iterator()}
    return [path for path in paths if path not in readable]


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
