"""Slow tier: the table example (``example=table``) baked and run through its make targets
on the tests' Python and on the oldest offered one (``conftest.SUITE_PYTHONS``): install,
smoke, data, data-check, train, evaluate, predict, export, bench-export and bench, then its own
tests.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from conftest import SUITE_PYTHONS, make, python_available, summary_line

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=SUITE_PYTHONS, ids=[f"py{p}" for p in SUITE_PYTHONS])
def table_project(request, cookies_session) -> Path:
    python = request.param
    result = cookies_session.bake(
        extra_context={"project_name": "Table Demo", "example": "table", "python_version": python}
    )
    assert result.exit_code == 0, result.exception
    project = result.project_path
    if not python_available(python, project):
        pytest.skip(f"python{python} is not installed on this machine")
    make(project, "install")
    return project


def test_the_table_example_trains_evaluates_predicts_and_exports(table_project):
    project = table_project
    assert "wrote 600 rows" in make(project, "data").stdout
    assert "data-check: 0 error(s)" in make(project, "data-check").stdout
    out = make(project, "train", "EPOCHS=15").stdout
    assert " val_mae=" in out and " val_rmse=" in out
    metrics = json.loads((project / "artifacts" / "metrics.json").read_text())
    # The risk score's noise has a standard deviation of 0.5; the score spans about 10.
    assert metrics["val_mae"] < 1.5, metrics
    make(project, "evaluate")
    evaluation = json.loads((project / "artifacts/evaluation/evaluation.json").read_text())
    assert set(evaluation["metrics"]) == {"loss", "mae", "rmse"}
    make(project, "predict", "INPUT=data/demo/measurements.csv")
    with (project / "artifacts/predictions/predictions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 600 and list(rows[0]) == ["id", "output"] and rows[0]["id"] == "p00001"
    out = make(project, "export").stdout
    assert "(features float32 (batch, 5) -> outputs (" in out
    # every locked format exported, checked in its runtime on DATA and timed beside Keras
    table = make(project, "bench-export", "ARGS=--repeats 5").stdout
    for fmt in ("keras", "saved_model", "onnx", "litert", "litert-int8"):
        row = rf"^\| {fmt} \| \d+ kB \| \d+ ms \| [\d.]+ / [\d.]+ ms \|"
        assert re.search(row, table, re.MULTILINE), table
    bench = make(project, "bench", "ARGS=--epochs 1").stdout
    assert re.search(r"ratio tf.data / arrays: \d+\.\d\d", bench), bench


def test_the_table_example_passes_its_smoke_test_and_its_own_tests(table_project):
    out = make(table_project, "smoke").stdout
    assert "FAIL" not in out and "PASS data: arrays: x float32" in out
    summary = summary_line(make(table_project, "test").stdout)
    assert re.search(r"\b\d+ passed\b", summary), summary
    assert not re.search(r"\b\d+ (failed|errors?)\b", summary), summary
