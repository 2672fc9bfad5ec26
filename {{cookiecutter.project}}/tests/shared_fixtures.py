"""Fixtures every example's tests use, whatever the task: each example's ``conftest.py``
imports them, so that they are defined once (the table example's conftest replaces the
image example's at bake time)."""

import os

import pytest
import tensorflow as tf


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
def gpu_required() -> None:
    """Skip, with the reason, unless TensorFlow sees a GPU."""
    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("no GPU visible to TensorFlow")
