"""Slow tier: bake, then run the baked project's own commands for real, no mocks.

For every offered Python installed here: ``make install`` (hash-checked install from the
shipped locks) and ``make smoke``. For the Python running these tests: also ``make data``,
``make train`` with each loader, and ``make lock-check`` (passing on the shipped locks, and
failing on each kind of stale or hand-edited lock). The project's own test suite runs in
``test_project_fast_tier.py`` and ``test_project_slow_tier.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import ODD_ANSWERS, RUNNING, TRAIN_PYTHON, git, make

pytestmark = pytest.mark.slow


def test_smoke_test_passes_on_the_installed_lock(installed_project):
    python, project = installed_project
    out = make(project, "smoke").stdout
    assert "FAIL" not in out
    assert "PASS versions:" in out and "requirements/cpu.txt" in out
    assert "PASS data sequence:" in out and "PASS data tf-data:" in out
    assert "PASS train:" in out and "PASS export:" in out
    version = subprocess.run(
        [".venv/bin/python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        cwd=project, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert version == python


def test_make_doctor_passes_and_names_every_check(train_project):
    out = make(train_project, "doctor").stdout
    assert "FAIL" not in out
    for check in ("python", "venv", "lock", "requirements", "duplicates", "shadowing"):
        assert f"PASS {check}:" in out


def test_demo_data_trains_above_0_8_with_both_loaders(train_project):
    project = train_project
    make(project, "data")
    for loader in ("sequence", "tf-data"):
        make(project, "train", f"LOADER={loader}", "EPOCHS=5", f"OUTPUT=artifacts/{loader}")
        metrics = json.loads((project / "artifacts" / loader / "metrics.json").read_text())
        assert metrics["loader"] == loader and metrics["epochs"] == 5
        assert metrics["val_accuracy"] >= 0.8, metrics
        assert (project / "artifacts" / loader / "model.keras").is_file()


def test_make_lock_check_passes_on_the_shipped_locks(train_project):
    out = make(train_project, "lock-check").stdout
    for lock in ("cpu", "cuda", "dev"):
        assert f"lock-check: requirements/{lock}.txt is fresh" in out


def test_missing_venv_and_bad_data_get_one_clear_message(train_project, tmp_path):
    python, project = TRAIN_PYTHON, train_project
    bad = make(project, "train", f"DATA={tmp_path / 'nowhere'}", check=False)
    assert bad.returncode != 0
    assert f"error: data folder {tmp_path / 'nowhere'} does not exist" in bad.stderr
    (project / ".venv").rename(project / ".venv-away")
    try:
        missing = make(project, "smoke", check=False)
    finally:
        (project / ".venv-away").rename(project / ".venv")
    assert missing.returncode != 0
    assert "error: .venv not found. Run 'make install' first." in missing.stderr
    no_python = make(project, "install", "PYTHON=python3.99", check=False)
    assert no_python.returncode != 0
    assert f"error: python3.99 not found. Install Python {python}" in no_python.stderr
    wrong = make(project, "install", f"PYTHON={sys.executable}", "PYTHON_VERSION=3.99", check=False)
    assert wrong.returncode != 0
    assert f"is Python {RUNNING} but this project's lock files are for Python 3.99" in wrong.stderr


def test_pre_commit_passes_on_a_fresh_project_without_changing_a_file(train_project):
    """``pre-commit run --all-files`` on a project baked with ``ODD_ANSWERS`` (conftest):
    every hook passes and none changes a file.

    The bake is staged and never committed (the smoke-hook test below needs a repository
    without a commit), so ``git status`` lists every file as added: a hook's change would
    show as a modified file (``AM``) and in ``git diff``.
    """
    assert (train_project / ".git" / "hooks" / "pre-commit").is_file(), "make install's hook"
    package = train_project / "src" / ODD_ANSWERS["package"]
    assert train_project.name == ODD_ANSWERS["project"] and package.is_dir()
    before = git(train_project, "status", "--porcelain").stdout
    assert before and all(line.startswith("A  ") for line in before.splitlines()), before
    out = make(train_project, "pre-commit").stdout  # asserts exit status 0
    assert "import smoke test" in out and "Passed" in out and "Failed" not in out
    assert git(train_project, "diff", "--stat").stdout == ""
    assert git(train_project, "status", "--porcelain").stdout == before


def test_a_commit_adding_a_dead_keras_import_is_refused_by_the_smoke_hook(train_project):
    package = next((train_project / "src").iterdir()).name
    model = train_project / "src" / package / "model.py"
    original = model.read_text()
    bad_import = "from keras.api._v2.keras.utils import Sequential"
    model.write_text(original + f"\n{bad_import}  # noqa: E402, F401\n")
    try:
        git(train_project, "add", str(model))
        commit = git(train_project, "commit", "-m", "use an old import", check=False)
        out = commit.stdout + commit.stderr
        assert commit.returncode != 0, out
        assert re.search(r"import smoke test\.+Failed", out), out
        assert f"src/{package}/model.py" in out and bad_import in out
        assert "No module named 'keras.api'" in out
        assert git(train_project, "rev-parse", "--verify", "HEAD", check=False).returncode != 0
    finally:
        model.write_text(original)
        git(train_project, "add", str(model))


def six_block(text: str) -> str:
    """The ``six==...`` line of a lock with its hash lines."""
    return re.search(r"^six==.*\n(?:\s+--hash=.*\n)+", text, re.MULTILINE).group(0)


def edit_stale_in(requirements):
    """An .in edited without make lock: a package cpu.txt lacks."""
    path = requirements / "cpu.in"
    path.write_text(path.read_text() + "humanize\n")  # required by nothing in the locks
    return "error: requirements/cpu.txt: humanize==", "is missing: requirements/cpu.in needs it now"


def edit_pin(requirements):
    """six's pin moved by hand; its hashes are the old release's."""
    path = requirements / "cpu.txt"
    text = path.read_text()
    pinned = re.search(r"^six==(\S+)", text, re.MULTILINE).group(1)
    assert pinned != "1.16.0"
    path.write_text(text.replace(f"\nsix=={pinned} ", "\nsix==1.16.0 "))
    return (
        "error: requirements/cpu.txt: six==1.16.0 has 2 hash(es) the index does not serve",
        "a hand-edited pin or hash",
    )


def edit_hash(requirements):
    """One digit of one of six's hashes changed."""
    path = requirements / "cpu.txt"
    text = path.read_text()
    block = six_block(text)
    digest = re.search(r"sha256:([0-9a-f]{64})", block).group(1)
    flipped = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    path.write_text(text.replace(block, block.replace(digest, flipped)))
    return "error: requirements/cpu.txt: six==", "has 1 hash(es) the index does not serve for it"


def drop_hash(requirements):
    """One of six's hash lines deleted."""
    path = requirements / "cpu.txt"
    text = path.read_text()
    block = six_block(text)
    lines = block.splitlines(True)
    assert len(lines) >= 3, block  # the pin and at least two hashes
    kept = [lines[0], *lines[2:]]
    kept[-1] = kept[-1].replace(" \\\n", "\n")
    path.write_text(text.replace(block, "".join(kept)))
    return "error: requirements/cpu.txt: six==", "has 1 of its hashes missing"


def bump_cpu_alone(requirements):
    """cpu.txt re-locked with six at 1.16.0 (pins and hashes genuine), cuda.txt left as is."""
    uv = requirements.parent / ".venv" / "bin" / "uv"
    subprocess.run(
        [str(uv), "pip", "compile", "--quiet", "--no-python-downloads",
         "--python-version", TRAIN_PYTHON, "--generate-hashes", "--upgrade-package",
         "six==1.16.0", "--output-file", "cpu.txt", "cpu.in"],
        cwd=requirements, check=True, capture_output=True,
    )  # fmt: skip
    return (
        "error: requirements/cuda.txt: six==",
        "is behind requirements/cpu.txt, which pins six==1.16.0",
    )


@pytest.mark.parametrize("edit", [edit_stale_in, edit_pin, edit_hash, drop_hash, bump_cpu_alone])
def test_make_lock_check_fails_naming_the_lock_and_the_package(train_project, edit):
    """Each way a lock goes wrong: lock-check exits non-zero, names the lock and the
    package, and prints the fix (make lock)."""
    requirements = train_project / "requirements"
    originals = {path: path.read_text() for path in requirements.iterdir() if path.is_file()}
    try:
        start, end = edit(requirements)
        result = make(train_project, "lock-check", "VARIANTS=cpu cuda", check=False)
    finally:
        for path, text in originals.items():
            path.write_text(text)
    assert result.returncode != 0, result.stdout + result.stderr
    assert any(line.startswith(start) and end in line for line in result.stderr.splitlines()), (
        result.stderr
    )
    assert "Run 'make lock' and commit requirements/." in result.stderr
