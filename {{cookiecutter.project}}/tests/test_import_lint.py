"""The import lint: ruff's banned-API rule flags every dead Keras path, in every form."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest's own dependency tomli is the same parser
    import tomli as tomllib

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).parent / "ruff"
BANNED = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"][
    "flake8-tidy-imports"
]["banned-api"]


def ruff_findings(source: str) -> str:
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--select", "TID251", "--output-format", "concise"]
        + ["--config", str(PROJECT_ROOT / "pyproject.toml"), "--stdin-filename", "snippet.py"],
        input=source,
        capture_output=True,
        text=True,
    )
    return result.stdout


def forms(path: str) -> list[str]:
    """Ways to import a.b.c: `import a.b.c`, `from a.b import c`, `from a.b.c import x`."""
    parent, _, leaf = path.rpartition(".")
    return [f"import {path}\n", f"from {parent} import {leaf}\n", f"from {path} import something\n"]


@pytest.mark.parametrize("path", sorted(BANNED))
def test_every_banned_path_is_flagged_in_every_form_with_its_replacement(path):
    message = BANNED[path]["msg"]
    for source in forms(path):
        out = ruff_findings(source)
        assert f"`{path}` is banned: {message}" in out, source


@pytest.mark.parametrize(
    "source",
    [
        "from keras.api._v2.keras.utils import Sequential\n",
        "import tensorflow as tf\nmodel = tf.keras.Sequential()\n",
        "import keras\nkeras.utils.np_utils.to_categorical([1])\n",
    ],
)
def test_the_classic_error_sources_are_flagged(source):
    assert re.search(r"TID251 `[\w.]+` is banned", ruff_findings(source))


def test_the_project_itself_has_no_banned_imports():
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--select", "TID251", "src", "tests"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
