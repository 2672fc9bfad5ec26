"""The training engine takes the user's model as it is: its loss, its metric names, its
outputs (logits or probabilities, one unit or many), the options it takes; and a run's
record reproduces it."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from {{ cookiecutter.package }} import model as model_module
from {{ cookiecutter.package }}.data.demo import write_demo_dataset
from {{ cookiecutter.package }}.train import main


def functional(image_size, num_classes, *, units=None, activation=None):
    inputs = keras.Input((*image_size, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return inputs, keras.layers.Dense(units or num_classes, activation=activation)(x)


def logits_model(image_size, num_classes):
    """No learning_rate parameter, no **options: the engine passes only what it takes."""
    model = keras.Model(*functional(image_size, num_classes))
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="acc"),
            keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2"),
        ],
    )
    return model


def one_hot_model(image_size, num_classes, learning_rate):
    model = keras.Model(*functional(image_size, num_classes, activation="softmax"))
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        loss="categorical_crossentropy",
        metrics=[keras.metrics.CategoricalAccuracy(name="hits")],
    )
    return model


def sigmoid_model(image_size, num_classes, **options):
    model = keras.Model(*functional(image_size, num_classes, units=1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    return model


def train_args(data, output, *extra):
    return ["--data-dir", str(data), "--output-dir", str(output), "--epochs", "2",
            "--batch-size", "4", "--image-size", "16", *extra]  # fmt: skip


@pytest.mark.parametrize("loader", ["sequence", "tf-data"])
def test_the_record_carries_the_models_own_metric_names(
    monkeypatch, image_folder, tmp_path, loader
):
    monkeypatch.setattr(model_module, "build_model", logits_model)
    output = tmp_path / "out"
    assert main(train_args(image_folder, output, "--loader", loader)) == 0
    metrics = json.loads((output / "metrics.json").read_text())
    history = json.loads((output / "history.json").read_text())
    assert set(history) == {"loss", "acc", "top2", "val_loss", "val_acc", "val_top2"}
    assert all(metrics[name] == values[-1] for name, values in history.items())
    assert "accuracy" not in metrics and metrics["learning_rate"] == 3e-3
    assert {"seed", "validation_split", "train_examples", "seconds"} <= set(metrics)
    run = json.loads((output / "run.json").read_text())
    assert {"command", "git", "locks_sha256", "tensorflow", "keras", "devices"} <= set(run)
    assert "\nlearning_rate: 0.003\n" in (output / "config.yaml").read_text()


def test_a_categorical_loss_gets_one_hot_labels(monkeypatch, image_folder, tmp_path):
    monkeypatch.setattr(model_module, "build_model", one_hot_model)
    assert main(train_args(image_folder, tmp_path / "out", "--loader", "tf-data")) == 0
    assert "val_hits" in json.loads((tmp_path / "out" / "metrics.json").read_text())


def test_one_sigmoid_unit_trains_on_two_classes(monkeypatch, tmp_path):
    monkeypatch.setattr(model_module, "build_model", sigmoid_model)
    data = write_demo_dataset(tmp_path / "data", images_per_class=4, image_size=16)
    for extra in data.iterdir():
        if extra.name == "stripes":
            for file in extra.iterdir():
                file.unlink()
            extra.rmdir()
    assert main(train_args(data, tmp_path / "out")) == 0
    assert "val_binary_accuracy" in json.loads((tmp_path / "out" / "metrics.json").read_text())


def test_an_option_the_model_does_not_take_is_an_error_only_when_asked_for(
    monkeypatch, image_folder, tmp_path, capsys
):
    monkeypatch.setattr(model_module, "build_model", logits_model)
    assert main(train_args(image_folder, tmp_path / "a", "--learning-rate", "0.1")) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "does not take learning_rate" in err


@pytest.mark.parametrize(
    ("returned", "named"),
    [
        (lambda model: None, "returned NoneType, not a keras.Model"),
        (lambda model: keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Flatten(),
                                         keras.layers.Dense(3)]), "must return a compiled model"),
        (lambda model: model_module.build_model.__wrapped__((16, 16), 5), "outputs 5 values"),
    ],
)  # fmt: skip
def test_a_model_the_engine_cannot_use_is_one_error_line(
    monkeypatch, image_folder, tmp_path, capsys, returned, named
):
    original = model_module.build_model

    def build_model(image_size, num_classes, **options):
        return returned(original(image_size, num_classes))

    build_model.__wrapped__ = original
    monkeypatch.setattr(model_module, "build_model", build_model)
    assert main(train_args(image_folder, tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and named in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("loader", ["sequence", "tf-data"])
def test_a_run_reproduces_from_its_config_yaml_bit_identically(image_folder, tmp_path, loader):
    """make train CONFIG=<run>/config.yaml OUTPUT=<new>: same history, same weights.

    The first run sets ``--deterministic`` and its config.yaml carries it, so this is also
    the proof that two deterministic runs are bit-identical with either loader.
    """
    first, second = tmp_path / "first", tmp_path / "second"
    command = [sys.executable, "-m", "{{ cookiecutter.package }}.train"]
    subprocess.run(
        [*command, *train_args(image_folder, first, "--loader", loader, "--deterministic")],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*command, "--config", str(first / "config.yaml"), "--output-dir", str(second)],
        check=True, capture_output=True,
    )  # fmt: skip
    assert (first / "history.json").read_bytes() == (second / "history.json").read_bytes()
    weights = [keras.saving.load_model(o / "model.keras").get_weights() for o in (first, second)]
    assert all(np.array_equal(a, b) for a, b in zip(*weights, strict=True))
    again = json.loads((second / "run.json").read_text())["command"]
    assert "--config" in again and str(first / "config.yaml") in again
