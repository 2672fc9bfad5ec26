"""Shared fixtures: a small demo table written by the project's own demo-data code."""

from pathlib import Path

import pytest
import tensorflow as tf

from {{ cookiecutter.package }}.data.demo import write_demo_table


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """``tmp_path/data``: a 60-row demo table with a numeric target (a regression)."""
    return write_demo_table(tmp_path / "data", rows=60)


@pytest.fixture
def class_table(tmp_path: Path) -> Path:
    """``tmp_path/classes``: a 60-row demo table with a low/medium/high target."""
    return write_demo_table(tmp_path / "classes", rows=60, classes=True)


@pytest.fixture
def gpu_required() -> None:
    """Skip, with the reason, unless TensorFlow sees a GPU."""
    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("no GPU visible to TensorFlow")
