"""Slow tier: the baked project's own fast tier, run with its ``make test``, on the Python
running these tests and on the oldest offered one (``conftest.SUITE_PYTHONS``).

About 2.5 minutes per Python on 2 cores; the project's slow tier is
``test_project_slow_tier.py``.
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
