"""The example model: the CNN and its contract."""

import keras
import numpy as np
import pytest

from {{ cookiecutter.package }}.model import build_model


def test_model_maps_images_to_class_probabilities():
    model = build_model((16, 16), num_classes=4)
    assert isinstance(model, keras.Model) and model.input_shape == (None, 16, 16, 3)
    probabilities = model.predict(np.zeros((2, 16, 16, 3), np.float32), verbose=0)
    assert probabilities.shape == (2, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_model_saves_and_loads_as_keras_file(tmp_path):
    model = build_model((8, 8), num_classes=2)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", compile=False)
    x = np.random.default_rng(0).random((1, 8, 8, 3), dtype=np.float32)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_one_class_is_rejected():
    with pytest.raises(ValueError, match="at least 2"):
        build_model(num_classes=1)
