"""The hyperparameter search (``tune``): a bad search space is one error line; a search
shared by two worker processes through a real PostgreSQL server started by the test, killed
and resumed, ending with a best configuration that ``train --config`` reruns."""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pytest
import yaml

from {{ cookiecutter.package }}.train import main as train_main
from {{ cookiecutter.package }}.tune import main as tune_main

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def write_search(path: Path, small_training: dict, space: dict) -> Path:
    """A search file: ``small_training``'s fields (conftest.py), 1 epoch, and ``space``."""
    values = {**small_training, "epochs": 1}
    path.write_text(yaml.safe_dump({**values, "search": {"space": space}}))
    return path


@pytest.mark.parametrize(
    ("space", "named"),
    [
        ({"learning_rte": [0.1]}, "search.space.learning_rte: not a training field"),
        ({"output_dir": ["a", "b"]}, "search.space.output_dir: a search cannot vary it"),
        ({"batch_size": [8, 0]}, "search.space.batch_size): 0 is not accepted"),
        ({"learning_rate": {"low": 0.1, "high": 0.01}}, "high must be above low"),
        ({"epochs": []}, "search.space.epochs: an empty list of choices"),
        ({}, "search.space"),
    ],
)
def test_a_bad_search_space_is_one_error_line_before_any_training(
    tmp_path, small_training, capsys, space, named
):
    search = write_search(tmp_path / "search.yaml", small_training, space)
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    argv = ["--config-file", str(search), "--storage", storage]
    assert tune_main([*argv, "--output-dir", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and named in err, err
    assert not (tmp_path / "s").exists() and not (tmp_path / "optuna.db").exists()


def test_a_metric_the_model_does_not_log_is_one_error_line_naming_those_it_does(
    tmp_path, small_training, capsys
):
    search = write_search(tmp_path / "search.yaml", small_training, {"epochs": [1]})
    fields = yaml.safe_load(search.read_text())
    fields["search"]["metric"] = "val_acuracy"
    search.write_text(yaml.safe_dump(fields))
    argv = ["--config-file", str(search), "--storage", f"sqlite:///{tmp_path / 'optuna.db'}"]
    assert tune_main([*argv, "--output-dir", str(tmp_path / "s"), "--trials", "1"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    history = json.loads((tmp_path / "s" / "trial-0" / "history.json").read_text())
    assert err == [
        "error: search.metric 'val_acuracy' is not logged by the model; it logs "
        + ", ".join(sorted(history))
    ]


def test_training_takes_a_search_file_skipping_its_search_section(tmp_path, small_training):
    search = write_search(tmp_path / "search.yaml", small_training, {"epochs": [1, 2]})
    argv = ["--config", str(search), "--no-track", "--output-dir", str(tmp_path / "run")]
    assert train_main(argv) == 0
    assert "search" not in yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())


def test_an_unreachable_study_database_is_one_error_line(tmp_path, small_training, capsys):
    search = write_search(tmp_path / "search.yaml", small_training, {"epochs": [1, 2]})
    storage = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    assert tune_main(["--config-file", str(search), "--storage", storage]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: the Optuna storage {storage} cannot be used") and (
        err.count("\n") == 1
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def postgres():
    """A PostgreSQL server from the Debian packages, on 127.0.0.1, stopped after the test
    (run as the ``postgres`` user when the tests run as root, which PostgreSQL refuses)."""
    pytest.importorskip("psycopg", reason="psycopg[binary] (requirements/dev.in) is needed")
    tools = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    initdb = shutil.which("initdb") or (tools and f"{tools[-1]}/initdb")
    if not initdb:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    folder = Path(tempfile.mkdtemp(prefix="postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    quiet = {"check": True, "capture_output": True, "text": True}
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust"], **quiet)
    options = f"-h 127.0.0.1 -p {port} -k {folder}"
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]
    subprocess.run([*as_user, *start], **quiet)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], **quiet)
        shutil.rmtree(folder, ignore_errors=True)


def finished_trials(storage: str, study: str) -> list:
    return optuna.load_study(study_name=study, storage=storage).get_trials(states=FINISHED)


@pytest.mark.slow
def test_two_workers_share_a_postgresql_study_that_resumes_after_a_kill(
    postgres, tmp_path, small_training, monkeypatch
):
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", f"tune-{time.time_ns()}")
    space = {"learning_rate": {"low": 0.001, "high": 0.01, "log": True}, "batch_size": [8, 16]}
    search = write_search(tmp_path / "search.yaml", small_training, space)
    output = tmp_path / "s"
    argv = ["--config-file", str(search), "--trials", "5", "--workers", "2"]
    argv += ["--storage", postgres, "--output-dir", str(output)]
    first = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package }}.tune", *argv],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while True:  # kill the whole search once two trials have finished
        try:
            if len(finished_trials(postgres, "search")) >= 2:
                break
        except KeyError:
            pass  # the study does not exist yet
        assert first.poll() is None, "the search ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = {t.number for t in finished_trials(postgres, "search")}

    assert tune_main(argv) == 0  # the same command resumes the study
    trials = finished_trials(postgres, "search")
    assert 5 <= len(trials) <= 6  # up to WORKERS - 1 trials may start as the last finishes
    assert before < {t.number for t in trials}
    assert len({t.user_attrs["process"] for t in trials}) >= 3  # 2 workers, then 2 others
    best = output / "best-config.yaml"
    assert train_main(["--config", str(best), "--no-track"]) == 0
    assert (output / "best" / "model.keras").is_file()
    rerun = yaml.safe_load((output / "best" / "config.yaml").read_text())
    best_trial = optuna.load_study(study_name="search", storage=postgres).best_trial
    assert {k: rerun[k] for k in space} == best_trial.params
