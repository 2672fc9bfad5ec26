"""The hand-written advice (``stackguard.advice``): every path it names resolves."""

import numpy as np
import pytest

from stackguard.advice import ADVICE, DROPPED_ADVICE, KEYWORD_SUCCESSORS, METHOD_ADVICE
from stackguard.stack import Stack


@pytest.fixture(scope="module")
def stack():
    with Stack() as probe:
        yield probe


@pytest.mark.parametrize("leaf", sorted(ADVICE))
def test_every_path_the_advice_names_resolves_and_appears_in_its_text(stack, leaf):
    text, paths = ADVICE[leaf]
    assert paths, f"the advice for {leaf} names nothing"
    answers = stack.resolve([{"kind": "chain", "path": path} for path in paths])
    for path, answer in zip(paths, answers, strict=True):
        assert answer["ok"], f"{leaf}: advised {path} does not resolve: {answer.get('error')}"
        shown = path.replace("tensorflow.", "tf.", 1)
        assert path in text or shown in text, f"{leaf}: {path} is not in the advice text"


def model_arguments() -> dict:
    import keras

    inputs = keras.Input((3,))
    return {"input": inputs, "output": keras.layers.Dense(2)(inputs)}


def constructors():
    """Per ``KEYWORD_SUCCESSORS`` key: the class to build and the keywords of one call."""
    import keras

    return {
        ("optimizer", "lr"): (keras.optimizers.Adam, lambda: {"lr": 0.01}),
        ("Model", "input"): (keras.Model, model_arguments),
        ("Model", "output"): (keras.Model, model_arguments),
        ("L1", "l"): (keras.regularizers.L1, lambda: {"l": 0.01}),
        ("L2", "l"): (keras.regularizers.L2, lambda: {"l": 0.01}),
        ("ModelCheckpoint", "period"): (
            keras.callbacks.ModelCheckpoint,
            lambda: {"filepath": "best.keras", "period": 1},
        ),
    }


@pytest.mark.parametrize("key", sorted(KEYWORD_SUCCESSORS))
def test_each_keyword_successor_is_proven_the_old_keyword_raises_the_new_one_works(key):
    """``ModelCheckpoint(period=1)`` raises; ``ModelCheckpoint(save_freq=1)`` builds."""
    cases = constructors()
    assert set(cases) == set(KEYWORD_SUCCESSORS), "every successor needs a case here"
    klass, arguments = cases[key]
    old = arguments()
    with pytest.raises((TypeError, ValueError), match=key[1]):
        klass(**old)
    renames = {o: s[0] for (k, o), s in KEYWORD_SUCCESSORS.items() if k == key[0] and o in old}
    klass(**{renames.get(name, name): value for name, value in old.items()})
    new, same, differs = KEYWORD_SUCCESSORS[key]
    assert same or f"`{new}" in differs, "a successor of another meaning says what differs"


@pytest.mark.parametrize("method", sorted(METHOD_ADVICE))
def test_method_advice_is_for_a_removed_method_and_names_what_resolves(stack, method):
    import keras

    assert method in stack.removed_methods(), f"Keras 2's Model had no {method}"
    assert not hasattr(keras.Model, method)
    text, paths = METHOD_ADVICE[method]
    answers = stack.resolve([{"kind": "chain", "path": path} for path in paths])
    for path, answer in zip(paths, answers, strict=True):
        assert answer["ok"], f"{method}: advised {path} does not resolve: {answer.get('error')}"
        assert path in text or f".{path.rpartition('.')[2]}" in text, path


def test_removed_methods_come_from_the_installed_stack(stack):
    """Keras 2's ``Sequential.predict_classes`` is gone from ``keras.Model``; ``fit`` is not."""
    removed = stack.removed_methods()
    assert removed["predict_classes"] == "Sequential" and "fit" not in removed
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    for method in removed:
        with pytest.raises(AttributeError):
            getattr(model, method)


def keras2_and_keras3_optimizers(name: str, rate: float, decay: float):
    """Keras 2's optimizer with ``decay`` (TensorFlow's internal Keras 2 copy, the code
    Keras 2 ran) and Keras 3's with the advised ``InverseTimeDecay`` schedule."""
    import importlib

    import keras

    # The stale copy on purpose, as the reference (the guard flags it in user code).
    module, klass = {"SGD": ("gradient_descent", "SGD"), "Adam": ("adam", "Adam"),
                     "RMSprop": ("rmsprop", "RMSprop")}[name]  # fmt: skip
    copy = importlib.import_module(f"tensorflow.python.keras.optimizer_v2.{module}")
    old = getattr(copy, klass)
    schedule = keras.optimizers.schedules.InverseTimeDecay(rate, decay_steps=1, decay_rate=decay)
    return old(learning_rate=rate, decay=decay), getattr(keras.optimizers, name)(schedule)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_decay_is_inverse_time_decay_the_same_updates_step_by_step(name):
    """The rewrite ``make migrate`` writes for ``decay=`` (``DROPPED_ADVICE``): ten steps of
    Keras 2's optimizer and of Keras 3's with the schedule move a variable alike."""
    import keras
    import tensorflow as tf

    assert DROPPED_ADVICE[("optimizer", "decay")][2], "only a proven entry is rewritten"
    old, new = keras2_and_keras3_optimizers(name, 0.1, 0.05)
    before, after = tf.Variable([1.0, -2.0, 0.5]), keras.Variable([1.0, -2.0, 0.5])
    for step in range(10):
        gradient = tf.constant([0.5, 0.25, -1.0]) * (step + 1)
        old.apply_gradients([(gradient, before)])
        new.apply_gradients([(gradient, after)])
    # Keras 2's and 3's Adam place epsilon differently: alike to 1e-4, not bit for bit
    assert np.allclose(before.numpy(), keras.ops.convert_to_numpy(after), rtol=1e-4, atol=1e-5)
    constant = getattr(keras.optimizers, name)(0.1)  # the decay matters: without it, not alike
    plain = keras.Variable([1.0, -2.0, 0.5])
    for step in range(10):
        constant.apply_gradients([(tf.constant([0.5, 0.25, -1.0]) * (step + 1), plain)])
    assert not np.allclose(keras.ops.convert_to_numpy(plain), before.numpy(), rtol=1e-2)


def dropped_cases() -> dict:
    """Per ``DROPPED_ADVICE`` key: a call of a class of that kind with the keyword."""
    return {
        ("optimizer", "decay"): {"path": "keras.optimizers.Adam", "positional": 0},
        ("Embedding", "input_length"): {"path": "keras.layers.Embedding", "positional": 2},
    }


@pytest.mark.parametrize("key", sorted(DROPPED_ADVICE))
def test_each_dropped_keyword_is_dropped_by_the_stack_and_its_advice_resolves(stack, key):
    cases = dropped_cases()
    assert set(cases) == set(DROPPED_ADVICE), "every entry needs a case here"
    [found] = stack.dropped([{**cases[key], "keywords": [key[1]]}])
    assert key[1] in found["dropped"], found
    meaning, equivalent, _, paths = DROPPED_ADVICE[key]
    answers = stack.resolve([{"kind": "chain", "path": path} for path in paths])
    for path, answer in zip(paths, answers, strict=True):
        assert answer["ok"] and path in equivalent, path


def test_a_keyword_that_is_used_is_not_dropped_though_it_warns(stack):
    """``Dense(input_shape=)`` warns, but the layer keeps it: not a dropped keyword."""
    import keras

    with pytest.warns(UserWarning, match="input_shape"):
        layer = keras.layers.Dense(3, input_shape=(4,))
    assert layer._input_shape_arg == (4,)
    [found] = stack.dropped(
        [{"path": "keras.layers.Dense", "positional": 1, "keywords": ["input_shape"]}]
    )
    assert found["dropped"] == {}
