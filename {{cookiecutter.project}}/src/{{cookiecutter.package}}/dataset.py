"""The data: yours to replace. The example reads a folder of images, one sub-folder per class.

The contract every command relies on (nothing else needs editing when you replace it, and
``model.py`` beside it is the same kind of contract):

``load_data(data_dir, *, validation_split, seed, batch_size, **options)``
    returns ``(train, validation, facts)``.
    ``train`` and ``validation`` are anything ``keras.Model.fit`` takes as ``x``: a
    ``keras.utils.PyDataset`` (alias ``keras.utils.Sequence``), a batched ``tf.data.Dataset``
    of ``(inputs, targets)``, or an ``(inputs, targets)`` pair of NumPy arrays.
    ``validation`` is ``None`` when ``validation_split`` is 0. ``facts`` is a dict of
    keywords for ``model.build_model`` (here ``image_size``, ``num_classes`` and
    ``class_names``); it is recorded in the run's ``facts.json``, so it must be JSON values.
    A ``class_names`` fact marks a classification task: the targets are int class indices
    (the engine re-encodes them as the model's loss asks, ``label_mode``), and evaluate and
    predict add a per-class table, a confusion matrix and class names.
``load_inputs(path, *, batch_size, **options) -> (ids, inputs)``
    What ``make predict INPUT=`` reads: one name per example (here the file path) and the
    inputs in the same order, in any form ``keras.Model.predict`` takes.

Optional hooks, each with its default when absent:

``smoke_data(folder) -> data_dir``
    A tiny data set written into ``folder`` for ``make smoke`` (default: the configured
    ``data_dir``, trained with at most two steps per epoch).
``fingerprint(data_dir) -> str``
    What identifies the data in ``run.json`` (default: ``fingerprint.folder_fingerprint``,
    a sha256 over the relative paths, sizes and contents of the files under ``data_dir``).

``**options`` are the fields of ``options.DataOptions`` that the function takes; the engine
passes only those (all with ``**options``).

This example: ``data_dir/<class name>/.../<image file>``, the layout of
``keras.utils.image_dataset_from_directory`` (``data.images``), split per class with a seed
(``data.split``), read by the ``PyDataset`` loader (``data.pydataset``) or the ``tf.data``
pipeline (``data.pipeline``): float32 ``(batch, height, width, 3)`` images in [0, 1] and
int32 ``(batch,)`` class indices.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .data.check import duplicate_groups
from .data.demo import write_demo_dataset
from .data.images import (
    IMAGE_EXTENSIONS,
    find_images,
    find_unreadable_images,
    list_image_folder,
    require_readable,
)
from .data.pipeline import make_dataset
from .data.pydataset import ImageFolderPyDataset
from .data.split import split_indices
from .errors import DataError

__all__ = ["load_data", "load_inputs", "smoke_data"]


def warn_split_duplicates(paths: list[str], validation: set[int]) -> None:
    """Name on stderr the groups of identical images (``data.check.duplicate_groups``) that
    fall on both sides of the split: they inflate the validation scores."""
    leaks = [
        [paths[i] for i in group]
        for group in duplicate_groups(paths)
        if validation.intersection(group) and not validation.issuperset(group)
    ]
    if leaks:
        shown = "; ".join(" = ".join(group) for group in leaks[:5])
        more = f" (and {len(leaks) - 5} more)" if len(leaks) > 5 else ""
        print(
            f"warning: {len(leaks)} group(s) of identical images are on both sides of the "
            f"train/validation split, which inflates the validation scores: {shown}{more}. "
            "Keep one of each (make data-check lists them all).",
            file=sys.stderr,
        )


def load_data(
    data_dir: str | Path,
    *,
    validation_split: float,
    seed: int,
    batch_size: int,
    loader: str = "sequence",
    image_size: int = 32,
    workers: int = 1,
    cache: bool = False,
):
    """The image folder ``data_dir``, split and batched.

    Args:
        data_dir: a folder of class sub-folders of images.
        validation_split: the fraction of every class held out, in [0, 1).
        seed: seed of the split and of the per-epoch shuffling of ``train``.
        batch_size: images per batch.
        loader: ``sequence`` (``ImageFolderPyDataset``, ``workers`` threads) or ``tf-data``
            (``make_dataset``, ``cache`` keeps decoded images in memory).
        image_size: height and width in pixels of the float32 images.

    Returns:
        ``(train, validation or None, {"image_size": [h, w], "num_classes": n,
        "class_names": [...]})``.

    Raises:
        errors.DataError: the folder, a class or an image in it cannot be used.
    """
    paths, labels, class_names = list_image_folder(data_dir)
    require_readable(paths)
    train_idx, val_idx = split_indices(labels, validation_split, seed)
    warn_split_duplicates(paths, set(val_idx.tolist()))
    size = (image_size, image_size)

    def subset(indices, shuffle: bool):
        chosen = [paths[i] for i in indices], [labels[i] for i in indices]
        if loader == "sequence":
            data = ImageFolderPyDataset(
                *chosen, batch_size=batch_size, image_size=size, shuffle=shuffle, seed=seed,
                workers=workers, use_multiprocessing=False,
            )  # fmt: skip
        else:
            data = make_dataset(
                *chosen, batch_size=batch_size, image_size=size, shuffle=shuffle, seed=seed,
                cache=cache,
            )  # fmt: skip
        data.num_examples = len(indices)  # for the run's record (feeds.count_examples)
        return data

    train = subset(train_idx, shuffle=True)
    validation = subset(val_idx, shuffle=False) if val_idx.size else None
    facts = {"image_size": list(size), "num_classes": len(class_names), "class_names": class_names}
    return train, validation, facts


def load_inputs(path: str | Path, *, batch_size: int, image_size: int = 32, **options):
    """The images to predict: ``path`` itself, or the image files of a folder, searched
    recursively as training searches a class folder (``data.images.find_images``). Files
    that cannot be decoded are named on stderr and left out.

    Returns:
        ``(paths, dataset)``: the readable files, and a ``tf.data.Dataset`` of their float32
        ``(batch, image_size, image_size, 3)`` images in [0, 1], in that order.

    Raises:
        errors.DataError: ``path`` does not exist, is a file without an image extension, is
            a folder holding no image file, or no file can be decoded.
    """
    root = Path(path)
    extensions = ", ".join(IMAGE_EXTENSIONS)
    if root.is_file():
        if root.suffix.lower() not in IMAGE_EXTENSIONS:
            raise DataError(f"{root} is not an image file ({extensions}); pass one or a folder.")
        found = [str(root)]
    elif root.is_dir():
        found, _ = find_images(root)
        if not found:
            raise DataError(f"folder {root} holds no image file ({extensions}).")
    else:
        raise DataError(f"input {root} does not exist; pass an image file or a folder.")
    unreadable = set(find_unreadable_images(found))
    for skipped in sorted(unreadable):
        print(f"warning: skipped {skipped}: cannot be decoded as an image", file=sys.stderr)
    readable = [name for name in found if name not in unreadable]
    if not readable:
        shown = ", ".join(sorted(unreadable)[:5])
        raise DataError(f"none of the {len(found)} image file(s) in {root} can be decoded: {shown}")
    size = (image_size, image_size)
    dataset = make_dataset(readable, [0] * len(readable), batch_size=batch_size, image_size=size)
    return readable, dataset.map(lambda images, labels: images)


def smoke_data(folder: Path) -> Path:
    """Two demo images in each of three classes, for ``make smoke``."""
    return write_demo_dataset(folder / "data", images_per_class=2, image_size=32)
