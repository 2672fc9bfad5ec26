"""The export CLI: a SavedModel whose reloaded ``serve`` endpoint agrees with the Keras model."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package }}.export import main
from {{ cookiecutter.package }}.model import build_model

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
