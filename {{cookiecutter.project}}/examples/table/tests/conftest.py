"""Shared fixtures: a small demo table written by the project's own demo-data code."""

import os
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


@pytest.fixture(autouse=True, scope="session")
def mlflow_store(tmp_path_factory) -> str:
    """Every training of the tests is tracked into one temporary SQLite store, never into
    the project's mlflow.db; a test that needs another store sets the variable itself."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    before = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    yield uri
    if before is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = before


@pytest.fixture
def small_training(class_table: Path) -> dict:
    """Training fields of a fast run of this example on small data (the tracking and search
    tests): the 60-row ``class_table``."""
    return {"data_dir": str(class_table), "batch_size": 8}


@pytest.fixture
def gpu_required() -> None:
    """Skip, with the reason, unless TensorFlow sees a GPU."""
    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("no GPU visible to TensorFlow")
