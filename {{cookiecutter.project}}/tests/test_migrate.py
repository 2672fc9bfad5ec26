"""make migrate: legacy code comes out importable and running; nothing is guessed."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from stackguard import migrate
from stackguard.stack import Stack

OLD_TUTORIAL = '''\
"""A 2019 tutorial."""
import numpy as np
from tensorflow.keras.utils import Sequence  # the loader base class
from keras.models import Sequential
from keras.layers.core import Dense, Dropout
from keras.layers.convolutional import (
    Conv1D,  # unused here, kept for the tutorial
)
from keras.optimizers import SGD
from keras.utils import np_utils
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
        return x, np_utils.to_categorical(y.argmax(axis=1), 2)


def build():
    layers = [keras.Input(shape=(3,)), Dense(8), Dropout(0.1), Dense(2, activation="softmax")]
    model = Sequential(layers)
    model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.01))
    return model


def train(model):
    return model.fit_generator(Batches(), nb_epoch=1, verbose=0)
'''


@pytest.fixture(scope="module")
def stack():
    with Stack() as probe:
        yield probe


@pytest.fixture
def main(stack):
    """``make migrate``'s command line, on one probe shared by the module's tests."""
    return lambda argv: migrate.main(argv, stack=stack)


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def test_old_tutorial_is_migrated_keeping_comments_and_then_trains(main, tmp_path, capsys):
    path = tmp_path / "old_tutorial.py"
    path.write_text(OLD_TUTORIAL)
    assert main([str(path)]) == 0
    new = path.read_text()
    assert "from keras.utils import Sequence  # the loader base class" in new
    assert "from keras.layers import Dense, Dropout\n" in new
    assert (
        "    Conv1D,  # unused here, kept for the tutorial" not in new or "from keras.layers" in new
    )
    assert "from keras import utils as np_utils" in new and "import keras.utils\n" in new
    assert "keras.utils.to_categorical([0, 1, 0, 1], 2)" in new
    assert "SGD(learning_rate=0.01)" in new and "model.fit(Batches(), epochs=1" in new
    out = capsys.readouterr().out
    assert f"{path}:3: from tensorflow.keras.utils import Sequence -> from keras.utils" in out
    module = load(path)
    history = module.train(module.build())
    assert np.isfinite(history.history["loss"][0])
    assert main([str(path)]) == 0  # a second run has nothing left to do
    assert path.read_text() == new


def test_comments_inside_a_parenthesised_import_survive_a_module_move(main, tmp_path):
    path = tmp_path / "paren.py"
    path.write_text("from keras.layers.convolutional import (\n    Conv1D,  # kept\n)\n")
    assert main([str(path)]) == 0
    assert path.read_text() == "from keras.layers import (\n    Conv1D,  # kept\n)\n"


def test_check_reports_without_writing(main, tmp_path, capsys):
    path = tmp_path / "old.py"
    path.write_text("from keras.utils.np_utils import to_categorical\n")
    assert main(["--check", str(tmp_path)]) == 1
    assert path.read_text() == "from keras.utils.np_utils import to_categorical\n"
    assert "-> from keras.utils import to_categorical" in capsys.readouterr().out


def test_working_tf_keras_legacy_members_are_kept_and_reported(main, tmp_path, capsys):
    source = (
        "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n"
        "import tensorflow.keras.backend as K\n"
        "shape = K.int_shape(K.zeros((2, 3)))\n"
    )
    path = tmp_path / "augment.py"
    path.write_text(source)
    assert main([str(path)]) == 1
    assert path.read_text() == source  # rewriting to plain keras would break them
    out = capsys.readouterr().out
    assert f"{path}:1: legacy:" in out and "keras.utils.image_dataset_from_directory" in out
    assert load(path).shape == (2, 3)


def test_names_without_a_successor_are_reported_not_guessed(main, tmp_path, capsys):
    source = "from keras.layers import Merge\nimport keras\nkeras.backend.get_session()\n"
    path = tmp_path / "keras1.py"
    path.write_text(source)
    assert main([str(path)]) == 1
    assert path.read_text() == source
    out = capsys.readouterr().out
    assert f"{path}:1: `keras.layers.Merge`" in out and "keras.layers.Concatenate" in out
    assert f"{path}:3: `keras.backend.get_session` fails" in out


def test_fit_arguments_that_belong_to_the_pydataset_are_reported(main, tmp_path, capsys):
    source = "def train(model, data):\n    model.fit_generator(data, workers=4, nb_epoch=2)\n"
    path = tmp_path / "workers.py"
    path.write_text(source)
    assert main([str(path)]) == 1
    assert path.read_text() == source.replace("fit_generator", "fit").replace("nb_epoch", "epochs")
    assert "super().__init__(workers=...)" in capsys.readouterr().out


def test_unparsable_files_are_reported_and_left_untouched(main, tmp_path, capsys):
    path = tmp_path / "python2.py"
    path.write_text('from tensorflow.keras import layers\nprint "hello"\n')
    assert main([str(path)]) == 1
    assert path.read_text() == 'from tensorflow.keras import layers\nprint "hello"\n'
    assert f"{path}:1: cannot parse as Python 3" in capsys.readouterr().out


def test_keywords_judged_unaccepted_really_raise_and_accepted_ones_do_not(stack):
    import keras

    dense, adam = stack.resolve(
        [
            {"kind": "chain", "path": "keras.layers.Dense"},
            {"kind": "chain", "path": "keras.optimizers.Adam"},
        ]
    )
    assert {"units", "kernel_initializer", "input_shape"} <= set(dense["keywords"])
    assert "output_dim" not in dense["keywords"] and "init" not in dense["keywords"]
    with pytest.raises(ValueError, match="output_dim"):
        keras.layers.Dense(3, output_dim=3)
    assert "learning_rate" in adam["keywords"] and "lr" not in adam["keywords"]
    with pytest.raises(ValueError, match="lr"):
        keras.optimizers.Adam(lr=0.1)
    keras.optimizers.Adam(learning_rate=0.1)


STALE_ONLY = """\
import numpy as np
from tensorflow.python.keras import backend as K
from tensorflow.python.keras.layers import Dense, Input
from tensorflow.python.keras.models import Model


def train():
    K.clear_session()
    inputs = Input(shape=(3,))
    model = Model(inputs=inputs, outputs=Dense(1, activation="sigmoid")(inputs))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x = np.ones((8, 3), np.float32)
    return model.fit(x, np.ones((8, 1), np.float32), epochs=1, verbose=0)
"""


def test_a_file_on_the_stale_keras_copy_moves_to_keras_and_then_trains(main, tmp_path, capsys):
    path = tmp_path / "stale.py"
    path.write_text(STALE_ONLY)
    assert main([str(path)]) == 0
    new = path.read_text()
    assert "tensorflow.python.keras" not in new
    assert "from keras import backend as K\n" in new and "from keras.models import Model\n" in new
    out = capsys.readouterr().out
    assert (
        f"{path}:4: note: `tensorflow.python.keras.models.Model` -> `keras.models.Model`: "
        "not the same object: check the arguments" in out
    )
    assert np.isfinite(load(path).train().history["loss"][0])


def test_a_stale_file_that_cannot_move_entirely_is_reported_not_mixed(main, tmp_path, capsys):
    """``K.int_shape`` has no ``keras.backend`` twin: moving the rest would mix two Kerases."""
    source = STALE_ONLY.replace("K.clear_session()", "K.int_shape(K.zeros((2, 3)))")
    path = tmp_path / "mixed.py"
    path.write_text(source)
    assert main([str(path)]) == 1
    assert path.read_text() == source
    out = capsys.readouterr().out
    for line in (2, 3, 4):
        assert f"{path}:{line}: `tensorflow.python.keras" in out, line


def test_call_fixes_of_the_same_meaning_are_written_others_reported(main, tmp_path, capsys):
    source = (
        "import keras\n"
        "inputs = keras.Input((3,))\n"
        "model = keras.Model(input=inputs, output=keras.layers.Dense(2)(inputs))\n"
        "save = keras.callbacks.ModelCheckpoint('best.keras', period=2)\n"
        "stop = keras.callbacks.EarlyStopping(monitor='val_loss', min_delta=0, patience=3)\n"
    )
    path = tmp_path / "calls.py"
    path.write_text(source)
    assert main([str(path)]) == 1
    new = path.read_text()
    assert "keras.Model(inputs=inputs, outputs=keras.layers.Dense(2)(inputs))" in new
    assert "period=2" in new  # save_freq counts batches: not the same meaning
    out = capsys.readouterr().out
    assert f"{path}:3: input= -> inputs=" in out and f"{path}:3: output= -> outputs=" in out
    assert f"{path}:4: `keras.callbacks.ModelCheckpoint(..., period=...)`" in out
    assert f"{path}:5:" not in out
    namespace: dict = {}
    exec(new.replace("save = ", "# "), namespace)  # the rewritten model line runs
    assert isinstance(namespace["model"], namespace["keras"].Model)


def test_predict_classes_on_a_built_model_is_reported_with_its_replacement(main, tmp_path, capsys):
    source = (
        "from keras.layers import Dense\n"
        "from keras.models import Sequential\n\n\n"
        "def build_model():\n"
        "    model = Sequential()\n"
        "    model.add(Dense(2, activation='softmax'))\n"
        "    return model\n\n\n"
        "net = build_model()\n"
        "labels = net.predict_classes([[0.0]])\n"
    )
    path = tmp_path / "classes.py"
    path.write_text(source)
    assert main([str(path)]) == 1
    assert path.read_text() == source
    out = capsys.readouterr().out
    assert f"{path}:12: `net.predict_classes(...)`: Keras 3's `keras.Model` has no" in out
    assert "numpy.argmax(model.predict(x), axis=-1)" in out


UNET = """\
import numpy as np
from tensorflow.keras.layers import *
from keras.models import *
from keras.layers import *
from keras.optimizers import *
from keras import backend as keras


def build_model(size=(16, 16, 1)):
    inputs = Input(size)
    conv = Conv2D(4, 3, activation="relu", padding="same")(inputs)
    outputs = Conv2D(1, 1, activation="sigmoid")(ThresholdedReLU(0.1)(conv))
    model = Model(input=inputs, output=outputs)
    model.compile(optimizer=Adam(lr=1e-4), loss="binary_crossentropy")
    return model


def smooth():
    return keras.epsilon()
"""


def test_star_imports_become_imports_of_the_names_used_and_their_calls_are_fixed(
    main, tmp_path, capsys
):
    """The names come from the stack's own star import; a ``tensorflow.keras`` name goes to
    ``keras`` only when it is the same object there (``ThresholdedReLU`` is not in Keras 3)."""
    path = tmp_path / "unet.py"
    path.write_text(UNET)
    assert main([str(path)]) == 1  # ThresholdedReLU stays legacy: reported
    new = path.read_text()
    assert new.splitlines()[1:6] == [
        "from tensorflow.keras.layers import ThresholdedReLU",
        "from keras.models import Model",
        "from keras.layers import Conv2D, Input",
        "from keras.optimizers import Adam",
        "from keras import backend as keras",
    ]
    assert "Model(inputs=inputs, outputs=outputs)" in new and "Adam(learning_rate=1e-4)" in new
    out = capsys.readouterr().out
    assert f"{path}:4: from keras.layers import * -> from keras.layers import Conv2D, Input" in out
    module = load(path)
    model = module.build_model()
    assert model(np.zeros((1, 16, 16, 1), np.float32)).shape == (1, 16, 16, 1)
    assert module.smooth() > 0
    assert "`tensorflow.keras.layers.ThresholdedReLU` resolves only through the tf.keras" in out
    assert main([str(path)]) == 1 and path.read_text() == new  # nothing left to rewrite


FALLBACK = """\
import numpy as np

try:
    from keras.layers.merge import concatenate
except ImportError:
    from keras.engine import merge as concatenate

try:
    from keras.layers.merge import add
except ImportError:
    from keras.layers import add


def columns():
    try:
        from keras.utils.np_utils import to_categorical
        legacy = True
    except ImportError:
        from keras.utils.data_utils import to_categorical
        legacy = False
    return to_categorical(np.array([0, 1])), legacy
"""


def test_a_fallback_that_fails_as_a_whole_becomes_its_working_branch(main, tmp_path, capsys):
    """The first ``try`` holds only imports: it becomes its first branch, rewritten. The
    second works already (its fallback resolves): left as is. The third keeps its other
    code, so it stays a ``try`` with the working import in it."""
    path = tmp_path / "fallback.py"
    path.write_text(FALLBACK)
    with pytest.raises(ImportError):
        load(path)
    assert main([str(path)]) == 0
    new = path.read_text()
    assert new.startswith("import numpy as np\n\nfrom keras.layers import concatenate\n\ntry:\n")
    assert "    from keras.layers.merge import add\nexcept ImportError:\n" in new
    assert "        from keras.utils import to_categorical\n        legacy = True\n" in new
    out = capsys.readouterr().out
    assert (
        f"{path}:3: try: ... except ImportError: ... -> from keras.layers import concatenate" in out
    )
    module = load(path)
    labels, legacy = module.columns()
    assert labels.tolist() == [[1.0, 0.0], [0.0, 1.0]] and legacy is True
    assert module.concatenate is __import__("keras").layers.concatenate


DECAY = """\
import keras
from keras.optimizers import SGD, Adam

fast = Adam(1e-2, decay=1e-2)
momentum = SGD(lr=0.1, decay=0.05, momentum=0.9)
default = SGD(
    momentum=0.5,
    decay=0.1,
)
rate = 0.1
named = SGD(rate, decay=0.05)
"""


def test_decay_becomes_the_inverse_time_decay_schedule_with_the_same_rates(main, tmp_path, capsys):
    """Each optimizer's rate at step k is ``lr / (1 + decay * k)``, Keras 2's rule; a rate
    that is not a literal is reported, not rewritten."""
    path = tmp_path / "decay.py"
    path.write_text(DECAY)
    assert main([str(path)]) == 1
    new = path.read_text()
    assert "decay=" not in new.replace("decay_rate=", "").replace("named = SGD(rate, decay", "")
    assert "SGD(rate, decay=0.05)" in new
    out = capsys.readouterr().out
    assert f"{path}:11: `SGD(..., decay=...)`" in out
    with pytest.warns(UserWarning, match="decay"):  # the one left as is still drops it
        module = load(path)
    for optimizer, rate, decay in [
        (module.fast, 1e-2, 1e-2),
        (module.momentum, 0.1, 0.05),
        (module.default, 0.01, 0.1),  # SGD's own default rate
    ]:
        schedule = optimizer._learning_rate  # the schedule object (learning_rate is its value)
        assert isinstance(schedule, module.keras.optimizers.schedules.InverseTimeDecay)
        for step in (0, 1, 10, 1000):
            assert float(schedule(step)) == pytest.approx(rate / (1 + decay * step), rel=1e-6)
    assert module.momentum.momentum == 0.9 and module.default.momentum == 0.5


def test_a_call_through_a_name_bound_two_ways_is_left_to_the_user(main, tmp_path, capsys):
    source = (
        "import os\n"
        "if os.environ.get('CELL') == 'gru':\n"
        "    from keras.layers import GRU as RNN\n"
        "else:\n"
        "    from keras.layers import LSTM as RNN\n"
        "layer = RNN(4, dropout_W=0.2)\n"
    )
    path = tmp_path / "branches.py"
    path.write_text(source)
    assert main([str(path)]) == 1
    assert path.read_text() == source
    assert f"{path}:6: `RNN` is bound to different objects" in capsys.readouterr().out
