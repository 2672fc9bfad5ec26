"""Shared fixtures: small image folders written by the project's own demo-data code, and a
folder of real image files in every format the loaders read (``write_mixed_format_folder``).

Other test modules can call the writer directly (``from conftest import
write_mixed_format_folder``), e.g. from a module- or session-scoped fixture of their own.
The fixtures of every example (the tracking store, ``gpu_required``) come from
``shared_fixtures``.
"""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from {{ cookiecutter.package }}.artifacts import save_facts
from {{ cookiecutter.package }}.data.demo import write_demo_dataset

from shared_fixtures import gpu_required, mlflow_store  # noqa: F401 - fixtures, by name

# Class name -> RGB colour (0-255) of every image of that class: one bright channel each,
# so a model can learn the classes, and the 16-bit PNG holds 65535 in that channel.
MIXED_FORMAT_COLOURS = {"blue": (40, 40, 255), "green": (40, 255, 40), "red": (255, 40, 40)}
# Image height and width in pixels (not square, to catch swapped axes).
MIXED_FORMAT_SIZE = (20, 24)
# File name -> format written; upper-case extensions on purpose. Every class holds all of them.
MIXED_FORMAT_FILES = {
    "gray.jpg": "grayscale JPEG (8-bit luminance of the class colour)",
    "rgb.jpeg": "RGB JPEG",
    "alpha.png": "RGBA PNG, alpha 128",
    "deep.png": "16-bit RGB PNG (value * 257)",
    "palette.png": "palette (P mode) PNG",
    "image.bmp": "BMP",
    "image.gif": "GIF",
    "upper.JPG": "RGB JPEG, upper-case extension",
    "upper.PNG": "RGB PNG, upper-case extension",
}
# Files that are not images and must not be listed.
MIXED_FORMAT_JUNK = (".DS_Store", "Thumbs.db", "notes.txt")


def grey_level(colour: tuple[int, int, int]) -> int:
    """The 8-bit luminance Pillow's ``convert("L")`` gives ``colour`` (ITU-R 601-2)."""
    return int(Image.new("RGB", (1, 1), colour).convert("L").getpixel((0, 0)))


def write_mixed_format_folder(root: str | Path) -> Path:
    """Write ``root/<class>/<file>`` for the classes of ``MIXED_FORMAT_COLOURS``; return ``root``.

    Each class folder holds one file of each ``MIXED_FORMAT_FILES`` entry, every pixel the
    class colour (the grayscale JPEG: its luminance), ``MIXED_FORMAT_SIZE`` (height, width)
    pixels, plus the non-image files ``MIXED_FORMAT_JUNK``. Written with Pillow, except the
    16-bit PNG (``tf.io.encode_png`` of uint16; Pillow writes no 16-bit RGB PNG).
    """
    root = Path(root)
    height, width = MIXED_FORMAT_SIZE
    for name, colour in MIXED_FORMAT_COLOURS.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        rgb = Image.new("RGB", (width, height), colour)
        rgb.convert("L").save(folder / "gray.jpg", quality=95)
        rgb.save(folder / "rgb.jpeg", quality=95)
        Image.new("RGBA", (width, height), (*colour, 128)).save(folder / "alpha.png")
        deep = np.full((height, width, 3), colour, np.uint16) * 257
        tf.io.write_file(str(folder / "deep.png"), tf.io.encode_png(tf.constant(deep)))
        rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(folder / "palette.png")
        rgb.save(folder / "image.bmp")
        rgb.save(folder / "image.gif")
        rgb.save(folder / "upper.JPG", format="JPEG", quality=95)
        rgb.save(folder / "upper.PNG", format="PNG")
        (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
        (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
        (folder / "notes.txt").write_text("not an image\n")
    return root


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """``tmp_path/data`` with 3 classes x 5 PNG images of 16x16 pixels."""
    return write_demo_dataset(tmp_path / "data", images_per_class=5, image_size=16)


@pytest.fixture
def small_training(image_folder: Path) -> dict:
    """Training fields of a fast run of this example on small data (the tracking and search
    tests): the 16x16 ``image_folder``."""
    return {"data_dir": str(image_folder), "image_size": 16, "batch_size": 8}


@pytest.fixture
def mixed_image_folder(tmp_path: Path) -> Path:
    """``tmp_path/mixed``: 3 classes x 9 images in 7 formats plus junk files; see
    ``write_mixed_format_folder``."""
    return write_mixed_format_folder(tmp_path / "mixed")


def record_run(folder: str | Path, class_names: list[str], image_size: int = 16) -> Path:
    """Write beside a model what training writes for evaluate, predict and export: the
    facts (``facts.json``, ``class_names.json``) and a ``config.yaml`` with the image size
    that ``dataset.load_data``/``load_inputs`` take again; returns ``folder``."""
    facts = {"image_size": [image_size] * 2, "num_classes": len(class_names)}
    save_facts(folder, {**facts, "class_names": class_names})
    (Path(folder) / "config.yaml").write_text(f"image_size: {image_size}\n")
    return Path(folder)
