"""The export CLI: a SavedModel whose reloaded ``serve`` endpoint agrees with the Keras model."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package }} import feeds
from {{ cookiecutter.package }}.artifacts import save_facts
from {{ cookiecutter.package }}.config import ExportConfig
from {{ cookiecutter.package }}.data.demo import write_demo_dataset
from {{ cookiecutter.package }}.dataset import load_data
from {{ cookiecutter.package }}.export import FILES, convert, main
from {{ cookiecutter.package }}.model import build_model
from {{ cookiecutter.package }}.train import main as train_main

from conftest import record_run


def test_reloaded_serve_endpoint_agrees_and_class_names_travel_with_it(tmp_path, capsys):
    model_path = tmp_path / "model" / "model.keras"
    model_path.parent.mkdir()
    keras.utils.set_random_seed(0)
    build_model((16, 16), 3).save(model_path)
    record_run(model_path.parent, ["circle", "square", "stripes"])
    export = tmp_path / "export"
    assert main(["--model", str(model_path), "--output-dir", str(export)]) == 0
    assert "reloaded and checked" in capsys.readouterr().out
    assert json.loads((export / "class_names.json").read_text()) == ["circle", "square", "stripes"]
    reloaded = tf.saved_model.load(str(export))
    # TensorFlow Serving's REST API calls the serving_default signature.
    assert {"serve", "serving_default"} <= set(reloaded.signatures)
    batch = np.random.default_rng(1).random((3, 16, 16, 3), np.float32)
    expected = keras.saving.load_model(model_path, compile=False).predict(batch, verbose=0)
    served = reloaded.serve(tf.constant(batch))["probabilities"].numpy()
    np.testing.assert_allclose(served, expected, atol=1e-5)


def logits_model(image_size, num_classes):
    """A functional model ending in logits, its loss told so (``from_logits=True``)."""
    inputs = keras.Input((*image_size, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(num_classes)(x))
    model.compile(
        optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    return model


@pytest.mark.parametrize("units", [3, 1])
def test_a_logits_model_serves_probabilities(tmp_path, capsys, units):
    """Softmax over logits; one logit unit (two classes) gives sigmoid columns 1 - p, p."""
    model_path = tmp_path / "model" / "model.keras"
    model_path.parent.mkdir()
    keras.utils.set_random_seed(0)
    model = logits_model((16, 16), units)
    model.save(model_path)
    names = ["a", "b", "c"][: max(units, 2)]
    record_run(model_path.parent, names)
    assert main(["--model", str(model_path), "--output-dir", str(tmp_path / "export")]) == 0
    assert "the model outputs logits" in capsys.readouterr().out
    batch = np.random.default_rng(1).random((4, 16, 16, 3), np.float32)
    logits = model.predict(batch, verbose=0).astype(np.float64)
    if units == 1:
        positive = 1 / (1 + np.exp(-logits))
        expected = np.concatenate([1 - positive, positive], axis=-1)
    else:
        expected = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    reloaded = tf.saved_model.load(str(tmp_path / "export"))
    served = reloaded.serve(tf.constant(batch))["probabilities"].numpy()
    np.testing.assert_allclose(served, expected, atol=1e-5)
    assert np.all((served >= 0) & (served <= 1)) and not np.allclose(
        served[:, : logits.shape[1]], logits
    )


def test_missing_model_says_train_first(tmp_path, capsys):
    assert (
        main(["--model", str(tmp_path / "model.keras"), "--output-dir", str(tmp_path / "e")]) == 2
    )
    error = capsys.readouterr().err
    assert error.startswith("error:") and "make train" in error
    assert not (tmp_path / "e").exists()


# ---- Other formats, each checked in its own runtime (make export FORMAT=...) ----

# Runs an exported file in its runtime in a fresh interpreter importing only numpy and that
# runtime, then fails if TensorFlow or Keras got imported: what a serving machine runs.
# The formats FORMAT=all exports here: OpenVINO only where it was installed by hand (the locks
# leave it out, requirements/cpu.in says why); the float ones each checked in its runtime.
ALL = ExportConfig(format="all").formats
FLOAT_RUNTIMES = tuple(fmt for fmt in ("onnx", "litert", "openvino") if fmt in ALL)


def test_openvino_without_its_package_is_one_error_line_naming_the_install(
    trained, tmp_path, capsys, monkeypatch
):
    """The locks leave openvino out: FORMAT=openvino says how to add it, not a traceback."""
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino raises ImportError
    model_path, _ = trained
    argv = ["--model", str(model_path), "--output-dir", str(tmp_path / "e")]
    assert main([*argv, "--format", "openvino"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: the openvino export needs the openvino package")
    assert "pip install openvino" in error and error.count("\n") == 1


RUNTIME_SCRIPT = """
import sys
import numpy as np
fmt, path, given, got = sys.argv[1:]
x = np.load(given)
if fmt == "onnx":
    import onnxruntime
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    y = session.run(None, {session.get_inputs()[0].name: x})[0]
elif fmt == "openvino":
    import openvino
    compiled = openvino.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    y = compiled([x])[compiled.output(0)]
else:
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=path)
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, x)
    interpreter.invoke()
    y = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
assert not {"tensorflow", "keras"} & set(sys.modules), "the runtime imported TensorFlow/Keras"
np.save(got, y)
"""


def run_in_own_runtime(fmt: str, path, batch: np.ndarray, tmp_path) -> np.ndarray:
    """``path``'s outputs on ``batch`` from its runtime in a subprocess (RUNTIME_SCRIPT)."""
    given, got = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(given, batch)
    command = [sys.executable, "-c", RUNTIME_SCRIPT, fmt, str(path), str(given), str(got)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return np.load(got)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A demo model trained for 3 epochs on 16x16 demo images, and its data."""
    root = tmp_path_factory.mktemp("trained")
    data = write_demo_dataset(root / "data", images_per_class=40, image_size=16, seed=0)
    argv = ["--data-dir", str(data), "--output-dir", str(root / "run"), "--epochs", "3"]
    assert train_main([*argv, "--image-size", "16", "--batch-size", "16"]) == 0
    return root / "run" / "model.keras", data


def test_every_format_agrees_with_keras_in_its_own_runtime_on_the_data(trained, tmp_path, capsys):
    model_path, data = trained
    export = tmp_path / "export"
    argv = ["--model", str(model_path), "--output-dir", str(export), "--data-dir", str(data)]
    assert main([*argv, "--format", "all", "--check-examples", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0].strip() for line in lines[1:]] == list(ALL)
    figures = json.loads((export / "export.json").read_text())["formats"]
    assert all(figures[fmt]["passed"] for fmt in ALL)
    # 120 images: 80 calibrate litert-int8 (the default asks 128), the check takes the other 40
    assert figures["onnx"]["checked_on"] == str(data) and figures["onnx"]["examples"] == 40
    assert figures["litert-int8"]["bytes"] < figures["litert"]["bytes"] / 2
    batch, _ = feeds.first_batch(load_data(data, validation_split=0.0, seed=0, batch_size=8,
                                           image_size=16)[0], 8)  # fmt: skip
    expected = keras.saving.load_model(model_path).predict(batch, verbose=0)
    for fmt in FLOAT_RUNTIMES:
        got = run_in_own_runtime(fmt, export / FILES[fmt], batch, tmp_path)
        np.testing.assert_allclose(got, expected, atol=1e-4, err_msg=fmt)
    int8 = run_in_own_runtime("litert-int8", export / FILES["litert-int8"], batch, tmp_path)
    assert np.mean(np.argmax(int8, -1) == np.argmax(expected, -1)) >= 0.97


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_a_logits_model_exports_probabilities_in_every_runtime(tmp_path, capsys, fmt):
    model_path = tmp_path / "model" / "model.keras"
    model_path.parent.mkdir()
    keras.utils.set_random_seed(0)
    model = logits_model((16, 16), 3)
    model.save(model_path)
    record_run(model_path.parent, ["a", "b", "c"])
    argv = ["--model", str(model_path), "--output-dir", str(tmp_path / "e"), "--format", fmt]
    assert main(argv) == 0
    batch = np.random.default_rng(1).random((5, 16, 16, 3), np.float32)
    logits = model.predict(batch, verbose=0).astype(np.float64)
    expected = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    got = run_in_own_runtime(fmt, tmp_path / "e" / FILES[fmt], batch, tmp_path)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert json.loads((tmp_path / "e" / "export.json").read_text())["outputs"] == "logits"
    capsys.readouterr()


def test_preprocessing_layers_inside_the_model_travel_into_every_file(tmp_path, capsys):
    """Rescaling and an adapted Normalization inside: raw 0-255 pixels in, in every runtime."""
    keras.utils.set_random_seed(0)
    pixels = np.random.default_rng(0).integers(0, 256, (64, 8, 8, 3)).astype(np.float32)
    normalization = keras.layers.Normalization()
    normalization.adapt(pixels / 255.0)
    inputs = keras.Input((8, 8, 3), name="pixels")
    x = normalization(keras.layers.Rescaling(1 / 255.0)(inputs))
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    model_path = tmp_path / "model" / "model.keras"
    model_path.parent.mkdir()
    model.save(model_path)
    save_facts(model_path.parent, {"task": "regression"})
    export = tmp_path / "e"
    assert main(["--model", str(model_path), "--output-dir", str(export), "--format", "all"]) == 0
    capsys.readouterr()
    expected = model.predict(pixels[:6], verbose=0)
    assert np.abs(expected).max() > 0.1  # raw pixels would give outputs in the hundreds
    for fmt in FLOAT_RUNTIMES:
        got = run_in_own_runtime(fmt, export / FILES[fmt], pixels[:6], tmp_path)
        np.testing.assert_allclose(got, expected, atol=1e-4, err_msg=fmt)
    # Without data, int8 is calibrated on random inputs in [0, 1): right only in that range.
    unit = pixels[:6] / 255.0
    int8 = run_in_own_runtime("litert-int8", export / FILES["litert-int8"], unit, tmp_path)
    expected = model.predict(unit, verbose=0)
    np.testing.assert_allclose(int8, expected, atol=0.1 * np.abs(expected).max())


def test_int8_starts_after_the_preprocessing_so_small_scale_features_survive(tmp_path):
    """Features near 1000 and near 1 through an adapted Normalization: int8 of the raw row
    (one scale, a step near 4) would erase the second feature, which drives the output."""
    rng = np.random.default_rng(0)
    rows = np.stack([rng.normal(1000, 10, 256), rng.normal(1, 0.01, 256)], -1)
    rows = rows.astype(np.float32)
    normalization = keras.layers.Normalization(name="scaling")
    normalization.adapt(rows)
    inputs = keras.Input((2,), name="row")
    dense = keras.layers.Dense(1)
    model = keras.Model(inputs, dense(normalization(inputs)))
    dense.set_weights([np.array([[0.1], [1.0]], np.float32), np.zeros(1, np.float32)])
    path = tmp_path / "model_int8.tflite"
    convert("litert-int8", model, path, [rows])  # checked on its calibration range
    expected = model.predict(rows, verbose=0)
    got = run_in_own_runtime("litert-int8", path, rows, tmp_path)
    assert expected.std() > 0.5  # the second feature moves the output
    np.testing.assert_allclose(got, expected, atol=0.05)


@keras.saving.register_keras_serializable(package="test_export")
class Svd(keras.layers.Layer):
    """Singular values: TensorFlow's Svd op, which neither LiteRT nor ONNX has."""

    def call(self, x):
        return tf.linalg.svd(tf.reshape(x, (-1, 2, 2)), compute_uv=False)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2)


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_an_op_without_equivalent_is_one_error_line_naming_op_layer_and_format(
    tmp_path, capsys, fmt
):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(Svd(name="singular")(inputs)))
    model_path = tmp_path / "model" / "model.keras"
    model_path.parent.mkdir()
    model.save(model_path)
    save_facts(model_path.parent, {})
    argv = ["--model", str(model_path), "--output-dir", str(tmp_path / "e"), "--format", fmt]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    [line] = [line for line in error.splitlines() if line.startswith("error:")]
    assert f"the {fmt} converter cannot convert the TensorFlow op Svd in layer singular" in line


def test_without_data_dir_the_check_reads_the_data_the_run_trained_on(trained, tmp_path, capsys):
    model_path, data = trained
    argv = ["--model", str(model_path), "--output-dir", str(tmp_path / "e"), "--format", "onnx"]
    assert main(argv) == 0
    figures = json.loads((tmp_path / "e" / "export.json").read_text())["formats"]["onnx"]
    # 120 images, fewer than the 128 int8 calibration examples: all of them check onnx
    assert figures["checked_on"] == str(data) and figures["examples"] == 120
    assert f"on 120 examples of {data}" in capsys.readouterr().out


def test_a_threshold_missed_fails_naming_its_flag_and_keeps_the_figures(trained, tmp_path, capsys):
    model_path, data = trained
    export = tmp_path / "e"
    base = ["--model", str(model_path), "--output-dir", str(export), "--data-dir", str(data)]
    status = main([*base, "--format", "onnx", "--max-difference", "1e-12"])
    figures = json.loads((export / "export.json").read_text())["formats"]["onnx"]
    missed = figures["max_abs_difference"] > 1e-12
    assert status == (2 if missed else 0) and figures["passed"] is not missed
    if missed:
        assert "--max-difference" in capsys.readouterr().err
    status = main([*base, "--format", "litert-int8", "--min-agreement", "1"])
    figures = json.loads((export / "export.json").read_text())["formats"]
    missed = figures["litert-int8"]["top1_agreement"] < 1
    assert status == (2 if missed else 0) and "onnx" in figures  # earlier figures kept
    capsys.readouterr()
