"""Fast tier: the template's own Python passes ``make lint`` (ruff check, ruff format)."""

from __future__ import annotations

import subprocess

from conftest import ROOT, project_env


def test_the_templates_own_python_passes_make_lint():
    result = subprocess.run(
        ["make", "lint"], cwd=ROOT, env=project_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
