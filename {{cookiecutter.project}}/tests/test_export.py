"""The export CLI: a SavedModel whose reloaded ``serve`` endpoint agrees with the Keras model."""

import json

import keras
import numpy as np
import tensorflow as tf

from {{ cookiecutter.package }}.artifacts import save_class_names
from {{ cookiecutter.package }}.export import main
from {{ cookiecutter.package }}.model import build_model


def test_reloaded_serve_endpoint_agrees_and_class_names_travel_with_it(tmp_path, capsys):
    model_path = tmp_path / "model" / "model.keras"
    model_path.parent.mkdir()
    keras.utils.set_random_seed(0)
    build_model((16, 16), 3).save(model_path)
    save_class_names(model_path.parent, ["circle", "square", "stripes"])
    export = tmp_path / "export"
    assert main(["--model", str(model_path), "--output-dir", str(export)]) == 0
    assert "reloaded and checked" in capsys.readouterr().out
    assert json.loads((export / "class_names.json").read_text()) == ["circle", "square", "stripes"]
    reloaded = tf.saved_model.load(str(export))
    # TensorFlow Serving's REST API calls the serving_default signature.
    assert {"serve", "serving_default"} <= set(reloaded.signatures)
    batch = np.random.default_rng(1).random((3, 16, 16, 3), np.float32)
    expected = keras.saving.load_model(model_path, compile=False).predict(batch, verbose=0)
    np.testing.assert_allclose(reloaded.serve(tf.constant(batch)).numpy(), expected, atol=1e-5)


def test_missing_model_says_train_first(tmp_path, capsys):
    assert (
        main(["--model", str(tmp_path / "model.keras"), "--output-dir", str(tmp_path / "e")]) == 2
    )
    error = capsys.readouterr().err
    assert error.startswith("error:") and "make train" in error
    assert not (tmp_path / "e").exists()
