"""A user's own task, swapped in on day one (slow tier): ``dataset.py`` and ``model.py`` of
an image bake replaced by a table regression of the test's own (``tests/swap/table/``: a CSV
read into a ``tf.data`` pipeline, a functional model with a Huber loss and metrics named
``mae`` and ``rmse``), no other file touched; then every command runs through its make
target on it: train, evaluate, predict, export, smoke, a two-worker train-cluster, a
bit-identical rerun from the run's ``config.yaml`` and the warning when the data changed.
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest
from conftest import bake_swapped, git, make, project_env

pytestmark = pytest.mark.slow
SWAP = Path(__file__).parent / "swap" / "table"
METRICS = {"loss", "mae", "rmse", "val_loss", "val_mae", "val_rmse"}


@pytest.fixture(scope="module")
def swapped(cookies_session) -> Path:
    files = {name: SWAP / name for name in ("dataset.py", "model.py")}
    project = bake_swapped(cookies_session, "Table Swap", files)
    (project / "data").mkdir()
    write = (
        "from table_swap.dataset import write_rows\n"
        "write_rows('data/rows.csv', 400)\n"
        "write_rows('data/new.csv', 7, seed=1)\n"
    )
    python = str(project / ".venv" / "bin" / "python")
    subprocess.run([python, "-c", write], cwd=project, env=project_env(), check=True)
    return project


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_only_dataset_py_and_model_py_changed(swapped):
    status = git(swapped, "status", "--porcelain").stdout.split("\n")
    assert sorted(line for line in status if line) == [
        " M src/table_swap/dataset.py",
        " M src/table_swap/model.py",
    ]


def test_train_evaluate_predict_export_on_the_table(swapped):
    out = make(swapped, "train", "DATA=data/rows.csv", "EPOCHS=20").stdout
    assert " val_mae=" in out and " val_rmse=" in out
    metrics = read_json(swapped / "artifacts" / "metrics.json")
    history = read_json(swapped / "artifacts" / "history.json")
    assert set(history) == METRICS and METRICS <= set(metrics)
    assert "class_names" not in metrics and metrics["val_mae"] < 5.0, metrics
    assert read_json(swapped / "artifacts" / "facts.json")["n_inputs"] == 6
    make(swapped, "evaluate", "DATA=data/rows.csv")
    evaluation = read_json(swapped / "artifacts" / "evaluation" / "evaluation.json")
    assert set(evaluation["metrics"]) == {"loss", "mae", "rmse"} and evaluation["examples"] == 400
    assert "confusion_matrix" not in evaluation
    make(swapped, "predict", "INPUT=data/new.csv")
    with (swapped / "artifacts" / "predictions" / "predictions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["id"] for row in rows] == [f"b{i}" for i in range(7)]
    assert list(rows[0]) == ["id", "output"] and all(float(row["output"]) for row in rows)
    out = make(swapped, "export").stdout
    assert "(measurements float32 (batch, 6) -> outputs (" in out
    # The SavedModel, in a process of its own, against predictions.csv.
    script = (
        "import csv, sys, numpy as np, tensorflow as tf\n"
        "rows = list(csv.DictReader(open(sys.argv[2])))\n"
        "names = [n for n in rows[0] if n not in ('row', 'heating_load')]\n"
        "x = np.array([[float(r[n]) for n in names] for r in rows], np.float32)\n"
        "served = tf.saved_model.load(sys.argv[1])\n"
        "print(' '.join(f'{v:.6g}' for v in served.serve(tf.constant(x))['outputs'].numpy()[:, 0]))\n"
    )
    served = subprocess.run(
        [str(swapped / ".venv" / "bin" / "python"), "-c", script, "artifacts/export",
         "data/new.csv"],
        cwd=swapped, env=project_env(), capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert [float(v) for v in served] == pytest.approx(
        [float(row["output"]) for row in rows], rel=1e-4, abs=1e-4
    )


def test_smoke_passes_on_the_swapped_table(swapped):
    out = make(swapped, "smoke").stdout
    assert "FAIL" not in out
    assert "PASS data: tf.data: x float32 (4, 6)" in out
    assert "PASS model: Functional (None, 6); a batch -> (4, 1)" in out
    train = next(line for line in out.splitlines() if line.startswith("PASS train:"))
    named = train.partition("; history ")[2].partition(";")[0]
    assert set(named.split(", ")) == METRICS, train


def test_two_worker_train_cluster_on_the_table(swapped):
    make(swapped, "train-cluster", "WORKERS=2", "EPOCHS=2", "DATA=data/rows.csv",
         "OUTPUT=artifacts/cluster")  # fmt: skip
    metrics = read_json(swapped / "artifacts" / "cluster" / "metrics.json")
    assert METRICS <= set(metrics) and metrics["strategy"] == "multi-worker"
    assert metrics["replicas"] == 2


def test_a_rerun_from_config_yaml_is_bit_identical_and_warns_when_the_data_changed(swapped):
    first = swapped / "artifacts" / "first"
    make(swapped, "train", "DATA=data/rows.csv", "EPOCHS=2", f"OUTPUT={first}",
         "ARGS=--deterministic")  # fmt: skip
    again = make(swapped, "train", f"CONFIG={first / 'config.yaml'}", "OUTPUT=artifacts/again")
    assert "warning:" not in again.stderr
    again_run = swapped / "artifacts" / "again"
    assert (again_run / "history.json").read_bytes() == (first / "history.json").read_bytes()
    digest = (
        "import hashlib, sys, keras\n"
        "m = keras.saving.load_model(sys.argv[1], compile=False)\n"
        "print(hashlib.sha256(b''.join(w.tobytes() for w in m.get_weights())).hexdigest())"
    )
    python = str(swapped / ".venv" / "bin" / "python")
    weights = [
        subprocess.run(
            [python, "-c", digest, str(run / "model.keras")],
            cwd=swapped, env=project_env(), capture_output=True, text=True, check=True,
        ).stdout.strip()
        for run in (first, again_run)
    ]  # fmt: skip
    assert weights[0] == weights[1]
    recorded = read_json(first / "run.json")["data"]
    assert recorded["data_dir"] == "data/rows.csv" and len(recorded["sha256"]) == 64
    with (swapped / "data" / "rows.csv").open("a") as handle:
        handle.write("b400,0.9,700.0,280.0,200.0,6.5,0.3,25.0\n")
    changed = make(swapped, "train", f"CONFIG={first / 'config.yaml'}", "OUTPUT=artifacts/c")
    warnings = [line for line in changed.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, changed.stderr[-2000:]
    assert "data/rows.csv" in warnings[0] and recorded["sha256"] in warnings[0]
    assert read_json(swapped / "artifacts" / "c" / "metrics.json")["epochs_run"] == 2
