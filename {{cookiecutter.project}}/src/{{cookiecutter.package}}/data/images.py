"""Image files on disk: finding them, decoding them, and the errors they raise.

The one place for image I/O, shared by both loaders (``pydataset.py``'s PyDataset and
``pipeline.py``'s ``tf.data`` pipeline), so that they yield the same values, and by the
commands that read image folders. A dataset folder holds one sub-folder per class
(``DATA_DIR/<class name>/.../<image file>``), the layout of
``keras.utils.image_dataset_from_directory`` (https://keras.io/api/data_loading/image/):
class names are the top-level sub-folders, sorted, and each class folder is walked
recursively (``class/2024/img.jpg`` belongs to ``class``). Files are recognised by Keras's
list of extensions, in any case (``.PNG`` too); hidden files and folders (``.DS_Store``,
``._img.jpg``, ``.thumbnails/``) and other files (``Thumbs.db``, notes) are skipped.

Phone photos often carry an EXIF orientation (tag 274) saying how to turn the stored pixels
for display, and TensorFlow's decoders ignore it (``tf.io.decode_image``). ``orientations``
reads the tag with Pillow (the file header only) and ``decode_image`` applies it, as
``PIL.ImageOps.exif_transpose`` does, in both loaders alike, so their batches stay equal.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image, UnidentifiedImageError

from ..errors import DataError

__all__ = [
    "DataError",
    "IMAGE_EXTENSIONS",
    "batch_decoder",
    "decode_image",
    "find_images",
    "list_image_folder",
    "orientations",
]

# keras.utils.image_dataset_from_directory's ALLOWLIST_FORMATS (a test checks they agree).
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# EXIF tag of the orientation (https://www.cipa.jp/std/documents/e/DC-008-2012_E.pdf).
ORIENTATION_TAG = 0x0112


def find_images(folder: Path) -> tuple[list[str], list[str]]:
    """``(images, skipped)`` under ``folder``, walked recursively and sorted as Keras sorts
    them (by folder, then file name): image files by extension, and the other files that
    are not hidden. Hidden files and folders are left out of both."""
    images: list[str] = []
    skipped: list[str] = []
    walked = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]  # prune hidden folders
        walked.append((root, files))
    for root, files in sorted(walked, key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            (images if name.lower().endswith(IMAGE_EXTENSIONS) else skipped).append(path)
    return images, skipped


def list_image_folder(data_dir: str | Path) -> tuple[list[str], list[int], list[str]]:
    """List the images of a folder of class sub-folders.

    Args:
        data_dir: a folder holding one sub-folder of images per class.

    Returns:
        ``(paths, labels, class_names)``: image paths sorted by class then file name, their
        int class indices, and the sorted class names (index ``i`` is ``class_names[i]``).
        Each class folder is searched recursively (``find_images``).

    Raises:
        DataError: the folder is missing, has fewer than two class sub-folders, or a class
            sub-folder holds no image file, at any depth (extensions: ``IMAGE_EXTENSIONS``).
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
        images, _ = find_images(class_dir)
        if not images:
            raise DataError(
                f"class folder {class_dir} holds no image file "
                f"({', '.join(IMAGE_EXTENSIONS)}); add images or remove the folder."
            )
        paths.extend(images)
        labels.extend([label] * len(images))
    return paths, labels, [p.name for p in class_dirs]


def orientations(paths: Sequence[str]) -> np.ndarray:
    """int32 ``(len(paths),)``: each file's EXIF orientation, 1 to 8 (1 where it has none or
    Pillow cannot read the file; the decode check names unreadable files)."""
    values = np.ones(len(paths), np.int32)
    for index, path in enumerate(paths):
        try:
            with Image.open(path) as image:
                value = image.getexif().get(ORIENTATION_TAG, 1)
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
            continue
        if isinstance(value, int) and 1 <= value <= 8:
            values[index] = value
    return values


def apply_orientation(image: tf.Tensor, orientation: tf.Tensor) -> tf.Tensor:
    """Turn ``(height, width, channels)`` pixels as EXIF ``orientation`` (1-8) says, the
    transposes of ``PIL.ImageOps.exif_transpose``: 2 mirror, 3 rotate 180, 4 flip, 5
    transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise."""
    branches = [
        lambda: image,
        lambda: tf.image.flip_left_right(image),
        lambda: tf.image.rot90(image, 2),
        lambda: tf.image.flip_up_down(image),
        lambda: tf.transpose(image, [1, 0, 2]),
        lambda: tf.image.rot90(image, 3),
        lambda: tf.image.rot90(tf.transpose(image, [1, 0, 2]), 2),
        lambda: tf.image.rot90(image, 1),
    ]
    index = tf.clip_by_value(tf.cast(orientation, tf.int32) - 1, 0, 7)
    return tf.switch_case(index, branches)


def decode_image(
    contents: tf.Tensor, image_size: tuple[int, int], orientation: tf.Tensor | int = 1
) -> tf.Tensor:
    """Decode PNG/JPEG/GIF/BMP bytes to a float32 ``(height, width, 3)`` tensor in [0, 1].

    The one decode step of both loaders (``pydataset.py``'s PyDataset and ``pipeline.py``'s
    ``tf.data`` pipeline), so they yield the same values. Grayscale and RGBA images become
    RGB; the EXIF ``orientation`` (``orientations``) is applied; the image is resized
    bilinearly to ``image_size`` ``(height, width)`` pixels
    (https://www.tensorflow.org/api_docs/python/tf/io/decode_image).

    Raises:
        tf.errors.InvalidArgumentError: the bytes are not a supported image.
    """
    image = tf.io.decode_image(contents, channels=3, dtype=tf.float32, expand_animations=False)
    image = apply_orientation(image, orientation)
    return tf.image.resize(image, image_size, method="bilinear")


def batch_decoder(image_size: Sequence[int]) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """A compiled function: a batch of image paths and their EXIF orientations (int32, see
    ``orientations``) to float32 ``(batch, height, width, 3)``.

    The returned ``tf.function`` reads and decodes every path of a string tensor of shape
    ``(batch,)`` with ``decode_image``, in one graph call: ``tf.map_fn`` runs up to
    ``parallel_iterations`` images at once on TensorFlow's inter-op threads, and the input
    signature's ``None`` batch dimension means it is traced once for every batch size
    (https://www.tensorflow.org/guide/function#controlling_retracing). There is one function
    per size in a process, so the training and validation PyDatasets (and the smoke test's)
    share one trace, about a second on 2 cores. Values equal ``decode_image``'s, so a batch
    equals the ``tf.data`` pipeline's.

    Args:
        image_size: ``(height, width)`` in pixels that every image is resized to.

    Raises:
        tf.errors.NotFoundError: (when called) a path does not exist.
        tf.errors.InvalidArgumentError: (when called) a file is not a supported image.
    """
    return _batch_decoder((int(image_size[0]), int(image_size[1])))


@functools.cache
def _batch_decoder(size: tuple[int, int]) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    image_spec = tf.TensorSpec((*size, 3), tf.float32)

    @tf.function(
        input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.int32)]
    )
    def decode_batch(paths: tf.Tensor, turns: tf.Tensor) -> tf.Tensor:
        return tf.map_fn(
            lambda item: decode_image(tf.io.read_file(item[0]), size, item[1]),
            (paths, turns),
            fn_output_signature=image_spec,
            parallel_iterations=16,
        )

    return decode_batch


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


def require_readable(paths: Sequence[str]) -> None:
    """Check that every path decodes as an image, before any long work starts.

    Raises:
        DataError: naming the unreadable files (the first five) and how many there are.
    """
    unreadable = find_unreadable_images(paths)
    if unreadable:
        shown = ", ".join(unreadable[:5]) + (" ..." if len(unreadable) > 5 else "")
        raise DataError(
            f"{len(unreadable)} file(s) cannot be decoded as images: {shown}. "
            "Remove or replace them."
        )
