"""Write a small, learnable image-folder dataset offline (``make data``).

Three classes of 32x32 PNG images, ``circle``, ``square`` and ``stripes``: one shape of
random size and position on a noisy background, in a colour whose dominant channel is the
class's own (red, green, blue). It needs no download, and the classes are easy enough that
the example model passes 0.8 validation accuracy within 5 epochs, so a loader that mixes
up labels shows up as chance accuracy (about 0.33).

With ``--photo`` it writes photo-sized data instead, for ``make bench``: ``PHOTO_CLASSES``
(10) classes of 640x480 (``--width``/``--height``) JPEGs with some texture (smooth noise,
a class's stripe frequency and angle, grain) rather than flat drawings, so that files are
photo-sized (about 120 KB each) and decoding is real work. ``--images-per-class 200`` (the
default) gives 2,000 files; 1,500 took 2.5 minutes to write on 2 busy shared cores.

Usage: ``make data``, which runs
``python -m {{ cookiecutter.package }}.data.demo --output-dir data/demo``;
``make data DATA=data/photos ARGS="--photo --images-per-class 200"``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
from pydantic import Field

from ..cli import run
from ..config_base import Config


class DemoDataConfig(Config):
    """Write the offline demo dataset: three classes of drawn shapes."""

    output_dir: Path = Field(Path("data/demo"), description="the dataset folder")
    images_per_class: int = Field(200, ge=1, description="images in every class")
    image_size: int = Field(32, ge=8, description="pixels (square)")
    seed: int = Field(0, description="seed of the drawing")


CLASS_NAMES = ("circle", "square", "stripes")
PHOTO_CLASSES = 10


def draw_example(class_name: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw one uint8 ``(size, size, 3)`` RGB image of ``class_name``.

    Raises:
        ValueError: unknown ``class_name`` (see ``CLASS_NAMES``).
    """
    if class_name not in CLASS_NAMES:
        raise ValueError(f"unknown class {class_name!r}; expected one of {CLASS_NAMES}")
    background = rng.uniform(0.0, 0.35)
    image = np.clip(background + rng.normal(0.0, 0.05, (size, size, 3)), 0.0, 1.0)
    colour = rng.uniform(0.15, 0.55, 3)
    colour[CLASS_NAMES.index(class_name)] = rng.uniform(0.8, 1.0)
    rows, cols = np.mgrid[0:size, 0:size]
    radius = rng.uniform(0.2, 0.35) * size
    cy, cx = rng.uniform(radius, size - radius, 2)
    if class_name == "circle":
        mask = (rows - cy) ** 2 + (cols - cx) ** 2 <= radius**2
    elif class_name == "square":
        mask = (np.abs(rows - cy) <= radius * 0.85) & (np.abs(cols - cx) <= radius * 0.85)
    else:
        period = int(rng.integers(4, 7))
        mask = (rows // (period // 2)) % 2 == 0
        if rng.random() < 0.5:
            mask = mask.T
    image[mask] = colour
    return (image * 255).round().astype(np.uint8)


def write_demo_dataset(
    output_dir: str | Path, images_per_class: int = 200, image_size: int = 32, seed: int = 0
) -> Path:
    """Write ``output_dir/<class>/<class>_NNNN.png`` for every class of ``CLASS_NAMES``.

    The same seed writes the same files; existing files of the same name are overwritten,
    others are left alone.

    Returns:
        ``output_dir`` as a ``Path``.

    Raises:
        ValueError: ``images_per_class`` < 1 or ``image_size`` < 8.
    """
    if images_per_class < 1:
        raise ValueError(f"images_per_class must be at least 1, got {images_per_class}")
    if image_size < 8:
        raise ValueError(f"image_size must be at least 8 pixels, got {image_size}")
    root = Path(output_dir)
    rng = np.random.default_rng(seed)
    for class_name in CLASS_NAMES:
        class_dir = root / class_name
        class_dir.mkdir(parents=True, exist_ok=True)
        for index in range(images_per_class):
            png = tf.io.encode_png(draw_example(class_name, image_size, rng))
            tf.io.write_file(str(class_dir / f"{class_name}_{index:04d}.png"), png)
    return root


def draw_photo(class_index: int, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Draw one uint8 ``(height, width, 3)`` photo-like RGB image of class ``class_index``.

    Smooth colour noise (a coarse random grid upsampled bilinearly), stripes at the class's
    own frequency and angle, and per-pixel grain: JPEG-compresses like a textured photo, not
    like a flat drawing.
    """
    coarse = rng.uniform(0.0, 1.0, (1, height // 32 + 2, width // 32 + 2, 3)).astype(np.float32)
    image = tf.image.resize(coarse, (height, width), method="bilinear")[0].numpy()
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = np.pi * class_index / PHOTO_CLASSES + rng.normal(0.0, 0.05)
    period = 8.0 + 4.0 * (class_index % 5) + rng.uniform(-1.0, 1.0)
    phase = (rows * np.sin(angle) + cols * np.cos(angle)) * (2 * np.pi / period)
    stripes = 0.5 + 0.5 * np.sin(phase + rng.uniform(0, 2 * np.pi))
    tint = np.full(3, 0.3, np.float32)
    tint[class_index % 3] = 1.0
    image = 0.5 * image + 0.4 * stripes[..., None] * tint
    image += rng.normal(0.0, 0.04, image.shape).astype(np.float32)
    return (np.clip(image, 0.0, 1.0) * 255).round().astype(np.uint8)


def write_photo_dataset(
    output_dir: str | Path,
    images_per_class: int = 200,
    width: int = 640,
    height: int = 480,
    seed: int = 0,
) -> Path:
    """Write ``output_dir/class_NN/class_NN_NNNN.jpg``: ``PHOTO_CLASSES`` classes of
    ``width`` x ``height`` JPEGs (quality 90) drawn by ``draw_photo``.

    The same seed writes the same files. Returns ``output_dir`` as a ``Path``.

    Raises:
        ValueError: ``images_per_class`` < 1, or ``width`` or ``height`` < 32.
    """
    if images_per_class < 1:
        raise ValueError(f"images_per_class must be at least 1, got {images_per_class}")
    if min(width, height) < 32:
        raise ValueError(f"width and height must be at least 32 pixels, got {width}x{height}")
    root = Path(output_dir)
    rng = np.random.default_rng(seed)
    for class_index in range(PHOTO_CLASSES):
        class_dir = root / f"class_{class_index:02d}"
        class_dir.mkdir(parents=True, exist_ok=True)
        for index in range(images_per_class):
            jpeg = tf.io.encode_jpeg(draw_photo(class_index, width, height, rng), quality=90)
            tf.io.write_file(str(class_dir / f"{class_dir.name}_{index:04d}.jpg"), jpeg)
    return root


class DemoPhotoConfig(DemoDataConfig):
    """Write the offline demo dataset: three classes of drawn shapes, or with ``--photo``
    ten classes of photo-sized JPEGs (for ``make bench``)."""

    photo: bool = Field(False, description="write 640x480 textured JPEGs in 10 classes instead")
    width: int = Field(640, ge=32, description="photo width in pixels (--photo)")
    height: int = Field(480, ge=32, description="photo height in pixels (--photo)")


def main(argv: list[str] | None = None) -> int:
    def write(config: DemoPhotoConfig) -> Path:
        if config.photo:
            return write_photo_dataset(
                config.output_dir, config.images_per_class, config.width, config.height, config.seed
            )
        return write_demo_dataset(
            config.output_dir, config.images_per_class, config.image_size, config.seed
        )

    def report(config: DemoPhotoConfig, root: Path) -> None:
        classes = PHOTO_CLASSES if config.photo else len(CLASS_NAMES)
        kind = f"{config.width}x{config.height} JPEG" if config.photo else "PNG"
        total = config.images_per_class * classes
        print(f"wrote {total} {kind} images in {classes} classes to {root}")

    return run(DemoPhotoConfig, write, report, argv, prog=f"python -m {__package__}.demo")


if __name__ == "__main__":
    sys.exit(main())
