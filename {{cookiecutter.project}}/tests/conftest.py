"""Shared fixtures: small image folders written by the project's own demo-data code."""

from pathlib import Path

import pytest
import tensorflow as tf

from {{ cookiecutter.package }}.demo_data import write_demo_dataset


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """``tmp_path/data`` with 3 classes x 5 PNG images of 16x16 pixels."""
    return write_demo_dataset(tmp_path / "data", images_per_class=5, image_size=16)


@pytest.fixture
def gpu_required() -> None:
    """Skip, with the reason, unless TensorFlow sees a GPU."""
    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("no GPU visible to TensorFlow")
