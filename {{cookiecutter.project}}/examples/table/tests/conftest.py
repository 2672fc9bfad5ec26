"""Shared fixtures: a small demo table written by the project's own demo-data code (the
fixtures of every example come from ``shared_fixtures``)."""

from pathlib import Path

import pytest

from {{ cookiecutter.package }}.data.demo import write_demo_table

from shared_fixtures import gpu_required, mlflow_store  # noqa: F401 - fixtures, by name


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """``tmp_path/data``: a 60-row demo table with a numeric target (a regression)."""
    return write_demo_table(tmp_path / "data", rows=60)


@pytest.fixture
def class_table(tmp_path: Path) -> Path:
    """``tmp_path/classes``: a 60-row demo table with a low/medium/high target."""
    return write_demo_table(tmp_path / "classes", rows=60, classes=True)


@pytest.fixture
def small_training(class_table: Path) -> dict:
    """Training fields of a fast run of this example on small data (the tracking and search
    tests): the 60-row ``class_table``."""
    return {"data_dir": str(class_table), "batch_size": 8}
