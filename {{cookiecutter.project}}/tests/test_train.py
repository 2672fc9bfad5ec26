"""The training CLI: outputs, both loaders, resume, determinism, and errors on bad data."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import pytest

from {{ cookiecutter.package }}.data.demo import write_demo_dataset
from {{ cookiecutter.package }}.data.split import split_indices
from {{ cookiecutter.package }}.train import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("loader", ["sequence", "tf-data"])
def test_training_writes_model_history_and_metrics(image_folder, tmp_path, loader):
    output = tmp_path / "out"
    argv = ["--data-dir", str(image_folder), "--loader", loader, "--epochs", "1"]
    argv += ["--batch-size", "4", "--image-size", "16", "--output-dir", str(output)]
    assert main(argv) == 0
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["loader"] == loader and metrics["epochs"] == 1
    assert 0.0 <= metrics["val_accuracy"] <= 1.0 and metrics["seconds"] > 0
    assert metrics["train_examples"] + metrics["validation_examples"] == 15
    assert set(json.loads((output / "history.json").read_text())) >= {"loss", "val_accuracy"}
    assert keras.saving.load_model(output / "model.keras").output_shape == (None, 3)
    assert keras.saving.load_model(output / "best.keras").output_shape == (None, 3)
    assert json.loads((output / "class_names.json").read_text()) == metrics["class_names"]
    assert (output / "history.png").read_bytes()[:8] == PNG_SIGNATURE
    assert metrics["resumed_from_epoch"] == 0 and not (output / "backup").exists()


def test_split_is_stratified_and_disjoint():
    labels = [0] * 10 + [1] * 5
    train, validation = split_indices(labels, 0.2, seed=0)
    assert sorted([*train, *validation]) == list(range(15))
    assert [labels[i] for i in validation].count(0) == 2
    assert [labels[i] for i in validation].count(1) == 1


def test_missing_folder_fails_before_training(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "nope"), "--output-dir", str(tmp_path / "o")]) == 2
    assert f"error: data folder {tmp_path / 'nope'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_unreadable_image_fails_before_training_naming_the_file(image_folder, tmp_path, capsys):
    broken = image_folder / "square" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 truncated")
    assert main(["--data-dir", str(image_folder), "--output-dir", str(tmp_path / "o")]) == 2
    assert str(broken) in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("loader", ["sequence", "tf-data"])
def test_demo_data_is_learned_with_either_loader(tmp_path, loader):
    """A loader that mixed up images and labels would stay near 0.33 accuracy."""
    data = write_demo_dataset(tmp_path / "demo")
    argv = ["--data-dir", str(data), "--loader", loader, "--epochs", "5"]
    assert main([*argv, "--output-dir", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["val_accuracy"] >= 0.8


def train_process(*argv: str) -> list[str]:
    """The command line of a training in its own process (op determinism is per process)."""
    return [sys.executable, "-m", "{{ cookiecutter.package }}.train", *argv]


def completed_epochs(output: Path) -> int:
    try:
        return json.loads((output / "backup" / "training_metadata.json").read_text())["epoch"]
    except (OSError, ValueError):
        return 0


@pytest.mark.slow
def test_a_training_killed_after_its_second_epoch_resumes_and_loses_nothing(tmp_path):
    data = write_demo_dataset(tmp_path / "demo")
    output = tmp_path / "out"
    argv = train_process("--data-dir", str(data), "--loader", "tf-data", "--epochs", "6")
    argv += ["--output-dir", str(output)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while completed_epochs(output) < 2:
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no backup of epoch 2 within 300 s"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = completed_epochs(output)
    assert killed_at >= 2 and not (output / "metrics.json").exists()

    assert subprocess.run(argv, env=env, capture_output=True).returncode == 0
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == killed_at
    history = json.loads((output / "history.json").read_text())
    assert {key: len(values) for key, values in history.items()} == {key: 6 for key in history}
    assert not (output / "backup").exists()  # a completed run removes its backup
    assert metrics["val_accuracy"] >= 0.8


@pytest.mark.slow
def test_fresh_ignores_an_existing_backup(tmp_path, image_folder):
    output = tmp_path / "out"
    (output / "backup").mkdir(parents=True)
    (output / "backup" / "training_metadata.json").write_text('{"epoch": 1, "batch": -1}')
    argv = ["--data-dir", str(image_folder), "--epochs", "1", "--image-size", "16"]
    assert main([*argv, "--output-dir", str(output), "--fresh"]) == 0
    assert json.loads((output / "metrics.json").read_text())["resumed_from_epoch"] == 0


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpu_devices_learns_the_demo_data(tmp_path):
    data = write_demo_dataset(tmp_path / "demo")
    output = tmp_path / "out"
    argv = train_process("--data-dir", str(data), "--loader", "tf-data", "--epochs", "5")
    argv += ["--strategy", "mirrored", "--cpu-devices", "2", "--output-dir", str(output)]
    subprocess.run(argv, check=True, capture_output=True)
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["strategy"] == "mirrored" and metrics["replicas"] == 2
    assert metrics["val_accuracy"] >= 0.8
