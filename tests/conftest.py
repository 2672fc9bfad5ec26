"""Shared helpers of the template tests: the template's choices, baking, file listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COOKIECUTTER_JSON = json.loads((ROOT / "cookiecutter.json").read_text())
PYTHONS = COOKIECUTTER_JSON["python_version"]
LOCKS = ("cpu.txt", "cuda.txt", "dev.txt")


def project_files(project: Path) -> set[str]:
    """Every file of a baked project outside ``.git/``, as POSIX paths relative to it."""
    return {
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }


@pytest.fixture
def bake(cookies):
    """Bake with ``extra_context``; assert success; return the project's Path."""

    def _bake(**context) -> Path:
        result = cookies.bake(extra_context=context)
        assert result.exit_code == 0, result.exception
        assert result.exception is None
        return result.project_path

    return _bake
