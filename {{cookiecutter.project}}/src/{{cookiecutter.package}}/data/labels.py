"""Class indices encoded as the loss expects them: ``label_mode``, as
``keras.utils.image_dataset_from_directory`` names the three encodings
(https://keras.io/api/data_loading/image/).

Both loaders encode with ``encode_labels`` before batching, so their batches stay equal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LABEL_MODES = ("int", "categorical", "binary")


def encode_labels(
    labels: Sequence[int], label_mode: str = "int", num_classes: int | None = None
) -> np.ndarray:
    """Encode int class indices.

    Args:
        labels: class index of each example, in ``[0, num_classes)``.
        label_mode: ``int``: int32 ``(n,)`` indices (for ``sparse_categorical_crossentropy``);
            ``categorical``: float32 ``(n, num_classes)`` one-hot rows (for
            ``categorical_crossentropy``); ``binary``: float32 ``(n, 1)`` 0/1 (for
            ``binary_crossentropy`` on two classes).
        num_classes: the number of classes (``categorical``; default: the largest index + 1).

    Raises:
        ValueError: an unknown ``label_mode``, or ``binary`` with an index other than 0 and 1.
    """
    indices = np.asarray(labels, dtype=np.int32)
    if label_mode == "int":
        return indices
    if label_mode == "categorical":
        classes = int(num_classes if num_classes is not None else indices.max(initial=-1) + 1)
        return np.eye(classes, dtype=np.float32)[indices]
    if label_mode == "binary":
        if indices.size and (indices.min() < 0 or indices.max() > 1):
            raise ValueError("label_mode 'binary' needs exactly two classes (indices 0 and 1)")
        return indices.astype(np.float32).reshape(-1, 1)
    raise ValueError(f"label_mode must be one of {', '.join(LABEL_MODES)}, got {label_mode!r}")
