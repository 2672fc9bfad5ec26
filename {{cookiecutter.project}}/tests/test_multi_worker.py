"""Multi-worker training: TF_CONFIG checks, the TCP rendezvous, and real clusters of worker
processes over loopback (``launch_cluster``): learning, equal weights, resume after a
SIGKILL, and a dead peer failing within the timeout."""

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import keras
import pytest

from {{ cookiecutter.package }}.cli import parse
from {{ cookiecutter.package }}.config import TrainConfig
from {{ cookiecutter.package }}.data.demo import write_demo_dataset
from {{ cookiecutter.package }}.distributed.cluster import (
    ClusterError,
    make_tf_config,
    parse_tf_config,
    wait_for_peers,
)
from {{ cookiecutter.package }}.distributed.launch import free_ports
from {{ cookiecutter.package }}.distributed.launch import (
    main as launch_main,
)
from {{ cookiecutter.package }}.distributed.multi_worker import (
    weights_digest,
)
from {{ cookiecutter.package }}.errors import ConfigError
from {{ cookiecutter.package }}.train import main as train_main

TWO = {"worker": ["127.0.0.1:2001", "127.0.0.1:2002"]}
EPOCH_LINE = re.compile(
    r"\[worker (\d)\] multi-worker: worker \d of 2 epoch (\d+)/\d+ steps=(\d+) examples=(\d+)"
)
DIGEST_LINE = re.compile(r"\[worker (\d)\] multi-worker: worker \d of 2 done weights_sha256=(\w+)")


def config(cluster=TWO, task=None) -> str:
    return json.dumps({"cluster": cluster, "task": task or {"type": "worker", "index": 1}})


def test_a_valid_tf_config_is_parsed():
    spec = parse_tf_config(config())
    assert (spec.task_type, spec.task_index, spec.address) == ("worker", 1, "127.0.0.1:2002")
    assert not spec.is_chief and spec.num_workers == 2 and spec.worker_id == 1
    assert spec.peers() == [("worker 0", "127.0.0.1:2001")]
    assert parse_tf_config(make_tf_config(TWO["worker"], 0)).is_chief


def test_a_chief_task_is_the_chief():
    cluster = {"chief": ["h:1"], "worker": ["h:2", "[::1]:3"]}
    chief = parse_tf_config(config(cluster, {"type": "chief"}))
    worker = parse_tf_config(config(cluster, {"type": "worker", "index": 0}))
    assert chief.is_chief and not worker.is_chief
    assert (chief.worker_id, worker.worker_id, worker.num_workers) == (0, 1, 3)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (None, "TF_CONFIG is not set"),
        ("{'cluster': 1}", "TF_CONFIG is not valid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"task": {"type": "worker", "index": 0}}), "'cluster'"),
        (config({"chief": ["h:1"]}, {"type": "chief"}), "'cluster.worker'"),
        (config({"worker": []}), "'cluster.worker'"),
        (config({"worker": "h:1,h:2"}), "'cluster.worker'"),
        (config({"worker": ["h:1", "127.0.0.1"]}), "'cluster.worker[1]'"),
        (config({"worker": ["h:1", "h:99999"]}), "'cluster.worker[1]'"),
        (config({"worker": ["h:1", "h:x"]}), "'cluster.worker[1]'"),
        (config({"worker": ["h:1", "h:1"]}), "'cluster.worker[1]'"),
        (config({"worker": ["h:1"], "ps": ["h:2"]}), "'cluster.ps'"),
        (config({"chief": ["h:1", "h:2"], "worker": ["h:3"]}), "'cluster.chief'"),
        (json.dumps({"cluster": TWO}), "'task'"),
        (config(task={"type": "ps", "index": 0}), "'task.type'"),
        (config(task={"type": "worker"}), "'task.index'"),
        (config(task={"type": "worker", "index": "1"}), "'task.index'"),
        (config(task={"type": "worker", "index": 2}), "'task.index'"),
        (config(task={"type": "worker", "index": -1}), "'task.index'"),
    ],
)
def test_a_malformed_tf_config_names_the_field(text, named):
    with pytest.raises(ClusterError, match=re.escape(named)):
        parse_tf_config(text)


def test_training_with_a_malformed_tf_config_exits_2_naming_the_field(
    image_folder, tmp_path, monkeypatch, capsys
):
    bad = config(task={"type": "worker", "index": 2})
    monkeypatch.setenv("TF_CONFIG", bad)
    argv = ["--strategy", "multi-worker", "--data-dir", str(image_folder)]
    assert train_main([*argv, "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "TF_CONFIG field 'task.index': 2 is out of range" in err
    assert not (tmp_path / "out").exists()


def test_multi_worker_takes_the_tf_data_loader_only():
    config = parse(TrainConfig, ["--data-dir", "d", "--strategy", "multi-worker"])
    assert config.loader == "tf-data" and config.peer_timeout == 60.0
    assert parse(TrainConfig, ["--data-dir", "d"]).loader == "sequence"
    with pytest.raises(ConfigError, match="multi-worker training takes loader 'tf-data'"):
        parse(TrainConfig, ["--strategy", "multi-worker", "--loader", "sequence"])


def test_the_launcher_refuses_a_strategy_argument(capsys):
    assert launch_main(["--workers", "2", "--", "--strategy", "default", "--data-dir", "d"]) == 2
    assert "leave out --strategy" in capsys.readouterr().err


def two_worker_specs():
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    return [parse_tf_config(make_tf_config(addresses, index)) for index in range(2)]


def test_peers_meet_whatever_order_they_start_in():
    specs = two_worker_specs()
    results: dict[int, object] = {}

    def meet(index, delay):
        time.sleep(delay)
        try:
            results[index] = wait_for_peers(specs[index], timeout=10)
        except ClusterError as error:
            results[index] = error

    threads = [threading.Thread(target=meet, args=(i, 0.6 * i)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(results[i], float) for i in range(2)), results


def test_an_unreachable_peer_fails_within_the_timeout_naming_its_address():
    spec = two_worker_specs()[1]
    start = time.monotonic()
    with pytest.raises(ClusterError) as error:
        wait_for_peers(spec, timeout=1.0)
    assert time.monotonic() - start < 5
    assert str(error.value).startswith(f"worker 1 could not reach worker 0 at {spec.peers()[0][1]}")


def test_a_port_that_is_not_a_worker_does_not_count_as_a_peer():
    spec = two_worker_specs()[1]
    host, port = spec.peers()[0][1].split(":")
    with socket.create_server((host, int(port))):  # accepts, never says hello
        with pytest.raises(ClusterError, match="could not reach worker 0"):
            wait_for_peers(spec, timeout=1.0)


def test_a_busy_own_port_is_named():
    spec = two_worker_specs()[1]
    host, port = spec.address.split(":")
    with socket.create_server((host, int(port))):
        with pytest.raises(ClusterError, match=f"cannot listen on .*{spec.address}"):
            wait_for_peers(spec, timeout=1.0)


# Processes: every worker imports TensorFlow (~5-20 s on two cores).


def quiet_env(tmp_path: Path) -> dict:
    """The workers' environment: quiet C++ logs, and a temp folder the test can inspect."""
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TMPDIR": str(temp)}


def launch_command(*train_args: str) -> list[str]:
    module = "{{ cookiecutter.package }}.distributed.launch"
    return [sys.executable, "-m", module, "--workers", "2", "--", *train_args]


def small_demo(tmp_path: Path) -> Path:
    """180 images of 16x16 px: 144 training (9 global batches of 16), 36 validation."""
    return write_demo_dataset(tmp_path / "demo", images_per_class=60, image_size=16)


def train_args(data: Path, output: Path, epochs: int) -> list[str]:
    return [
        "--data-dir", str(data), "--epochs", str(epochs), "--batch-size", "16",
        "--image-size", "16", "--output-dir", str(output),
    ]  # fmt: skip


def files_and_keys(output: Path) -> tuple[set, set, set]:
    files = {str(p.relative_to(output).parent if "tfevents" in p.name else p.relative_to(output))
             for p in output.rglob("*") if p.is_file()}  # fmt: skip
    metrics = json.loads((output / "metrics.json").read_text())
    history = json.loads((output / "history.json").read_text())
    return files, set(metrics), set(history)


@pytest.mark.slow
def test_two_workers_learn_the_demo_data_with_equal_weights_and_single_process_outputs(tmp_path):
    data, output = small_demo(tmp_path), tmp_path / "cluster"
    env = quiet_env(tmp_path)
    run = subprocess.run(
        launch_command(*train_args(data, output, 3)), env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-3000:]
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["strategy"] == "multi-worker" and metrics["replicas"] == 2
    assert metrics["val_accuracy"] >= 0.8

    # Every worker ran every global step of each epoch, on half of each global batch.
    global_steps = math.ceil(metrics["train_examples"] / 16)
    epochs = EPOCH_LINE.findall(run.stdout)
    assert len(epochs) == 2 * 3
    for epoch in ("1", "2", "3"):
        rows = {w: (int(s), int(x)) for w, e, s, x in epochs if e == epoch}
        assert rows == {"0": (global_steps, 72), "1": (global_steps, 72)}
    assert sum(rows[w][1] for w in rows) == metrics["train_examples"] == 144

    # Both workers end with bit-identical weights, the ones the chief saved.
    digests = dict(DIGEST_LINE.findall(run.stdout))
    assert set(digests) == {"0", "1"} and digests["0"] == digests["1"]
    assert weights_digest(keras.saving.load_model(output / "model.keras")) == digests["0"]
    assert not any((tmp_path / "tmp").iterdir())  # the other worker's saves are gone

    single = tmp_path / "single"
    argv = ["--data-dir", str(data), "--loader", "tf-data", "--epochs", "1", "--batch-size", "16"]
    assert train_main([*argv, "--image-size", "16", "--output-dir", str(single)]) == 0
    assert files_and_keys(output) == files_and_keys(single)


def worker_pid(log: Path, index: int) -> int | None:
    found = re.search(rf"\[launch\] worker {index}: pid (\d+)", log.read_text())
    return int(found.group(1)) if found else None


@pytest.mark.slow
def test_a_cluster_restarted_after_a_worker_was_killed_resumes_from_the_checkpoint(tmp_path):
    data, output = small_demo(tmp_path), tmp_path / "out"
    command = launch_command(*train_args(data, output, 4))
    env = quiet_env(tmp_path)
    log = tmp_path / "first.log"
    with log.open("w") as handle:
        launcher = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not (output / "backup" / "checkpoint").exists():  # epoch 1 is checkpointed
        assert launcher.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "no checkpoint within 300 s"
        time.sleep(0.05)
    os.kill(worker_pid(log, 1), signal.SIGKILL)
    assert launcher.wait(timeout=120) != 0  # the launcher stops the chief and fails
    assert "[launch] worker 1 exited with status 137; stopping the others" in log.read_text()
    checkpoint = (output / "backup" / "checkpoint").read_text()
    done = int(re.search(r'model_checkpoint_path: "ckpt-(\d+)"', checkpoint).group(1))
    assert 1 <= done < 4 and not (output / "metrics.json").exists()

    rerun = subprocess.run(command, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == done
    assert f"resumes after epoch {done}" in rerun.stdout
    history = json.loads((output / "history.json").read_text())
    assert {key: len(values) for key, values in history.items()} == {key: 4 for key in history}
    assert not (output / "backup").exists()
    assert metrics["val_accuracy"] >= 0.8


@pytest.mark.slow
def test_a_worker_whose_peer_is_dead_fails_within_the_timeout_naming_it(tmp_path, image_folder):
    dead, own = (f"127.0.0.1:{port}" for port in free_ports(2))
    env = {**quiet_env(tmp_path), "TF_CONFIG": make_tf_config([dead, own], 1)}
    argv = [sys.executable, "-m", "{{ cookiecutter.package }}.train"]
    argv += ["--strategy", "multi-worker"]
    argv += ["--data-dir", str(image_folder), "--peer-timeout", "3"]
    start = time.monotonic()
    run = subprocess.run([*argv, "--output-dir", str(tmp_path / "o")], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: worker 1 could not reach worker 0 at {dead} within 3 s "
        "(is it started, and is the port open between the hosts?)"
    ]
    assert time.monotonic() - start < 60  # TensorFlow's import + 3 s, not a hang


@pytest.mark.slow
def test_a_peer_that_leaves_after_the_rendezvous_does_not_hang_the_others(tmp_path, image_folder):
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    leaver = parse_tf_config(make_tf_config(addresses, 0))

    def meet_then_leave():  # says hello like a worker, never starts TensorFlow
        try:
            wait_for_peers(leaver, timeout=120)
        except ClusterError:
            pass

    threading.Thread(target=meet_then_leave, daemon=True).start()
    env = {**quiet_env(tmp_path), "TF_CONFIG": make_tf_config(addresses, 1)}
    argv = [sys.executable, "-m", "{{ cookiecutter.package }}.train"]
    argv += ["--strategy", "multi-worker"]
    argv += ["--data-dir", str(image_folder), "--peer-timeout", "3"]
    run = subprocess.run([*argv, "--output-dir", str(tmp_path / "o")], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == -signal.SIGKILL  # the watchdog's; TensorFlow waited in C++
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: worker 1 met its peers but the cluster did not form within 3 s (did a worker exit?)"
    ]
