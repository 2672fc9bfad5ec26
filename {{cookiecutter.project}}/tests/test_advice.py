"""The hand-written advice (``stackguard.advice``): every path it names resolves."""

import pytest

from stackguard.advice import ADVICE
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
