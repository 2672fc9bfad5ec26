"""Pretrained backbones: their preprocessing, default sizes, augmentation, the two
fine-tuning phases, resume across them, and the offline ``imagenet`` message."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from {{ cookiecutter.package }} import model as user_model
from {{ cookiecutter.package }}.backbones import BACKBONES, CNN_IMAGE_SIZE
from {{ cookiecutter.package }}.cli import build
from {{ cookiecutter.package }}.config import TrainConfig
from {{ cookiecutter.package }}.data.demo import write_demo_dataset
from {{ cookiecutter.package }}.errors import ConfigError
from {{ cookiecutter.package }}.export import main as export_main
from {{ cookiecutter.package }}.model import (
    backbone_preprocessing,
    build_model,
)
from {{ cookiecutter.package }}.train import main
from {{ cookiecutter.package }}.training import phases
from {{ cookiecutter.package }}.training.targets import download_failure

X = np.random.default_rng(0).random((2, 32, 32, 3), np.float32)


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_preprocessing_of_x_equals_preprocess_input_of_255x(name):
    """The model takes [0, 1]; each application's own preprocess_input takes [0, 255]."""
    module = getattr(keras.applications, BACKBONES[name].module)
    expected = module.preprocess_input(255.0 * X)
    np.testing.assert_allclose(backbone_preprocessing(name)(X), expected, rtol=1e-5, atol=1e-4)


def test_the_model_feeds_its_backbone_through_that_preprocessing():
    model = build_model((32, 32), 3, backbone="MobileNetV3Small", weights="none")
    backbone = model.get_layer("backbone")
    assert backbone.input is model.get_layer("preprocessing").output or (
        backbone._inbound_nodes[0].input_tensors[0] is model.get_layer("preprocessing").output
    )
    fed = keras.Model(model.inputs, model.get_layer("preprocessing").output)(X)
    np.testing.assert_allclose(fed, keras.applications.mobilenet_v3.preprocess_input(255.0 * X))


def test_default_image_size_follows_the_backbone_and_can_be_overridden():
    assert TrainConfig().image_size == CNN_IMAGE_SIZE == 32
    for name, entry in BACKBONES.items():
        assert TrainConfig(backbone=name).image_size == entry.native_size
        assert TrainConfig(backbone=name, image_size=64).image_size == 64
    with pytest.raises(ConfigError, match="image_size 16 is below 32"):
        build(TrainConfig, {"backbone": "ResNet50V2", "image_size": 16}, {})


def test_weights_must_be_imagenet_none_or_an_existing_file(tmp_path):
    with pytest.raises(ConfigError, match="not imagenet, none, or an existing weights file"):
        build(TrainConfig, {"weights": str(tmp_path / "missing.weights.h5")}, {})


def test_multi_worker_refuses_fine_tuning():
    values = {"strategy": "multi-worker", "fine_tune_epochs": 1}
    with pytest.raises(ConfigError, match="not multi-worker"):
        build(TrainConfig, values, {"fine_tune_epochs": "--fine-tune-epochs"})


def test_augmentation_is_inert_at_inference_and_active_in_training():
    """training=False: the model equals the same weights without the augmentation layers."""
    strong = {"flip": "horizontal_and_vertical", "rotation": 0.5, "zoom": 0.5, "contrast": 0.9}
    augmented = build_model((32, 32), 3, augment=True, **strong)
    plain = build_model((32, 32), 3)
    weighted = [layer for layer in augmented.layers if layer.name != "augmentation"]
    for source, target in zip(weighted, plain.layers, strict=True):
        target.set_weights(source.get_weights())
    layer = augmented.get_layer("augmentation")
    np.testing.assert_array_equal(layer(X, training=False), X)
    assert not np.allclose(layer(X, training=True), X)
    first = augmented(X, training=False)
    np.testing.assert_array_equal(first, augmented(X, training=False))
    np.testing.assert_allclose(first, plain(X, training=False), rtol=1e-6)


def tiny_backbone_model(image_size, num_classes, learning_rate=3e-3, **options):
    """A user's model with a small pretrained-style part named ``backbone`` (conv + BN)."""
    backbone = keras.Sequential(
        [
            keras.Input((*image_size, 3)),
            keras.layers.Conv2D(4, 3, name="low"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.Conv2D(4, 3, name="high"),
            keras.layers.GlobalAveragePooling2D(),
        ],
        name="backbone",
    )
    inputs = keras.Input((*image_size, 3))
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(backbone(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["acc"],
    )
    return model


def run_args(data, output, *extra):
    args = ["--data-dir", str(data), "--output-dir", str(output), "--image-size", "16"]
    return [*args, "--batch-size", "4", *extra]


def test_two_phases_freeze_then_unfreeze_the_top_and_record_the_phase(
    monkeypatch, image_folder, tmp_path
):
    built = []

    def build_model(image_size, num_classes, **options):
        built.append(tiny_backbone_model(image_size, num_classes, **options))
        built.append([w.numpy().copy() for w in built[0].get_layer("backbone").weights])
        return built[0]

    monkeypatch.setattr(user_model, "build_model", build_model)
    extra = ["--epochs", "2", "--fine-tune-epochs", "1", "--fine-tune-layers", "1"]
    extra += ["--fine-tune-learning-rate", "0.0005"]
    assert main(run_args(image_folder, tmp_path / "run", *extra)) == 0
    model, initial = built
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert history["phase"] == [1, 1, 2]
    assert metrics["epochs_per_phase"] == {"head": 2, "fine-tune": 1} and "phase" not in metrics
    backbone = model.get_layer("backbone")
    after = {w.path: w.numpy() for w in backbone.weights}
    before = dict(zip(after, initial, strict=True))
    changed = {path for path in after if not np.array_equal(after[path], before[path])}
    # Only the top layer ("high") trained: "low" was frozen in both phases, BN stayed frozen
    # (its moving statistics too: inference mode), and the head phase left the backbone alone.
    assert changed == {p for p in after if "/high/" in p}, changed
    assert not backbone.get_layer("bn").trainable and not backbone.get_layer("low").trainable
    assert float(model.optimizer.learning_rate) == pytest.approx(5e-4)
    saved = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert saved.get_compile_config()["metrics"] == model.get_compile_config()["metrics"]
    reloaded = tiny_backbone_model((16, 16), 3).get_layer("backbone")
    reloaded.load_weights(tmp_path / "run" / "backbone.weights.h5")
    for mine, theirs in zip(reloaded.weights, backbone.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_fine_tuning_a_model_without_a_backbone_is_one_error_line(image_folder, tmp_path, capsys):
    argv = run_args(image_folder, tmp_path / "run", "--epochs", "1", "--fine-tune-epochs", "1")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no layer named 'backbone'" in err, err


@pytest.mark.parametrize(
    ("interrupted_epoch", "resumed_from"),
    [(1, 1), (2, 2)],  # killed in phase 2's first epoch (before its backup), or its second
)
def test_an_interrupted_fine_tuning_resumes_in_its_phase(
    monkeypatch, image_folder, tmp_path, interrupted_epoch, resumed_from
):
    monkeypatch.setattr(user_model, "build_model", tiny_backbone_model)
    original = phases.PhaseLogger.on_epoch_end

    def dies(self, epoch, logs=None):
        if epoch == interrupted_epoch:
            raise KeyboardInterrupt("killed")
        original(self, epoch, logs)

    argv = run_args(image_folder, tmp_path / "run", "--epochs", "1", "--fine-tune-epochs", "2")
    monkeypatch.setattr(phases.PhaseLogger, "on_epoch_end", dies)
    with pytest.raises(KeyboardInterrupt):
        main(argv)
    monkeypatch.setattr(phases.PhaseLogger, "on_epoch_end", original)
    assert main(argv) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert metrics["resumed_from_epoch"] == resumed_from
    assert history["phase"] == [1, 2, 2]
    assert not (tmp_path / "run" / "backup").exists()


@pytest.mark.slow
def test_imagenet_weights_offline_stop_with_one_line_naming_url_cache_and_path(tmp_path):
    """For real: Keras's download fails (no network here; a proxy that refuses elsewhere)."""
    data = write_demo_dataset(tmp_path / "data", images_per_class=3, image_size=32)
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "keras"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.update(https_proxy="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    (tmp_path / "keras").mkdir()
    argv = ["-m", "{{ cookiecutter.package }}.train"]
    argv += ["--data-dir", str(data), "--epochs", "1"]
    argv += ["--backbone", "MobileNetV3Small", "--image-size", "32"]
    argv += ["--output-dir", str(tmp_path / "run")]
    result = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 2, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    url = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
    # The native size of backbones.BACKBONES: the imagenet weights are those of 224 px.
    assert url + "weights_mobilenet_v3_small_224_" in errors[0]
    assert str(tmp_path / "keras" / "models") in errors[0] and "--weights PATH" in errors[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(BACKBONES) - {"MobileNetV3Small"}))
def test_native_size_is_the_applications_default_input(name):
    """MobileNetV3Small takes any size; its imagenet weights are 224 px (offline test)."""
    default = getattr(keras.applications, name)(weights=None).input_shape
    assert default[1:3] == (BACKBONES[name].native_size,) * 2


@pytest.mark.slow
def test_transfer_a_trained_backbone_to_another_collection_and_export(tmp_path, capsys):
    """1) train a backbone from scratch, 2) fine-tune from its weights file on other
    classes, 3) export: serve agrees with the model."""
    first = write_demo_dataset(tmp_path / "a", images_per_class=30, image_size=48, seed=0)
    second = write_demo_dataset(tmp_path / "b", images_per_class=30, image_size=48, seed=1)
    for image in (second / "circle").iterdir():  # another collection: two classes of three
        image.unlink()
    (second / "circle").rmdir()
    common = ["--backbone", "EfficientNetV2B0", "--image-size", "48", "--batch-size", "16"]
    assert main([*common, "--data-dir", str(first), "--output-dir", str(tmp_path / "r1"),
                 "--weights", "none", "--epochs", "1"]) == 0  # fmt: skip
    weights = tmp_path / "r1" / "backbone.weights.h5"
    assert weights.is_file()
    assert main([*common, "--data-dir", str(second), "--output-dir", str(tmp_path / "r2"),
                 "--weights", str(weights), "--epochs", "1", "--fine-tune-epochs", "1",
                 "--fine-tune-learning-rate", "1e-4", "--augment"]) == 0  # fmt: skip
    metrics = json.loads((tmp_path / "r2" / "metrics.json").read_text())
    with capsys.disabled():  # the figure, in the test's output
        print("\ntransfer:", {k: metrics[k] for k in ("val_accuracy", "val_loss", "seconds")})
    assert metrics["class_names"] == ["square", "stripes"]
    assert metrics["epochs_per_phase"] == {"head": 1, "fine-tune": 1}
    # The bottom of the backbone stayed frozen in both phases: it is the first run's.
    first_model = build_model((48, 48), 3, backbone="EfficientNetV2B0", weights=str(weights))
    second_model = keras.saving.load_model(tmp_path / "r2" / "model.keras")
    stem = "stem_conv"
    np.testing.assert_array_equal(
        first_model.get_layer("backbone").get_layer(stem).kernel.numpy(),
        second_model.get_layer("backbone").get_layer(stem).kernel.numpy(),
    )
    assert export_main(["--model", str(tmp_path / "r2" / "model.keras")]) == 0
    assert "reloaded and checked" in capsys.readouterr().out


def test_only_a_failed_download_becomes_the_weights_message(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    url = "https://storage.googleapis.com/tensorflow/keras-applications/x/w.h5"
    message = download_failure(Exception(f"URL fetch failure on {url}: 403 -- Forbidden"))
    assert message.startswith(f"the pretrained weights {url} are not in the Keras cache")
    assert f"(403 -- Forbidden): download that file into {tmp_path / 'models'}" in message
    assert download_failure(ValueError("num_classes must be at least 2")) is None
