"""The training CLI: outputs, both loaders, and errors on bad data."""

import json

import keras
import pytest

from {{ cookiecutter.package }}.train import main, split_indices


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
    from {{ cookiecutter.package }}.demo_data import write_demo_dataset

    data = write_demo_dataset(tmp_path / "demo")
    argv = ["--data-dir", str(data), "--loader", loader, "--epochs", "5"]
    assert main([*argv, "--output-dir", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["val_accuracy"] >= 0.8
