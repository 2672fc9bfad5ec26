"""Re-lock the shipped lock files of every offered Python with pip-tools.

Bakes the template once per ``python_version`` choice in cookiecutter.json (hooks off, so
the baked ``requirements/*.in`` sit beside no locks), seeds it with the currently shipped
locks so that unchanged pins are kept, runs the baked project's own ``make lock`` (or
``make upgrade``) with a pip-tools venv of that Python, and copies the resulting
``cpu.txt``, ``cuda.txt`` and ``dev.txt`` back to
``{{cookiecutter.project}}/requirements/py<version>/``. Then regenerates cookiecutter.json's
``_stack_modules`` from the new locks of those Pythons (scripts/stack_modules.py).

Usage: ``python scripts/relock.py [--upgrade] [--python 3.12 ...] [--variant dev ...] [--jobs N]``
(``make locks`` at the template root). Needs ``python3.X`` for each version on PATH, or
resolvable through a ``.python-version`` file (pyenv), as the baked project does.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import stack_modules
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PROJECT = ROOT / "{{cookiecutter.project}}"
LOCK_FILES = ("cpu.txt", "cuda.txt", "dev.txt")
CACHE = ROOT / ".cache" / "lock-venvs"


def offered_pythons() -> list[str]:
    """The ``python_version`` choices of cookiecutter.json, e.g. ``["3.12", "3.10", ...]``."""
    return json.loads((ROOT / "cookiecutter.json").read_text())["python_version"]


def pip_tools_pin() -> str:
    """The ``pip-tools==X`` line of the template's requirements.in: one pin for the tool."""
    text = (ROOT / "requirements.in").read_text()
    return re.search(r"^pip-tools==\S+", text, re.MULTILINE).group(0)


def lock_python(version: str, cwd: Path) -> Path:
    """A venv of Python ``version`` with pip-tools, created once under .cache/."""
    venv = CACHE / version
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([f"python{version}", "-m", "venv", str(venv)], cwd=cwd, check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", pip_tools_pin()], check=True
        )
    return python


def bake(version: str, output_dir: Path) -> Path:
    """Bake for ``version`` with hooks off, seeded with the shipped locks.

    Runs in the main thread: cookiecutter changes the working directory while it bakes.
    """
    project = Path(
        cookiecutter(
            str(ROOT),
            no_input=True,
            accept_hooks=False,
            output_dir=str(output_dir),
            extra_context={"python_version": version},
        )
    )
    shipped = TEMPLATE_PROJECT / "requirements" / f"py{version}"
    for name in LOCK_FILES:
        if (shipped / name).exists():
            shutil.copy(shipped / name, project / "requirements" / name)
    return project


def relock(version: str, project: Path, upgrade: bool, variants: list[str]) -> str:
    """Run the baked project's ``make lock``/``make upgrade``; copy the locks back."""
    python = lock_python(version, project)
    target = "upgrade" if upgrade else "lock"
    subprocess.run(
        ["make", target, f"LOCK_PYTHON={python}", f"VARIANTS={' '.join(variants)}"],
        cwd=project,
        check=True,
    )
    shipped = TEMPLATE_PROJECT / "requirements" / f"py{version}"
    shipped.mkdir(exist_ok=True)
    for name in LOCK_FILES:
        shutil.copy(project / "requirements" / name, shipped / name)
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="only this version (repeatable)")
    parser.add_argument("--upgrade", action="store_true", help="upgrade every pin")
    parser.add_argument("--jobs", type=int, default=2, help="Pythons locked at once")
    parser.add_argument(
        "--variant",
        action="append",
        choices=["cpu", "cuda", "dev"],
        help="only this variant (repeatable); cuda and dev are constrained by cpu",
    )
    args = parser.parse_args(argv)
    versions = args.python or offered_pythons()
    unknown = sorted(set(versions) - set(offered_pythons()))
    if unknown:
        parser.error(f"not offered in cookiecutter.json: {', '.join(unknown)}")
    variants = [v for v in ("cpu", "cuda", "dev") if v in (args.variant or ["cpu", "cuda", "dev"])]
    with tempfile.TemporaryDirectory() as tmp:
        projects = {version: bake(version, Path(tmp) / version) for version in versions}
        with ThreadPoolExecutor(args.jobs) as pool:
            jobs = [
                pool.submit(relock, version, project, args.upgrade, variants)
                for version, project in projects.items()
            ]
            for job in jobs:
                print(f"locked Python {job.result()}", flush=True)
    stack_modules.update(versions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
