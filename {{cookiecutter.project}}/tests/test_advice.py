"""The hand-written advice (``stackguard.advice``): every path it names resolves."""

import pytest

from stackguard.advice import ADVICE, KEYWORD_SUCCESSORS, METHOD_ADVICE
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
