"""Fast tier: a fresh bake passes its own ruff whatever its names.

A templated line whose length depends on a name can make ``ruff format`` rewrite a fresh
project (``src/kt_demo/data/check.py`` did) or ``ruff check`` flag it (a line too long,
imports sorted by name). Each bake of the matrix below (package names of one letter, the
default and the longest accepted, times every ``ci`` choice, and every ``python_version``)
runs the project's pinned ruff with the project's own configuration. By construction the
package's code names the package nowhere (relative imports, ``__package__``); that is
checked too. The full pre-commit run on odd answers is in the slow tier
(``test_baked_project.py``, on ``conftest.ODD_ANSWERS``).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import COOKIECUTTER_JSON, ODD_ANSWERS, ROOT, project_files

# The longest project and package names the pre-generation hook accepts.
MAX_NAME_LENGTH = 50
RUFF = Path(sys.executable).parent / "ruff"

# {id: extra context}. "a" sorts before every other first-party module (conftest,
# stackguard), the long one after them; the default is keras-project / keras_project.
NAMES = {
    "one-letter": {"project": "a", "package": "a"},
    "issue-27": {"project": "kt-demo", "package": "kt_demo"},
    "default": {},
    "longest": {
        "project": "z" + "-long" * 9 + "-end",
        "package": "z" + "_long" * 9 + "_end",
    },
}
CIS = COOKIECUTTER_JSON["ci"]


def test_the_longest_names_are_at_the_hooks_limit():
    assert len(NAMES["longest"]["project"]) == MAX_NAME_LENGTH
    assert len(NAMES["longest"]["package"]) == MAX_NAME_LENGTH


def test_the_template_venvs_ruff_is_the_projects_pin():
    """The name matrix runs the template's ruff; it must be the one the projects lock."""
    version = subprocess.run(
        [str(RUFF), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    locks = sorted((ROOT / "{{cookiecutter.project}}" / "requirements").glob("py3.*/dev.txt"))
    assert locks
    for lock in locks:
        pins = re.findall(r"^ruff==(\S+)", lock.read_text(), flags=re.MULTILINE)
        assert pins == [version], lock


def ruff_findings(project: Path) -> str:
    """What ``ruff format --check`` and ``ruff check`` say about a project ('' if nothing)."""
    out = []
    for args in (["format", "--check", "--diff"], ["check", "--output-format", "concise"]):
        result = subprocess.run(
            [str(RUFF), *args, "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            out.append(f"$ ruff {' '.join(args)}\n{result.stdout}{result.stderr}")
    return "\n".join(out)


def whitespace_findings(project: Path) -> list[str]:
    """Files that pre-commit's end-of-file-fixer or trailing-whitespace hook would change."""
    found = []
    for name in sorted(project_files(project)):
        data = (project / name).read_bytes()
        if b"\0" in data or not data:
            continue
        if not data.endswith(b"\n") or data.endswith(b"\n\n"):
            found.append(f"{name}: end of file")
        for number, line in enumerate(data.splitlines(), 1):
            if line != line.rstrip():
                found.append(f"{name}:{number}: trailing whitespace")
    return found


@pytest.mark.parametrize("ci", CIS)
@pytest.mark.parametrize("names", NAMES.values(), ids=NAMES.keys())
def test_a_fresh_bake_passes_ruff_for_every_name_length_and_ci(bake, names, ci):
    project = bake(**names, ci=ci, git_init=False)
    assert ruff_findings(project) == ""
    assert whitespace_findings(project) == []


@pytest.mark.parametrize("example", COOKIECUTTER_JSON["example"][1:])
@pytest.mark.parametrize("names", NAMES.values(), ids=NAMES.keys())
def test_every_other_example_passes_ruff_for_every_name_length(bake, names, example):
    """The examples besides the default (whose bakes are above), at every name length."""
    project = bake(**names, example=example, git_init=False)
    assert ruff_findings(project) == ""
    assert whitespace_findings(project) == []


@pytest.mark.parametrize("python_version", COOKIECUTTER_JSON["python_version"])
def test_a_fresh_bake_passes_ruff_for_every_python(bake, python_version):
    """ruff's ``target-version`` follows the Python: pyupgrade rules differ by version."""
    project = bake(python_version=python_version, git_init=False)
    assert ruff_findings(project) == ""


def test_odd_free_text_gives_valid_toml_and_files_the_whitespace_hooks_leave_alone(bake):
    """The slow tier's shared bake (``conftest.ODD_ANSWERS``): quotes, a backslash, unicode
    and an emoji (a surrogate pair in JSON, which TOML refuses) in the free text."""
    project = bake(**ODD_ANSWERS, git_init=False)
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["description"] == ODD_ANSWERS["description"]
    assert meta["authors"] == [
        {"name": ODD_ANSWERS["author_name"], "email": ODD_ANSWERS["author_email"]}
    ]
    assert ruff_findings(project) == ""
    assert whitespace_findings(project) == []


def name_bearing_code(path: Path, package: str) -> list[str]:
    """The import statements and string literals of ``path`` that name ``package``, outside
    docstrings (a docstring's example may name it: it is not code)."""
    source = path.read_text()
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [] if id(node) in docstrings else [node.value]
        else:
            continue
        if any(re.search(rf"\b{package}\b", name) for name in names):
            found.append(f"{path.name}:{node.lineno}: {ast.get_source_segment(source, node)}")
    return found


def test_the_package_names_itself_nowhere_in_its_code(bake):
    """By construction: the package imports itself relatively and builds its ``python -m``
    strings from ``__package__``, so no line of its code depends on the name. An absolute
    self-import added later fails here, at any name length, before ruff ever sees it."""
    package = "kt_demo"
    project = bake(project="kt-demo", package=package, git_init=False)
    files = sorted((project / "src" / package).rglob("*.py"))
    assert len(files) > 20
    assert [line for path in files for line in name_bearing_code(path, package)] == []


def test_a_dotted_project_name_is_one_script_name_in_pyproject(bake):
    """``cat.classifier-train = ...`` would be a dotted TOML key: a table ``cat`` holding
    ``classifier-train``, which no installer accepts as a script."""
    project = bake(project="cat.classifier", package="cat_classifier", git_init=False)
    scripts = tomllib.loads((project / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"cat.classifier-train": "cat_classifier.train:main"}
