"""Slow tier: the baked project's own test suite, run with its ``make test``.

Its fast tier on the Python running these tests and on the oldest offered one
(``conftest.SUITE_PYTHONS``), and its slow tier on the Python running these tests. The
longest file of the template's tests (about 13 minutes on 2 cores): ``conftest`` hands it
to a worker first.
"""

from __future__ import annotations

import re

import pytest
from conftest import make, summary_line

pytestmark = pytest.mark.slow


def test_project_tests_pass(suite_project):
    _, project = suite_project
    summary = summary_line(make(project, "test").stdout)
    assert re.search(r"\b\d+ passed\b", summary), summary
    assert not re.search(r"\b\d+ (failed|errors?)\b", summary), summary


def test_project_slow_tests_pass(train_project):
    """The project's own slow tier: demo data learned by both loaders, doctor scratch venvs."""
    summary = summary_line(make(train_project, "test", "ARGS=-m slow").stdout)
    assert re.search(r"\b\d+ passed\b", summary), summary
    assert not re.search(r"\b\d+ (failed|errors?|skipped)\b", summary), summary
