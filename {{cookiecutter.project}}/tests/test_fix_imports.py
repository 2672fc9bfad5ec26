"""make fix-imports: old tutorials' imports come out importable and running."""

import importlib.util
import sys
from pathlib import Path

import numpy as np

from {{ cookiecutter.package }}.fix_imports import main

OLD_TUTORIAL = '''\
"""A 2019 tutorial."""
import numpy as np
from tensorflow.keras.utils import Sequence  # the loader base class
from keras.models import Sequential
from keras.layers.core import Dense, Dropout
from keras.layers.convolutional import (
    Conv1D,  # unused here, kept for the tutorial
)
import keras.utils.np_utils
import keras


class Batches(Sequence):
    def __init__(self):
        super().__init__()

    def __len__(self):
        return 2

    def __getitem__(self, index):
        x = np.ones((4, 3), np.float32) * index
        y = keras.utils.np_utils.to_categorical([0, 1, 0, 1], 2)
        return x, y


def build():
    layers = [keras.Input(shape=(3,)), Dense(8), Dropout(0.1), Dense(2, activation="softmax")]
    model = Sequential(layers)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    return model
'''

FIXED = (
    OLD_TUTORIAL.replace(
        "from tensorflow.keras.utils import Sequence  #", "from keras.utils import Sequence  #"
    )
    .replace("from keras.layers.core import", "from keras.layers import")
    .replace("from keras.layers.convolutional import (", "from keras.layers import (")
    .replace("import keras.utils.np_utils\n", "import keras.utils\n")
    .replace("keras.utils.np_utils.to_categorical", "keras.utils.to_categorical")
)


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def test_old_tutorial_is_rewritten_keeping_comments_and_then_trains(tmp_path, capsys):
    path = tmp_path / "old_tutorial.py"
    path.write_text(OLD_TUTORIAL)
    assert main([str(path)]) == 0
    assert path.read_text() == FIXED
    out = capsys.readouterr().out
    assert f"{path}:3: from tensorflow.keras.utils import Sequence -> from keras.utils" in out
    module = load(path)
    history = module.build().fit(module.Batches(), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert main([str(path)]) == 0  # a second run has nothing left to do


def test_check_reports_without_writing(tmp_path, capsys):
    path = tmp_path / "old.py"
    path.write_text("from keras.utils.np_utils import to_categorical\n")
    assert main(["--check", str(tmp_path)]) == 1
    assert path.read_text() == "from keras.utils.np_utils import to_categorical\n"
    assert "from keras.utils import to_categorical" in capsys.readouterr().out


def test_the_classic_keras_api_v2_sequential_is_fixed(tmp_path):
    path = tmp_path / "classic.py"
    path.write_text(
        "from keras.api._v2.keras.utils import Sequential\n"
        "import keras\n"
        "model = keras.api._v2.keras.utils.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
    )
    assert main([str(path)]) == 0
    assert path.read_text() == (
        "from keras import Sequential\n"
        "import keras\n"
        "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
    )
    assert load(path).model.output_shape == (None, 1)


def test_paths_without_a_one_to_one_replacement_are_reported_not_guessed(tmp_path, capsys):
    source = "from keras.preprocessing.image import ImageDataGenerator\nimport keras\n"
    source += "keras.backend.get_session()\n"
    path = tmp_path / "augment.py"
    path.write_text(source)
    assert main([str(path)]) == 1
    assert path.read_text() == source
    out = capsys.readouterr().out
    assert f"{path}:1: keras.preprocessing.image.ImageDataGenerator: no one-to-one" in out
    assert f"{path}:3: keras.backend.get_session: no one-to-one" in out


def test_unparsable_files_are_reported_and_left_untouched(tmp_path, capsys):
    path = tmp_path / "broken.py"
    path.write_text("from tensorflow.keras import layers\ndef (:\n")
    assert main([str(path)]) == 1
    assert path.read_text() == "from tensorflow.keras import layers\ndef (:\n"
    assert f"{path}: cannot parse" in capsys.readouterr().out
