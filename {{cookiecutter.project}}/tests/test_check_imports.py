"""make check-imports: verdicts come from the installed stack, and every fix resolves."""

import json
import textwrap
import warnings

import keras
import pytest

from stackguard import check_imports
from stackguard.references import scan
from stackguard.stack import Stack

LEGACY = textwrap.dedent(
    """\
    import keras
    import tensorflow as tf
    from tensorflow.keras.models import Sequential
    from tensorflow.keras.preprocessing.image import ImageDataGenerator
    from keras.layers.core import Dense, Dropout
    from keras.utils import np_utils
    from keras import backend as K
    from keras.layers import Merge
    from tensorflow.python.keras.layers import Flatten
    try:
        import not_installed_fast_json as json
    except ModuleNotFoundError:
        import json
    y = np_utils.to_categorical([0, 1])
    shape = K.int_shape(y)
    layer = tf.keras.layers.Dense(3)
    """
)


@pytest.fixture(scope="module")
def stack():
    with Stack() as probe:
        yield probe


def findings_of(tmp_path, stack, source: str, name: str = "legacy.py") -> dict[int, list[dict]]:
    path = tmp_path / name
    path.write_text(source)
    by_line: dict[int, list[dict]] = {}
    for finding in check_imports.findings([scan(path, stack)], stack):
        by_line.setdefault(finding["line"], []).append(finding)
    return by_line


def test_each_verdict_comes_with_what_fails_why_and_the_verified_fix(tmp_path, stack):
    found = findings_of(tmp_path, stack, LEGACY)
    assert 1 not in found and 2 not in found  # canonical imports are not findings
    [prefer] = found[3]
    assert prefer["status"] == "prefer" and prefer["fix"] == "from keras.models import Sequential"
    [legacy] = found[4]
    assert (
        legacy["status"] == "legacy"
        and "keras.utils.image_dataset_from_directory" in legacy["message"]
    )
    assert {f["fix"] for f in found[5]} == {
        "from keras.layers import Dense",
        "from keras.layers import Dropout",
    }
    assert "No module named 'keras.layers.core'" in found[5][0]["message"]
    [np_utils] = found[6]
    assert np_utils["fix"] == "from keras import utils as np_utils"
    assert 7 not in found  # keras.backend resolves; its uses are judged one by one
    [merge] = found[8]
    assert merge["fix"] is None and "keras.layers.Concatenate" in merge["message"]
    [stale] = found[9]
    assert stale["status"] == "stale" and stale["severity"] == "error"
    assert 11 not in found and 13 not in found  # guarded by try/except ImportError
    assert 14 not in found  # covered by the fix of line 6
    [int_shape] = found[15]
    assert "keras.ops.shape" in int_shape["message"]
    [chain] = found[16]
    assert chain["status"] == "prefer" and chain["fix"] == "keras.layers.Dense"


def test_no_fix_names_a_path_that_does_not_resolve(tmp_path, stack):
    for findings in findings_of(tmp_path, stack, LEGACY).values():
        for finding in findings:
            if finding["fix"] and finding["fix"].startswith(("import ", "from ")):
                exec(finding["fix"], {})  # raises if the advised import fails
            elif finding["fix"]:
                tf = __import__("tensorflow")
                assert eval(finding["fix"], {"keras": keras, "tf": tf, "tensorflow": tf})


def test_notebook_code_cells_are_checked_with_their_cell(tmp_path, stack):
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Old notebook\n"], "metadata": {}},
            {"cell_type": "code", "source": ["%matplotlib inline\n", "import keras\n"]},
            {"cell_type": "code", "source": ["from keras.utils.np_utils import to_categorical\n"]},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(notebook))
    [finding] = check_imports.findings([scan(path, stack)], stack)
    assert finding["where"] == f"{path}:cell_2:1:1"
    assert finding["fix"] == "from keras.utils import to_categorical"


def test_cli_exit_status_and_line_format(tmp_path, capsys, stack):
    (tmp_path / "ok.py").write_text("import keras\nfrom keras import layers\n")
    assert check_imports.main([str(tmp_path)], stack=stack) == 0
    (tmp_path / "bad.py").write_text("from keras.engine import Layer\n")
    (tmp_path / "py2.py").write_text('print "hello"\n')
    assert check_imports.main([str(tmp_path)], stack=stack) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'bad.py'}:1:1: error: `keras.engine.Layer`" in out
    assert "it resolves as `from keras import Layer`" in out
    assert f"{tmp_path / 'py2.py'}:1:" in out and "cannot parse as Python 3" in out


def test_the_project_itself_passes_the_check(stack, capsys):
    assert check_imports.main(["src", "tests", "stackguard"], stack=stack) == 0, capsys.readouterr()


def test_the_users_own_modules_up_to_the_project_root_are_not_missing_dependencies(tmp_path, stack):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("raise RuntimeError('never imported')\n")
    (tmp_path / "scripts").mkdir()
    script = tmp_path / "scripts" / "train.py"
    script.write_text("from models import resnet\nimport not_a_dependency_anywhere\n")
    [finding] = check_imports.findings([scan(script, stack)], stack)
    assert finding["line"] == 2 and "not installed in this venv" in finding["message"]


def test_cell_magics_and_attribute_assignments_are_not_judged(tmp_path, stack):
    notebook = {
        "cells": [
            {"cell_type": "code", "source": ["%%bash\n", "pip install keras==2.3.1\n"]},
            {"cell_type": "code", "source": ["import keras\n", "keras.backend.custom = 1\n"]},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "magic.ipynb"
    path.write_text(json.dumps(notebook))
    assert check_imports.findings([scan(path, stack)], stack) == []


CALLS = textwrap.dedent(
    """\
    import keras
    from keras.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
    from keras.models import Model, Sequential

    def build():
        model = Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        return model

    inputs = keras.Input((4,))
    functional = Model(inputs=inputs, outputs=keras.layers.Dense(2)(inputs), name="net")
    keras1 = Model(input=inputs, output=functional.outputs)
    checkpoint = ModelCheckpoint("best.keras", monitor="val_loss", period=1)
    stop = EarlyStopping(monitor="val_loss", min_delta=0, patience=3, verbose=1, mode="auto",
                         baseline=None, restore_best_weights=True)
    plateau = ReduceLROnPlateau(monitor="val_loss", factor=0.5, epsilon=1e-4)
    board = keras.callbacks.TensorBoard(log_dir="logs", write_grads=True)
    loss = keras.losses.CategoricalCrossentropy(from_logits=False, reduce=True)
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    model = build()
    classes = model.predict_classes(inputs)
    other = object()
    other.predict_classes(inputs)
    """
)


def test_calls_that_raise_are_findings_naming_class_keyword_and_successor(tmp_path, stack):
    found = findings_of(tmp_path, stack, CALLS)
    messages = {line: " | ".join(f["message"] for f in fs) for line, fs in found.items()}
    assert sorted(found) == [11, 12, 16, 17, 20] and len(found[11]) == 2, messages
    assert "`keras.models.Model` does not accept `input`" in messages[11]
    assert "the Keras 3 argument is `inputs`, with the same meaning" in messages[11]
    assert "`keras.callbacks.ModelCheckpoint` does not accept `period`" in messages[12]
    assert "successor is `save_freq`, but not the same" in messages[12]
    assert "counts batches" not in messages[12] and "saves every N batches" in messages[12]
    assert "`write_grads`" in messages[16] and "`reduce`" in messages[17]
    assert "has no `predict_classes`" in messages[20] and "numpy.argmax" in messages[20]


def test_every_call_finding_really_raises_and_the_others_do_not(tmp_path, stack):
    """The oracle: run each judged statement of ``CALLS`` in this venv."""
    found = findings_of(tmp_path, stack, CALLS)
    lines = CALLS.splitlines()
    namespace: dict = {}
    exec("\n".join(lines[:9]), namespace)  # imports and build()
    for number in (10, 11, 12, 13, 15, 16, 17, 18, 19, 20):
        statement = lines[number - 1]
        if number == 13:
            statement = " ".join(x.strip() for x in lines[12:14])
        try:
            exec(statement, namespace)
            raised = False
        except (TypeError, ValueError, AttributeError):
            raised = True
        assert raised == (number in found), (number, statement)


STAR = textwrap.dedent(
    """\
    from keras.models import *
    from keras.layers import *
    from keras.optimizers import *
    from keras import backend as keras

    def unet(size=(16, 16, 1)):
        inputs = Input(size)
        conv = Conv2D(4, 3, padding="same", kernel_initializer="he_normal")(inputs)
        model = Model(input=inputs, output=conv)
        model.compile(optimizer=Adam(lr=1e-4), loss="binary_crossentropy")
        return keras.floatx(), model
    """
)
EXPLICIT = (
    STAR.replace("from keras.models import *", "from keras.models import Model")
    .replace("from keras.layers import *", "from keras.layers import Conv2D, Input")
    .replace("from keras.optimizers import *", "from keras.optimizers import Adam")
)


def call_messages(found: dict[int, list[dict]]) -> dict[int, list[str]]:
    return {
        line: [f["message"] for f in fs if f["status"] == "call"]
        for line, fs in found.items()
        if any(f["status"] == "call" for f in fs)
    }


def test_calls_through_star_imports_are_judged_as_through_named_imports(tmp_path, stack):
    """``from keras.models import *`` binds what Python binds: the same findings, same words."""
    star = call_messages(findings_of(tmp_path, stack, STAR, "star.py"))
    explicit = call_messages(findings_of(tmp_path, stack, EXPLICIT, "explicit.py"))
    assert star == explicit
    assert sorted(star) == [9, 10] and len(star[9]) == 2
    assert "`keras.models.Model` does not accept `input`" in star[9][0]
    assert "`keras.optimizers.Adam` does not accept `lr`" in star[10][0]


def test_star_import_names_are_the_ones_python_binds(stack):
    for module in ("keras.layers", "keras.models", "tensorflow.keras.optimizers"):
        namespace: dict = {}
        exec(f"from {module} import *", namespace)
        namespace.pop("__builtins__")
        assert stack.star_names(module) == sorted(namespace), module
    assert stack.star_names("keras.layers.core") is None  # the import fails: nothing known


REBOUND = textwrap.dedent(
    """\
    import keras
    from keras.layers import *
    early = keras.layers.Dense(2, output_dim=2)
    from keras import backend as keras
    late = keras.layers
    class Attention(Layer):
        def __init__(self, step_dim, **kwargs):
            super().__init__(**kwargs)
    attention = Attention(step_dim=4)
    def build():
        return keras.floatx(), Dense(1, init="uniform")
    """
)


def test_each_use_is_judged_by_the_binding_in_force_where_it_runs(tmp_path, stack):
    """``keras`` is the package on line 3 and the backend from line 4 on; ``Attention`` is
    the file's own class after line 6. The oracle runs each line."""
    found = findings_of(tmp_path, stack, REBOUND)
    assert sorted(found) == [3, 5, 11], {k: [f["message"] for f in v] for k, v in found.items()}
    assert "`keras.layers.Dense` does not accept `output_dim`" in found[3][0]["message"]
    assert "module 'keras.backend' has no attribute 'layers'" in found[5][0]["message"]
    assert "`keras.layers.Dense` does not accept `init`" in found[11][0]["message"]
    lines = REBOUND.splitlines()
    namespace: dict = {}
    for number, line in enumerate(lines[:9], start=1):
        if line.startswith(" "):
            continue
        statement = "\n".join([line, *lines[number : number + 2]]) if "class" in line else line
        try:
            exec(statement, namespace)
        except (AttributeError, TypeError, ValueError):
            assert number in found, (number, line)
        else:
            assert number not in found, (number, line)
    exec("\n".join(lines[9:]), namespace)
    with pytest.raises(ValueError, match="init"):
        namespace["build"]()


BRANCHES = textwrap.dedent(
    """\
    import sys
    if "--gru" in sys.argv:
        from keras.layers import GRU as RNN
    else:
        from keras.layers import LSTM as RNN
    try:
        from keras.layers import CuDNNLSTM as Fast
    except ImportError:
        from keras.layers import LSTM as Fast
    rnn = RNN(4, consume_less="gpu")
    fast = Fast(4, consume_less="gpu")
    """
)


def test_a_name_bound_to_two_objects_is_not_judged_and_is_counted(tmp_path, stack, capsys):
    """``RNN`` is GRU or LSTM: not known, so no finding, and the summary line counts it.
    ``Fast`` is LSTM whichever branch ran, since the first import fails."""
    path = tmp_path / "branches.py"
    path.write_text(BRANCHES)
    assert check_imports.main([str(path)], stack=stack) == 1
    out = capsys.readouterr().out
    starts = [line.split(": ", 1)[0].rsplit(":", 1)[0] for line in out.splitlines()]
    assert f"{path}:10" not in starts and f"{path}:11" in starts
    assert "`keras.layers.LSTM` does not accept `consume_less`" in out
    assert out.rstrip().endswith(
        "1 use(s) of a name bound to different objects in different branches, not judged "
        f"({path}:10:7 `RNN`)"
    )


def test_a_failed_star_import_binds_nothing_known(tmp_path, stack):
    source = "from keras.layers.core import *\nlayer = Dense(output_dim=3)\n"
    found = findings_of(tmp_path, stack, source)
    assert sorted(found) == [1] and "No module named 'keras.layers.core'" in found[1][0]["message"]


FALLBACKS = textwrap.dedent(
    """\
    import keras
    try:
        from keras.engine import merge
    except ImportError:
        from keras.layers.merge import concatenate
    try:
        from keras.layers.merge import add
    except ImportError:
        from keras.layers import add
    try:
        from keras.utils.np_utils import to_categorical
    except:
        from keras.utils.data_utils import to_categorical
    try:
        from keras.layers.core import Dense
    except (ImportError, AttributeError):
        raise ImportError("this script needs Keras 2")
    if keras.__version__.startswith("1."):
        from keras.layers import Merge
    else:
        from keras.layers.core import Dropout
    """
)


def test_a_handler_raising_its_own_error_is_a_report_by_design_not_a_failing_fallback(
    tmp_path, stack
):
    """``except ImportError: raise SomeError("...")`` is how code reports a missing optional
    module (the project's own cli.py reads TOML this way, and Python 3.10 has no tomllib);
    a bare ``raise`` or ``raise ImportError`` passes the failure on and is named."""
    source = textwrap.dedent(
        """\
        def read(path):
            try:
                import not_installed_toml_reader
            except ModuleNotFoundError:
                raise ValueError("reading TOML needs not_installed_toml_reader") from None
            return not_installed_toml_reader.load(path)
        try:
            import not_installed_optional
        except ImportError:
            raise
        """
    )
    found = findings_of(tmp_path, stack, source)
    assert sorted(found) == [8], {k: v[0]["message"] for k, v in found.items()}
    assert found[8][0]["status"] == "fallback"


def test_an_import_fallback_is_named_once_when_every_alternative_fails(tmp_path, stack):
    """Lines 2-5 and 10-13 cannot import on Keras 3 (nor 14-17, which raises); 6-9 can.
    Line 19 is the branch Keras 3 skips; line 21 the one it takes. The oracle runs each."""
    found = findings_of(tmp_path, stack, FALLBACKS)
    assert sorted(found) == [3, 11, 15, 21], {k: v[0]["message"] for k, v in found.items()}
    for line in (3, 11, 15):
        [finding] = found[line]
        assert finding["status"] == "fallback" and "every alternative" in finding["message"]
    assert "`keras.layers.concatenate`" in found[3][0]["message"]  # the first branch's advice
    assert found[11][0]["fix"] == "from keras.utils import to_categorical"
    assert "raises ImportError" in found[15][0]["message"]
    assert found[21][0]["status"] == "fails"
    lines = FALLBACKS.splitlines()
    blocks = {3: (1, 5), 7: (5, 9), 11: (9, 13), 15: (13, 17), 19: (17, 21)}
    for line, (start, end) in blocks.items():
        namespace: dict = {}
        try:
            exec("import keras\n" + "\n".join(lines[start:end]), namespace)
        except ImportError:
            assert line in found or line + 2 in found, line
        else:
            assert line not in found, line


DECAY = textwrap.dedent(
    """\
    import keras
    from keras.optimizers import SGD, Adam, RMSprop, Adagrad, Adadelta, Adamax, Nadam
    from keras.layers import Dense, Embedding
    sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
    rms = RMSprop(learning_rate=0.001, rho=0.9, decay=1e-5)
    ada = Adagrad(learning_rate=0.01, decay=1e-4)
    delta = Adadelta(learning_rate=1.0, rho=0.95, decay=1e-4)
    adam = Adam(1e-4, decay=1e-4)
    adamax = Adamax(0.002, 0.9, 0.999, decay=1e-4)
    nadam = Nadam(learning_rate=0.002, decay=4e-3)
    chained = keras.optimizers.Adam(learning_rate=1e-3, decay=0.0)
    embedding = Embedding(1000, 64, input_length=20)
    dense = Dense(3, input_shape=(4,))
    """
)


def test_arguments_keras_drops_are_warnings_and_each_really_is_dropped(tmp_path, stack):
    """``decay`` on every optimizer that had it, positional or not; ``decay=0.0`` asked for
    nothing; ``input_shape`` warns but is kept. The oracle builds each call and watches
    for the warning."""
    found = findings_of(tmp_path, stack, DECAY)
    dropped = {
        line: [f for f in fs if "and drops it" in f["message"]] for line, fs in found.items()
    }
    dropped = {line: fs for line, fs in dropped.items() if fs}
    assert sorted(dropped) == [4, 5, 6, 7, 8, 9, 10, 12], found
    for line in range(4, 11):
        [finding] = dropped[line]
        assert finding["severity"] == "warning"
        assert "InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)" in finding["message"]
    assert "keras.Input(shape=(input_length,))" in dropped[12][0]["message"]
    namespace: dict = {}
    lines = DECAY.splitlines()
    exec("\n".join(lines[:3]), namespace)
    for number in range(4, 14):
        statement = lines[number - 1].replace("lr=", "learning_rate=")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(statement, namespace)
        said = " ".join(str(w.message) for w in caught)
        ignored = "will be ignored" in said or "Just remove it" in said
        assert ignored == (number in dropped) or number == 11, (number, said)


SWITCHES = textwrap.dedent(
    """\
    import os
    import keras
    if keras.__version__ < "2":
        from keras.layers import Merge
        merged = Merge([1, 2], mode="concat")
    else:
        from keras.layers import Dense
        dense = Dense(2, output_dim=2)
    if os.system("true") == 0 and keras.__version__ > "2":
        from keras.layers.core import Flatten
    """
)


def test_a_version_switch_is_judged_in_the_branch_the_stack_takes_only(tmp_path, stack):
    """Keras 3's version is not below 2: lines 4-5 never run (no finding), line 8 does. A
    test that calls anything else (line 9) is not evaluated: its imports are judged."""
    found = findings_of(tmp_path, stack, SWITCHES)
    assert sorted(found) == [8, 10], {k: v[0]["message"] for k, v in found.items()}
    assert "does not accept `output_dim`" in found[8][0]["message"]
    assert keras.__version__ >= "2"  # the oracle of the test on line 3


def test_a_star_import_of_the_projects_own_module_binds_what_its_source_binds(tmp_path, stack):
    """``helpers.py`` is read, never run: it defines ``plot`` (not ``Adam``), so ``Adam``
    stays Keras's; ``layers.py`` defines its own ``Dense``, so that one is not Keras's."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "helpers.py").write_text(
        "raise RuntimeError('never run')\ndef plot(history):\n    return history\n"
    )
    (tmp_path / "mylayers.py").write_text(
        "__all__ = ['Dense']\ndef Dense(units, init=None):\n    pass\n"
    )
    source = (
        "from keras.optimizers import Adam\n"
        "from keras.layers import Dense\n"
        "from helpers import *\n"
        "optimizer = Adam(lr=0.1)\n"
        "layer = Dense(2, output_dim=2)\n"
        "from mylayers import *\n"
        "mine = Dense(2, init='uniform')\n"
    )
    found = findings_of(tmp_path, stack, source, "train.py")
    assert sorted(found) == [4, 5], {k: v[0]["message"] for k, v in found.items()}
    assert stack.star_names("helpers", [str(tmp_path)]) == ["plot"]


def test_a_relative_star_import_binds_what_the_sibling_module_binds(tmp_path, stack):
    (tmp_path / "pyproject.toml").write_text("")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "common.py").write_text("EPOCHS = 3\n")
    (package / "train.py").write_text(
        "from keras.optimizers import SGD\nfrom .common import *\nsgd = SGD(lr=0.1)\n"
    )
    found = check_imports.findings([scan(package / "train.py", stack)], stack)
    assert [(f["line"], f["status"]) for f in found] == [(3, "call")]
