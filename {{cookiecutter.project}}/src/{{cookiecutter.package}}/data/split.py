"""The seeded, stratified training/validation split of an image folder's examples.

Single-process and multi-worker training (``train``, ``multi_worker``) both use it, so every
worker of a cluster, given the same seed, holds out the same examples.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError


def split_indices(
    labels: list[int], validation_split: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split: ``(train_indices, validation_indices)``, both sorted.

    Every class keeps at least one training example and, when ``validation_split`` > 0,
    gives at least one validation example.

    Raises:
        DataError: a class has fewer than two images while a validation split is asked for.
        ValueError: ``validation_split`` outside [0, 1).
    """
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    rng = np.random.default_rng(seed)
    labels_array = np.asarray(labels)
    train, validation = [], []
    for label in np.unique(labels_array):
        members = rng.permutation(np.flatnonzero(labels_array == label))
        if validation_split == 0.0:
            train.extend(members)
            continue
        if len(members) < 2:
            raise DataError(
                f"class index {label} has {len(members)} image; a validation split needs "
                "at least two images per class."
            )
        count = min(max(1, round(len(members) * validation_split)), len(members) - 1)
        validation.extend(members[:count])
        train.extend(members[count:])
    return np.sort(np.asarray(train, dtype=int)), np.sort(np.asarray(validation, dtype=int))
