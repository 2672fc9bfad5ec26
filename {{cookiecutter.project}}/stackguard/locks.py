"""Lock files, installed distributions and the venv: what the doctor and the smoke test share.

Standard library only, so that it works when ``import keras`` or the project's own package
is what fails. ``PACKAGE`` is the project's import name, the thing the smoke test tests.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from .result import Result

PACKAGE = "{{ cookiecutter.package }}"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def venv_python(root: Path = PROJECT_ROOT) -> Path:
    """The project's venv interpreter, whether or not it exists yet.

    ``<root>/.venv/bin/python`` (Windows: ``.venv/Scripts/python.exe``), the interpreter
    ``make install`` creates and the project's Jupyter kernel must run.
    """
    scripts = "Scripts" if sys.platform == "win32" else "bin"
    suffix = ".exe" if sys.platform == "win32" else ""
    return root / ".venv" / scripts / f"python{suffix}"


def normalize(name: str) -> str:
    """PEP 503 normalized distribution name (``Typing_Extensions`` -> ``typing-extensions``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(lock_file: Path) -> dict[str, str]:
    """``{normalized name: version}`` of the ``name==version`` lines of a pip-compile lock."""
    pins = {}
    for line in lock_file.read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[normalize(match.group(1))] = match.group(2)
    return pins


def installed_versions() -> dict[str, str]:
    """``{normalized name: version}`` of the distributions importable by this interpreter."""
    return {
        normalize(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"]
    }


def active_locks(requirements: Path, installed: dict[str, str]) -> list[Path]:
    """The lock files this environment was installed from: CPU or CUDA, plus dev.

    The CUDA lock is active when any package that only it pins (the NVIDIA wheels) is
    installed.
    """
    cpu, cuda = requirements / "cpu.txt", requirements / "cuda.txt"
    variant = cpu
    if cuda.exists() and cpu.exists():
        cuda_only = set(read_pins(cuda)) - set(read_pins(cpu))
        if cuda_only & set(installed):
            variant = cuda
    return [variant, requirements / "dev.txt"]


def check_versions(lock_files: Iterable[Path], installed: dict[str, str]) -> Result:
    """Compare every pin of ``lock_files`` with the installed versions; name each mismatch."""
    lock_files = list(lock_files)
    names = " + ".join(str(p) for p in lock_files)
    missing_files = [str(p) for p in lock_files if not p.is_file()]
    if missing_files:
        return Result("versions", "FAIL", f"lock file not found: {', '.join(missing_files)}")
    pins: dict[str, str] = {}
    for lock_file in lock_files:
        pins.update(read_pins(lock_file))
    problems = []
    for name, pinned in sorted(pins.items()):
        found = installed.get(name)
        if found is None:
            problems.append(f"{name} not installed (locked {pinned})")
        elif found != pinned:
            problems.append(f"{name} installed {found}, locked {pinned}")
    if problems:
        return Result(
            "versions", "FAIL", "; ".join(problems), "make install (or make install-cuda)"
        )
    return Result("versions", "PASS", f"{len(pins)} packages match {names}")
