"""The ruff banned-API table: every entry's verdict and advice hold on the installed stack."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from stackguard.probe import resolve_one

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest's own dependency tomli is the same parser
    import tomli as tomllib

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).parent / "ruff"
BANNED = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"][
    "flake8-tidy-imports"
]["banned-api"]
# Paths that import, yet are wrong on Keras 3: the stale Keras 2 copy and the stub optimizers.
IMPORTS_BUT_WRONG = {"tensorflow.python.keras", "keras.optimizers.legacy"}


def ruff_findings(source: str) -> str:
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--select", "TID251", "--output-format", "concise"]
        + ["--config", str(PROJECT_ROOT / "pyproject.toml"), "--stdin-filename", "snippet.py"],
        input=source,
        capture_output=True,
        text=True,
    )
    return result.stdout


def resolves(path: str) -> bool:
    return resolve_one({"kind": "chain", "path": path})["ok"]


@pytest.mark.parametrize("path", sorted(BANNED))
def test_every_banned_path_fails_on_the_stack_and_its_advice_resolves(path):
    if path in IMPORTS_BUT_WRONG:
        assert resolves(path), f"{path} no longer imports: update its message"
    else:
        assert not resolves(path), f"{path} resolves on the pinned stack: it must not be banned"
    named = re.findall(r"`([A-Za-z_][\w.]*)`", BANNED[path]["msg"])
    assert named, f"{path}: the message names no replacement"
    for replacement in named:
        assert resolves(replacement), f"{path}: advised `{replacement}` does not resolve"


@pytest.mark.parametrize("path", sorted(BANNED))
def test_every_banned_path_is_flagged_in_every_form(path):
    parent, _, leaf = path.rpartition(".")
    for source in (f"import {path}\n", f"from {parent} import {leaf}\n"):
        assert f"`{path}` is banned: {BANNED[path]['msg']}" in ruff_findings(source), source


def test_working_tensorflow_keras_code_is_not_flagged():
    source = "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n"
    assert "TID251" not in ruff_findings(source)


def test_the_project_itself_has_no_banned_imports():
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--select", "TID251", "src", "tests", "stackguard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
