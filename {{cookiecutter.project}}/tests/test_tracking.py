"""MLflow tracking of trainings: the embedded SQLite default, a real ``mlflow server`` started
on 127.0.0.1 by the test (two trainings and a 4-trial search, read back through MLflow's
client), a server that is down, and a multi-worker run logged once."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import pytest
import yaml
from mlflow import MlflowClient

from {{ cookiecutter.package }}.tracking import main as runs_main
from {{ cookiecutter.package }}.train import TrainConfig, train
from {{ cookiecutter.package }}.train import main as train_main
from {{ cookiecutter.package }}.tune import main as tune_main

RECORD = {"model.keras", "config.yaml", "run.json", "metrics.json", "history.json", "history.png"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def experiment(monkeypatch, request) -> str:
    """A fresh experiment name per test."""
    name = f"{request.node.name}-{time.time_ns()}"
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", name)
    return name


def train_args(fields: dict, output: Path, epochs: int = 1) -> list[str]:
    """Flags of ``fields`` (the ``small_training`` fixture of conftest.py) and these."""
    flags = [arg for k, v in fields.items() for arg in ("--" + k.replace("_", "-"), str(v))]
    return [*flags, "--epochs", str(epochs), "--output-dir", str(output)]


def runs_of(experiment: str) -> list:
    client = MlflowClient()
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"experiment {experiment} not recorded"
    return client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])


def assert_run_matches_its_folder(run, folder: Path) -> None:
    """The run holds what the folder's record says: config as params, every history name
    per epoch with its values, the run.json tags, and the record's files."""
    client = MlflowClient()
    config = yaml.safe_load((folder / "config.yaml").read_text())
    assert run.data.params == {k: "null" if v is None else str(v) for k, v in config.items()}
    history = json.loads((folder / "history.json").read_text())
    assert set(run.data.metrics) == set(history)  # the model's own names, nothing else
    for name, values in history.items():
        logged = client.get_metric_history(run.info.run_id, name)
        assert [m.step for m in logged] == list(range(len(values)))
        assert [m.value for m in logged] == pytest.approx(values)
    recorded = json.loads((folder / "run.json").read_text())
    tags = run.data.tags
    assert tags["tensorflow"] == recorded["tensorflow"] and tags["keras"] == recorded["keras"]
    assert {k: str(v) for k, v in recorded["data"].items()} == {
        k.removeprefix("data."): v for k, v in tags.items() if k.startswith("data.")
    }
    if recorded["git"]:
        assert tags["git.commit"] == recorded["git"]["commit"]
        assert tags["git.dirty"] == str(recorded["git"]["dirty"]).lower()
    for name, digest in (recorded["locks_sha256"] or {}).items():
        assert tags[f"locks.{Path(name).name}"] == digest
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert artifacts == RECORD
    assert run.info.status == "FINISHED"


def test_the_embedded_default_is_a_sqlite_store_in_the_working_directory(
    small_training, tmp_path, monkeypatch, experiment
):
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.chdir(tmp_path)
    assert train_main(train_args(small_training, tmp_path / "run", epochs=2)) == 0
    assert (tmp_path / "mlflow.db").is_file()
    assert mlflow.get_tracking_uri() == f"sqlite:///{tmp_path / 'mlflow.db'}" or (
        mlflow.get_tracking_uri() == "sqlite:///mlflow.db"
    )
    [run] = runs_of(experiment)
    assert_run_matches_its_folder(run, tmp_path / "run")
    assert (tmp_path / "mlruns").is_dir()  # the artifacts, beside the database


def test_a_server_that_is_down_gives_one_warning_and_a_complete_record(
    small_training, tmp_path, monkeypatch, capsys, experiment
):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    began = time.perf_counter()
    assert train_main(train_args(small_training, tmp_path / "run")) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and "MLflow tracking at http://127.0.0.1" in warnings[0]
    assert warnings[0].startswith("warning: ")
    assert RECORD <= {p.name for p in (tmp_path / "run").iterdir()}
    print(f"training with the server down: {time.perf_counter() - began:.1f} s")


def test_no_track_logs_nothing(small_training, tmp_path, experiment):
    assert train_main([*train_args(small_training, tmp_path / "run"), "--no-track"]) == 0
    assert MlflowClient().get_experiment_by_name(experiment) is None


def test_a_training_inside_your_own_run_is_its_child(small_training, tmp_path, experiment):
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name="notebook") as outer:
        train(TrainConfig(**small_training, epochs=1, output_dir=tmp_path / "run"))
    runs = {run.info.run_name: run for run in runs_of(experiment)}
    assert set(runs) == {"notebook", "run"}
    assert runs["run"].data.tags["mlflow.parentRunId"] == outer.info.run_id
    assert_run_matches_its_folder(runs["run"], tmp_path / "run")


def test_runs_are_listed_sorted_by_a_metric(small_training, tmp_path, capsys, experiment):
    names = ("slow", "fast")
    for name, rate in zip(names, ("0.0001", "0.01"), strict=True):
        argv = [*train_args(small_training, tmp_path / name, epochs=2), "--learning-rate", rate]
        assert train_main(argv) == 0
    capsys.readouterr()
    assert runs_main(["--metric", "loss"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header[:4] == ["run", "started", "(UTC)", "status"] and "learning_rate" in header
    losses = [json.loads((tmp_path / n / "metrics.json").read_text())["loss"] for n in names]
    order = [line.split()[0] for line in lines[1:3]]
    assert order == (["slow", "fast"] if losses[0] < losses[1] else ["fast", "slow"])


@pytest.fixture
def mlflow_server(tmp_path, monkeypatch):
    """A real ``mlflow server`` with a SQLite backend on 127.0.0.1, stopped after the test."""
    port = free_port()
    folder = tmp_path / "server"
    folder.mkdir()
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    server = subprocess.Popen(
        [
            str(mlflow_cli), "server", "--backend-store-uri", f"sqlite:///{folder / 'server.db'}",
            "--artifacts-destination", str(folder / "artifacts"),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        ],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=(folder / "server.log").open("w"),
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        assert server.poll() is None, (folder / "server.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "mlflow server did not answer within 120 s"
        time.sleep(0.5)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    yield url
    os.killpg(server.pid, 15)
    server.wait(timeout=30)


@pytest.mark.slow
def test_a_real_server_records_two_trainings_and_a_four_trial_search(
    mlflow_server, small_training, tmp_path, experiment
):
    for name in ("first", "second"):
        assert train_main(train_args(small_training, tmp_path / name, epochs=2)) == 0
    search = tmp_path / "search.yaml"
    search.write_text(yaml.safe_dump({
        **small_training, "epochs": 2,
        "search": {"space": {"learning_rate": {"low": 0.001, "high": 0.01, "log": True},
                             "batch_size": [8, 16]}},
    }))  # fmt: skip
    argv = ["--config-file", str(search), "--trials", "4", "--output-dir", str(tmp_path / "s")]
    argv += ["--storage", f"sqlite:///{tmp_path / 'optuna.db'}"]
    assert tune_main(argv) == 0

    runs = runs_of(experiment)
    by_name = {run.info.run_name: run for run in runs}
    for name in ("first", "second"):
        assert_run_matches_its_folder(by_name[name], tmp_path / name)
    [parent] = [run for run in runs if run.info.run_name.startswith("search-")]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(r.info.run_name for r in children) == [f"trial-{n}" for n in range(4)]
    for child in children:
        if child.data.tags.get("pruned") != "true":
            assert_run_matches_its_folder(child, tmp_path / "s" / child.info.run_name)
    assert parent.info.status == "FINISHED" and "best_val_loss" in parent.data.metrics
    best = tmp_path / "s" / "best-config.yaml"
    assert yaml.safe_load(best.read_text())["output_dir"] == str(tmp_path / "s" / "best")
    assert len(runs) == 2 + 1 + 4


@pytest.mark.slow
def test_a_multi_worker_run_is_logged_once_by_the_chief(tmp_path, experiment):
    cluster = pytest.importorskip("test_multi_worker", reason="the image example's cluster test")
    launch_command, quiet_env, small_demo = (
        cluster.launch_command,
        cluster.quiet_env,
        cluster.small_demo,
    )
    cluster_args = cluster.train_args

    output = tmp_path / "cluster"
    run = subprocess.run(
        launch_command(*cluster_args(small_demo(tmp_path), output, 2)),
        env=quiet_env(tmp_path), capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:]
    [logged] = runs_of(experiment)
    assert_run_matches_its_folder(logged, output)
    assert logged.data.params["strategy"] == "multi-worker"
