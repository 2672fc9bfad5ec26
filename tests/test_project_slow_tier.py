"""Slow tier: the baked project's own slow tier, run with its ``make test ARGS="-m slow"``
on the Python running these tests.

The longest test of the template (about 7 minutes on 2 cores): ``conftest.LONGEST_FILES``
hands this file to a worker first. The project's fast tier is ``test_project_fast_tier.py``.
"""

from __future__ import annotations

import re

import pytest
from conftest import make, summary_line

pytestmark = pytest.mark.slow


def test_project_slow_tests_pass(train_project):
    """The project's own slow tier: demo data learned by both loaders, doctor scratch venvs."""
    summary = summary_line(make(train_project, "test", "ARGS=-m slow").stdout)
    assert re.search(r"\b\d+ passed\b", summary), summary
    assert not re.search(r"\b\d+ (failed|errors?|skipped)\b", summary), summary
