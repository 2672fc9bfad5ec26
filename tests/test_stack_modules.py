"""cookiecutter.json's ``_stack_modules``: the hook refuses them (fast), they are true (slow).

``_stack_modules`` is generated from the shipped locks by ``make locks``
(scripts/stack_modules.py); the pre-gen hook refuses a ``package`` named like one of its
modules, or like the project's own tool folder ``stackguard``.
"""

from __future__ import annotations

import sys

import pytest
from conftest import COOKIECUTTER_JSON, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import stack_modules

STACK_MODULES = COOKIECUTTER_JSON["_stack_modules"]


def test_the_list_holds_the_stack_and_the_cuda_wheels():
    for module in ("tensorflow", "keras", "tensorboard", "numpy", "nvidia"):
        assert module in STACK_MODULES, module
    assert "protobuf" in STACK_MODULES["google"]  # google-auth too, since mlflow
    assert "nvidia-cudnn-cu12" in STACK_MODULES["nvidia"]


@pytest.mark.parametrize(
    ("package", "message"),
    [
        ("tensorboard", "the project's stack (installed by tensorboard)"),
        ("keras", "the project's stack (installed by keras)"),
        ("numpy", "the project's stack (installed by numpy)"),
        ("google", "the project's stack (installed by google-auth, protobuf)"),
        ("nvidia", "the project's stack (installed by nvidia-cublas-cu12, "),
    ],
)
def test_a_stack_module_is_refused_with_its_distribution(
    cookies, tmp_path, capfd, package, message
):
    result = cookies.bake(extra_context={"package": package})
    assert result.exit_code != 0 and result.exception is not None
    err = capfd.readouterr().err
    assert f"error: package {package!r} would shadow the module {package!r} of {message}" in err
    bakes = (tmp_path / "cookies").iterdir()
    assert [list(bake_dir.iterdir()) for bake_dir in bakes] == [[]]


def test_the_tool_folders_name_is_refused(cookies, tmp_path, capfd):
    result = cookies.bake(extra_context={"package": "stackguard"})
    assert result.exit_code != 0 and result.exception is not None
    err = capfd.readouterr().err
    assert (
        "error: package 'stackguard' would shadow the project's own tool folder stackguard/" in err
    )
    bakes = (tmp_path / "cookies").iterdir()
    assert [list(bake_dir.iterdir()) for bake_dir in bakes] == [[]]


def test_a_harmless_package_name_bakes(bake):
    project = bake(package="tensor_garden")
    assert (project / "src" / "tensor_garden" / "train.py").is_file()


@pytest.mark.slow
def test_the_list_matches_the_installed_project(train_project):
    """The installed project's modules of its pinned distributions are exactly the listed ones.

    Compares both ways, for the distributions of the project's ``requirements/cpu.txt`` and
    ``requirements/dev.txt``: every module the venv has is listed with that distribution,
    and every listed module of those distributions is in the venv. The CUDA-only entries
    (``nvidia`` and its ``nvidia-*-cu12`` wheels) cannot be compared here: ``make install``
    installs the CPU lock, not the CUDA one.
    """
    requirements = train_project / "requirements"
    pinned = stack_modules.pinned(requirements / "cpu.txt") | stack_modules.pinned(
        requirements / "dev.txt"
    )
    installed = stack_modules.probe(train_project / ".venv", pinned)
    listed = stack_modules.restrict(STACK_MODULES, pinned)
    assert installed, "the probe found no module in the project's venv"
    assert sorted(set(installed) - set(listed)) == [], "installed but not listed"
    assert sorted(set(listed) - set(installed)) == [], "listed but not installed"
    assert installed == listed
