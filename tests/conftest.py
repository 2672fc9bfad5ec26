"""Shared helpers of the template tests: the template's choices, baking, file listing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COOKIECUTTER_JSON = json.loads((ROOT / "cookiecutter.json").read_text())
PYTHONS = COOKIECUTTER_JSON["python_version"]
LOCKS = ("cpu.txt", "cuda.txt", "dev.txt")


# pytest-xdist (``--dist=loadfile``, pyproject.toml) hands whole files to its workers in
# collection order. The longest files go first (longest-processing-time-first), so that no
# worker starts a long file while the others are finishing. Longest first, by pytest
# --durations of a clean-clone make test on 2 cores (2026-12-05).
LONGEST_FILES = (
    "test_project_slow_tier.py",  # ~7 min: the project's slow tier
    "test_project_fast_tier.py",  # ~5.5 min: the project's fast tier on two Pythons
    "test_baked_project.py",  # ~5 min
    "test_image.py",
    "test_swap.py",
    "test_table_example.py",
    "test_swap_table.py",
    "test_lock_bots.py",
    "test_stack_guard.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the tests of ``LONGEST_FILES`` first, in that order (a stable sort: the order of
    the tests within a file is kept)."""
    rank = {name: index for index, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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


# Slow tier: one baked-and-installed project per Python, shared by every test module.
RUNNING = "{}.{}".format(*sys.version_info[:2])
TRAIN_PYTHON = RUNNING if RUNNING in PYTHONS else PYTHONS[0]


def project_env() -> dict[str, str]:
    """This environment less what belongs to the test run: its venv, path, and make."""
    # A make of our own (make test at the template root) must not pass its level or flags on.
    outer = ("VIRTUAL_ENV", "PYTHONPATH", "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")
    env = {k: v for k, v in os.environ.items() if k not in outer}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def make(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``make ARGS`` in the project; show its output when it fails."""
    result = subprocess.run(
        ["make", *args],
        cwd=project,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
    )
    if check:
        assert result.returncode == 0, f"make {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def summary_line(out: str) -> str:
    """The closing ``N passed ... in Ns`` line of a pytest run's output."""
    lines = [line for line in out.splitlines() if re.search(r" in [\d.]+s", line)]
    assert lines, out[-2000:]
    return lines[-1]


def python_available(version: str, folder: Path) -> bool:
    """Whether ``python<version>`` runs in ``folder`` (whose .python-version pyenv honours)."""
    try:
        probe = subprocess.run(
            [f"python{version}", "-c", "pass"],
            cwd=folder,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        return False
    return probe.returncode == 0


_INSTALLED: dict[str, Path] = {}

# The answers of the shared installed projects (``install``): the short names that made
# ruff format rewrite a fresh project (issue 27: ``src/kt_demo/data/check.py``), and free
# text with quotes, a backslash, unicode and an emoji. The slow tier thus runs a project's
# own commands, tests and pre-commit hooks on odd answers rather than on the defaults.
ODD_ANSWERS = {
    "project_name": 'Kt "Démo" \\ 🐱',
    "project": "kt-demo",
    "package": "kt_demo",
    "description": 'Says "hi" \\ and \'bye\' in ünïcode 🐱, <tags> & a """ triple',
    "author_name": 'Zoë O\'Brien "Z" \\',
    "author_email": "zoe.o'brien@example.com",
}


def install(python: str, cookies_session) -> Path:
    """Bake for ``python`` with ``ODD_ANSWERS`` and ``make install``, once per Python per
    session."""
    if python not in _INSTALLED:
        result = cookies_session.bake(extra_context={**ODD_ANSWERS, "python_version": python})
        assert result.exit_code == 0, result.exception
        project = result.project_path
        if not python_available(python, project):
            pytest.skip(f"python{python} is not installed on this machine")
        make(project, "install")
        _INSTALLED[python] = project
    return _INSTALLED[python]


@pytest.fixture(scope="session", params=PYTHONS, ids=[f"py{p}" for p in PYTHONS])
def installed_project(request, cookies_session):
    """A baked project of one offered Python after ``make install``."""
    return request.param, install(request.param, cookies_session)


# The project's whole fast tier runs on the Python of the tests and on the oldest offered
# one, the only Python whose lock holds another Keras (3.12 on 3.10): the suite exercises
# the package's logic, which the other Pythons share with these two, and each of them still
# gets make install and make smoke, whose package checks train, save and export for real.
OLDEST_PYTHON = min(PYTHONS, key=lambda version: tuple(map(int, version.split("."))))
SUITE_PYTHONS = sorted({TRAIN_PYTHON, OLDEST_PYTHON})


@pytest.fixture(scope="session", params=SUITE_PYTHONS, ids=[f"py{p}" for p in SUITE_PYTHONS])
def suite_project(request, cookies_session):
    """A baked project after ``make install``, for each Python of ``SUITE_PYTHONS``."""
    return request.param, install(request.param, cookies_session)


@pytest.fixture(scope="session")
def train_project(cookies_session) -> Path:
    """The installed project of the Python running the tests (or the default one)."""
    return install(TRAIN_PYTHON, cookies_session)


def git(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run git in the project with a throwaway identity."""
    env = project_env()
    env.update(GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.com")
    env.update(GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.com")
    return subprocess.run(
        ["git", *args], cwd=project, env=env, capture_output=True, text=True, check=check
    )


def bake_swapped(cookies_session, project_name: str, files: dict[str, Path]) -> Path:
    """A project of ``TRAIN_PYTHON`` baked as ``project_name`` and committed, then the
    user's own ``files`` (``{path in the package: source}``) copied over the example's, then
    ``make install``: the swap tests' project, a bake of its own since they edit it."""
    result = cookies_session.bake(
        extra_context={"project_name": project_name, "python_version": TRAIN_PYTHON}
    )
    assert result.exit_code == 0, result.exception
    project = result.project_path
    if not python_available(TRAIN_PYTHON, project):
        pytest.skip(f"python{TRAIN_PYTHON} is not installed on this machine")
    git(project, "commit", "-q", "-m", "Bake")
    package = project / "src" / project.name.replace("-", "_")
    for name, source in files.items():
        shutil.copyfile(source, package / name)
    make(project, "install")
    return project
