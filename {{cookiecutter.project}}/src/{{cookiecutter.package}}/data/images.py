"""Image files on disk: finding them, decoding them, and the errors they raise.

The one place for image I/O, shared by both loaders (``pydataset.py``'s PyDataset and
``pipeline.py``'s ``tf.data`` pipeline), so that they yield the same values, and by the
commands that read image folders. A dataset folder holds one sub-folder per class
(``DATA_DIR/<class name>/<image file>``), the layout of
``keras.utils.image_dataset_from_directory``; class indices follow the sorted sub-folder
names. Files are recognised by extension, in any case (``.PNG`` too); other files
(``.DS_Store``, ``Thumbs.db``, notes) are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import tensorflow as tf

from {{ cookiecutter.package }}.errors import DataError

__all__ = ["DataError", "IMAGE_EXTENSIONS", "batch_decoder", "decode_image", "list_image_folder"]

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


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


def batch_decoder(image_size: tuple[int, int]) -> Callable[[tf.Tensor], tf.Tensor]:
    """A compiled function: a batch of image paths to float32 ``(batch, height, width, 3)``.

    The returned ``tf.function`` reads and decodes every path of a string tensor of shape
    ``(batch,)`` with ``decode_image``, in one graph call: ``tf.map_fn`` runs up to
    ``parallel_iterations`` images at once on TensorFlow's inter-op threads, and the input
    signature's ``None`` batch dimension means it is traced once for every batch size
    (https://www.tensorflow.org/guide/function#controlling_retracing). Values equal
    ``decode_image``'s, so a batch equals the ``tf.data`` pipeline's.

    Args:
        image_size: ``(height, width)`` in pixels that every image is resized to.

    Raises:
        tf.errors.NotFoundError: (when called) a path does not exist.
        tf.errors.InvalidArgumentError: (when called) a file is not a supported image.
    """
    size = (int(image_size[0]), int(image_size[1]))
    image_spec = tf.TensorSpec((*size, 3), tf.float32)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def decode_batch(paths: tf.Tensor) -> tf.Tensor:
        return tf.map_fn(
            lambda path: decode_image(tf.io.read_file(path), size),
            paths,
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
