"""Install speed of a baked project: ``make install`` (uv) against plain pip, in one run.

``make bench-install`` at the template root. For the Python running it (3.10-3.13):

1. bakes a project and runs its ``make install`` once, and a plain
   ``pip install --require-hashes`` of the same locks into a fresh venv once (warm-ups:
   both tools' caches are filled, so the comparison is warm against warm);
2. times ``make install`` into a fresh ``.venv``, then the plain pip install into a fresh
   venv, side by side, and prints the ratio make install / pip;
3. times a repeated ``make install`` on the unchanged venv;
4. times bake to green: a new bake, ``make install`` and ``make smoke``.

Goals on 2 cores: a ratio of at most 0.4, bake to green within 30 s. Nothing is asserted:
the figures go in the README. Raises ``subprocess.CalledProcessError`` when a step fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "{}.{}".format(*sys.version_info[:2])
OUTER_MAKE = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "VIRTUAL_ENV")


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in OUTER_MAKE}


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=environment(), check=True, capture_output=True)
    return time.perf_counter() - start


def bake(folder: Path) -> Path:
    return Path(
        cookiecutter(
            str(ROOT), no_input=True, output_dir=str(folder),
            extra_context={"python_version": PYTHON, "git_init": False},
        )
    )  # fmt: skip


def pip_install(project: Path, venv: Path) -> float:
    """A fresh venv, then plain pip with the same locks, hash-checked; returns seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--require-hashes",
         "--no-deps", "-r", "requirements/cpu.txt", "-r", "requirements/dev.txt"],
        cwd=project, env=environment(), check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        project = bake(work / "first")
        print(f"warm-up (Python {PYTHON}): make install, then plain pip", flush=True)
        timed(["make", "install"], project)
        pip_install(project, work / "pip-warmup")
        shutil.rmtree(project / ".venv")
        uv_s = timed(["make", "install"], project)
        pip_s = pip_install(project, work / "pip-venv")
        again_s = timed(["make", "install"], project)
        start = time.perf_counter()
        green = bake(work / "second")
        timed(["make", "install"], green)
        timed(["make", "smoke"], green)
        green_s = time.perf_counter() - start
    print(f"make install (uv, fresh .venv):        {uv_s:6.1f} s")
    print(f"pip install --require-hashes (fresh):  {pip_s:6.1f} s")
    print(f"ratio make install / pip:              {uv_s / pip_s:6.2f}")
    print(f"make install again (unchanged .venv):  {again_s:6.1f} s")
    print(f"bake + make install + make smoke:      {green_s:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
