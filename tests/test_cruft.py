"""Template updates with cruft, for real: create, edit, change the template, update, check.

Runs the pinned cruft of the template's tools (requirements.txt) on a scratch git copy of
this template's working tree, so that the test sees the template as it is now. cruft
clones the template with git and bakes with cookiecutter, hooks included; nothing is
mocked. https://cruft.github.io/cruft/
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, git, make, project_env

CRUFT = Path(sys.executable).parent / "cruft"
# Not part of the template: caches, venvs, bakes and the validator's node_modules.
SCRATCH_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".cache", "__pycache__", ".pytest_cache", ".ruff_cache", "demo",
    "node_modules",
)  # fmt: skip


def cruft(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(CRUFT), *args], cwd=cwd, env=project_env(), capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, f"cruft {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def template_repo(tmp_path) -> Path:
    """A git repository holding a copy of this template's files, one commit."""
    repo = tmp_path / "keras-template"
    shutil.copytree(ROOT, repo, ignore=SCRATCH_IGNORE)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "template v1")
    return repo


@pytest.mark.slow
def test_cruft_update_brings_a_template_change_and_keeps_a_local_edit(template_repo, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    python = "3.12"
    cruft(work, "create", "--no-input", str(template_repo),
          "--extra-context", json.dumps({"python_version": python}))  # fmt: skip
    project = work / "keras-project"
    state = json.loads((project / ".cruft.json").read_text())
    assert state["template"] == str(template_repo)
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Bake from keras-template")
    cruft(project, "check")

    # The project's own edit.
    model = project / "src" / "keras_project" / "model.py"
    model.write_text(model.read_text() + "\n# our own change: keep me\n")
    git(project, "commit", "--quiet", "-am", "Our own change")

    # The template moves on: a file and a pin.
    makefile = template_repo / "{{cookiecutter.project}}" / "Makefile"
    makefile.write_text(makefile.read_text() + "\n# template v2: a new comment\n")
    context_file = template_repo / "cookiecutter.json"
    context = json.loads(context_file.read_text())
    old_keras = context["_keras_version"][python]
    context["_keras_version"][python] = "3.99.0"
    context_file.write_text(json.dumps(context, indent=2) + "\n")
    git(template_repo, "commit", "--quiet", "-am", "template v2: new Keras pin")
    head = git(template_repo, "rev-parse", "HEAD").stdout.strip()

    behind = cruft(project, "check", check=False)
    assert behind.returncode != 0 and "out of date" in behind.stdout + behind.stderr

    cruft(project, "update", "-y")
    assert "# template v2: a new comment" in (project / "Makefile").read_text()
    for in_file in ("cpu.in", "cuda.in"):
        text = (project / "requirements" / in_file).read_text()
        assert "keras==3.99.0" in text and f"keras=={old_keras}" not in text, in_file
    assert "# our own change: keep me" in model.read_text()
    assert not list(project.rglob("*.rej")), "the update conflicted"
    assert json.loads((project / ".cruft.json").read_text())["commit"] == head
    cruft(project, "check")


@pytest.mark.slow
def test_a_project_baked_with_plain_cookiecutter_passes_cruft_check_and_is_told_how_to_link(
    train_project,
):
    """CI's optional template job runs `make cruft-check`: it must not fail such a project."""
    assert not (train_project / ".cruft.json").exists()
    check = make(train_project, "cruft-check")
    assert "cruft-check: no .cruft.json (baked with plain cookiecutter)" in check.stdout
    update = make(train_project, "update", check=False)
    assert update.returncode != 0
    assert "error: no .cruft.json" in update.stderr and "cruft link <template URL>" in update.stderr
