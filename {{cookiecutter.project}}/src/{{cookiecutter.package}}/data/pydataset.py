"""Image-folder loader built on ``keras.utils.PyDataset``.

``keras.utils.Sequence`` is another name for the same class in Keras 3
(https://keras.io/api/utils/python_utils/#pydataset-class), so this is the "Sequence"
loader of older tutorials, imported from the place that exists in the pinned Keras. The
folder layout and the decoding live in ``images.py``.
"""

from __future__ import annotations

import math
import multiprocessing
import warnings
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .images import DataError, batch_decoder, list_image_folder, orientations
from .labels import encode_labels


class ImageFolderPyDataset(keras.utils.PyDataset):
    """Batches of images and labels from file paths, for ``model.fit``.

    Each item is ``(x, y)``: ``x`` float32 ``(batch, height, width, 3)`` in [0, 1], ``y``
    the labels encoded by ``labels.encode_labels``: int32 ``(batch,)`` class indices for
    ``label_mode="int"``, float32 ``(batch, num_classes)`` one-hot rows for
    ``"categorical"``, float32 ``(batch, 1)`` for ``"binary"``. The last batch may be
    smaller. A batch is read and decoded in one compiled call (``images.batch_decoder``,
    EXIF orientation applied), equal to the ``tf.data`` pipeline's batch
    (``pipeline.make_dataset``) for the same order.

    Workers: ``__getitem__`` only reads shared state, so with ``workers > 1`` Keras's
    thread pool (``use_multiprocessing=False``) decodes several batches at once; TensorFlow
    releases the GIL while it decodes. ``use_multiprocessing=True`` does not help here:
    Keras 3 runs the workers in a ``multiprocessing.Pool`` of the default start method, which
    is ``fork`` on Linux before Python 3.14, and TensorFlow's runtime does not survive a
    fork (a worker forked after TensorFlow has run hangs on its first op; measured with
    TF 2.21: no batch in 40 s). So under ``fork`` this class warns and uses threads. Under
    ``spawn``/``forkserver`` the dataset pickles and works, but every worker re-imports
    TensorFlow, on every epoch (Keras makes a new pool per epoch): seconds per worker.

    Args:
        paths: image file paths.
        labels: int class index of each path.
        batch_size: images per batch.
        image_size: ``(height, width)`` in pixels that every image is resized to.
        shuffle: reshuffle the order at the end of every epoch (``on_epoch_end``).
        seed: seed of the shuffling, for a repeatable order.
        label_mode: ``int``, ``categorical`` or ``binary`` (``labels.encode_labels``).
        num_classes: the number of classes, for ``categorical``.
        **kwargs: passed to ``keras.utils.PyDataset``: ``workers``, ``use_multiprocessing``,
            ``max_queue_size`` (Keras 3 takes them here, not in ``fit``).

    Raises:
        ValueError: ``paths`` and ``labels`` differ in length, or ``batch_size`` < 1.
        DataError: ``paths`` is empty.
        TypeError: an unknown keyword argument (raised by ``PyDataset``).

    Warns:
        UserWarning: ``use_multiprocessing=True`` under the ``fork`` start method; threads
            are used instead.
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
        label_mode: str = "int",
        num_classes: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if self.use_multiprocessing and _start_method() == "fork":
            warnings.warn(
                "use_multiprocessing=True would fork TensorFlow, whose forked workers hang; "
                f"using {self.workers} worker threads instead (see ImageFolderPyDataset).",
                stacklevel=2,
            )
            self.use_multiprocessing = False
        if len(paths) != len(labels):
            raise ValueError(f"{len(paths)} paths but {len(labels)} labels")
        if not paths:
            raise DataError("no image paths given")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.paths = np.asarray(paths)
        self.labels = encode_labels(labels, label_mode, num_classes)
        self.orientations = orientations(self.paths)
        self.batch_size = batch_size
        self.image_size = tuple(image_size)
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self.order = (
            self._rng.permutation(len(self.paths)) if shuffle else np.arange(len(self.paths))
        )
        self._decode_batch = batch_decoder(self.image_size)

    def __getstate__(self) -> dict:
        # A tf.function does not pickle; rebuilt on unpickling (spawned worker processes).
        state = self.__dict__.copy()
        del state["_decode_batch"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._decode_batch = batch_decoder(self.image_size)

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
        """Batch ``index`` as ``(x, y)``; safe to call from several threads at once.

        Raises:
            IndexError: ``index`` is not in ``[0, len(self))``.
            tf.errors.NotFoundError, tf.errors.InvalidArgumentError: a file of the batch is
                missing or not an image (``images.find_unreadable_images`` names them all).
        """
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        images = self._decode_batch(
            tf.constant(self.paths[rows]), tf.constant(self.orientations[rows])
        )
        return images.numpy(), self.labels[rows]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            # A new array, not an in-place shuffle: a worker still reading the old order
            # sees one consistent permutation.
            self.order = self._rng.permutation(len(self.paths))


def _start_method() -> str:
    """The start method ``multiprocessing.Pool`` will use, without fixing it."""
    chosen = multiprocessing.get_start_method(allow_none=True)
    return chosen or multiprocessing.get_all_start_methods()[0]
