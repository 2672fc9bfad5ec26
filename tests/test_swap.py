"""A user's own model, swapped in on day one (slow tier): ``model.py`` replaced by a
functional model with a loss object, logits output and metrics under other names
(``tests/swap/model.py``), no other file touched; then every command runs through its make
target and its record carries the model's own metric names.

The project is a bake of its own, since the test edits it; it is installed with ``make
install`` like any other.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import bake_swapped, git, make, project_env

pytestmark = pytest.mark.slow
SWAP_MODEL = Path(__file__).parent / "swap" / "model.py"
METRICS = {"loss", "acc", "top2", "val_loss", "val_acc", "val_top2"}


@pytest.fixture(scope="module")
def swapped(cookies_session) -> Path:
    project = bake_swapped(cookies_session, "Swap Project", {"model.py": SWAP_MODEL})
    make(project, "data", "ARGS=--images-per-class 60")
    return project


def completed_epochs(run: Path) -> int:
    try:
        return json.loads((run / "backup" / "training_metadata.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_only_model_py_changed(swapped):
    status = git(swapped, "status", "--porcelain").stdout.split("\n")
    assert [line for line in status if line] == [" M src/swap_project/model.py"]


def test_train_resumes_after_sigkill_and_records_the_models_metric_names(swapped):
    run = swapped / "artifacts"
    command = ["make", "train", "EPOCHS=6", "LOADER=tf-data"]
    process = subprocess.Popen(
        command, cwd=swapped, env=project_env(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while completed_epochs(run) < 2:
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        assert time.monotonic() < deadline, "no backup of epoch 2 within 600 s"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = completed_epochs(run)
    assert killed_at >= 2 and not (run / "metrics.json").exists()
    out = make(swapped, *command[1:]).stdout
    assert " val_acc=" in out and "val_accuracy" not in out
    metrics = read_json(run / "metrics.json")
    assert metrics["resumed_from_epoch"] == killed_at and metrics["epochs_run"] == 6
    history = read_json(run / "history.json")
    assert set(history) == METRICS and all(len(values) == 6 for values in history.values())
    assert METRICS <= set(metrics) and "accuracy" not in metrics
    assert metrics["val_acc"] >= 0.8, metrics
    for name in ("model.keras", "best.keras", "history.png", "config.yaml", "run.json"):
        assert (run / name).is_file(), name
    assert not (run / "backup").exists()


def test_evaluate_predict_and_export_read_logits_as_logits(swapped):
    make(swapped, "evaluate")
    report = read_json(swapped / "artifacts" / "evaluation" / "evaluation.json")
    assert set(report) == {"metrics", "accuracy", "per_class", "confusion_matrix",
                           "class_names", "examples", "model", "data_dir"}  # fmt: skip
    assert set(report["metrics"]) == {"loss", "acc", "top2"}  # the model's own names
    assert report["accuracy"] >= 0.8, report["accuracy"]
    make(swapped, "predict", "INPUT=data/demo/circle")
    with (swapped / "artifacts" / "predictions" / "predictions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "class", "probability"] and len(rows) == 60
    probabilities = [float(row["probability"]) for row in rows]
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert sum(row["class"] == "circle" for row in rows) >= 48
    out = make(swapped, "export").stdout
    assert "-> probabilities (batch, 3); the model outputs logits" in out


def test_smoke_passes_on_the_swapped_model(swapped):
    out = make(swapped, "smoke").stdout
    assert "FAIL" not in out
    assert "PASS model: Functional (None, 32, 32, 3), labels int; a batch -> (3, 3)" in out
    train = next(line for line in out.splitlines() if line.startswith("PASS train:"))
    named = train.partition("; history ")[2].partition(";")[0]
    assert set(named.split(", ")) == METRICS, train


def test_a_configuration_file_run_with_a_flag_over_it(swapped):
    (swapped / "configs").mkdir(exist_ok=True)
    (swapped / "configs" / "quick.yaml").write_text(
        "epochs: 3\nbatch_size: 16\nloader: sequence\noutput_dir: artifacts/from-file\n"
    )
    make(swapped, "train", "CONFIG=configs/quick.yaml", "EPOCHS=1")
    run = swapped / "artifacts" / "from-file"
    metrics = read_json(run / "metrics.json")
    assert (metrics["epochs_run"], metrics["batch_size"], metrics["loader"]) == (1, 16, "sequence")
    assert "epochs: 1\n" in (run / "config.yaml").read_text()


def test_two_worker_train_cluster_records_the_models_metric_names(swapped):
    make(swapped, "train-cluster", "WORKERS=2", "EPOCHS=2", "OUTPUT=artifacts/cluster")
    metrics = read_json(swapped / "artifacts" / "cluster" / "metrics.json")
    assert METRICS <= set(metrics) and metrics["strategy"] == "multi-worker"
    assert metrics["replicas"] == 2


def test_the_notebook_runs_on_the_swapped_model(swapped):
    script = (
        "import sys, nbformat\nfrom nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "NotebookClient(nb, timeout=900, resources={'metadata': {'path': 'notebooks'}}).execute()\n"
        "print(''.join(o.get('text', '') for c in nb.cells for o in c.get('outputs', [])))\n"
    )
    result = subprocess.run(
        [str(swapped / ".venv" / "bin" / "python"), "-c", script, "notebooks/explore.ipynb"],
        cwd=swapped, env=project_env(), capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "sequence: val_acc " in result.stdout and ", val_top2 " in result.stdout
    assert "evaluation accuracy" in result.stdout
