"""Speed of a baked project's ``make lock-check``: uv now, against the pip-compile re-lock before.

``make bench-lock-check`` at the template root. For the Python running it (3.10-3.13):

1. bakes a project and runs its ``make install`` (pip-tools and uv come from its dev lock);
2. times the check as it was before (``make lock-check`` up to this change): each lock's
   header command, run by pip-compile on a copy of ``requirements/`` whose hashes are
   removed, so that pip-compile computes every hash afresh (it downloads every wheel of
   every pinned release the index serves no hash for), cpu then cuda then dev;
3. times ``make lock-check`` (uv, ``requirements/lock_check.py``) with an empty uv cache
   (``UV_CACHE_DIR`` in a new folder: cold), then again with that cache (warm).

Prints the three times and the ratios before / after, measured in one run. Goals on 2
cores: warm at most 15 s, cold at most 60 s. Nothing is asserted: the figures go in the
README. Raises ``subprocess.CalledProcessError`` when a step fails (a stale shipped lock
fails ``make lock-check``).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parent.parent
PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
OUTER_MAKE = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "VIRTUAL_ENV")
HASH_LINE = re.compile(r"^\s+--hash=.*\n", re.MULTILINE)


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OUTER_MAKE}
    env.update(extra)
    return env


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def pip_compile_check(project: Path, work: Path) -> float:
    """The previous ``make lock-check``: every header command on hash-less copies; seconds."""
    shutil.copytree(project / "requirements", work / "requirements")
    for lock in (work / "requirements").glob("*.txt"):
        lock.write_text(
            re.sub(r" \\$", "", HASH_LINE.sub("", lock.read_text()), flags=re.MULTILINE)
        )
    commands = subprocess.run(
        ["make", "-s", "lock-commands"], cwd=project, env=environment(), capture_output=True,
        text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    # As the project's Makefile runs it: pip-compile of the venv, no machine find-links.
    env = environment(PATH=f"{project / '.venv' / 'bin'}:{os.environ['PATH']}", PIP_FIND_LINKS=" ")
    start = time.perf_counter()
    for command in commands:
        subprocess.run(shlex.split(command), cwd=work, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", type=Path, help="an installed baked project (default: bake one)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-lock-check-") as tmp:
        project = args.project
        if project is None:
            project = Path(
                cookiecutter(
                    str(ROOT), no_input=True, output_dir=tmp,
                    extra_context={"python_version": PYTHON, "git_init": False},
                )
            )  # fmt: skip
            subprocess.run(["make", "install"], cwd=project, env=environment(), check=True,
                           capture_output=True)  # fmt: skip
        print(f"Python {PYTHON}, project {project}", flush=True)
        before = pip_compile_check(project, Path(tmp) / "before")
        print(
            f"before: pip-compile re-lock of cpu, cuda, dev (hashes afresh): {before:7.1f} s",
            flush=True,
        )
        cache = Path(tmp) / "uv-cache"
        env = environment(UV_CACHE_DIR=str(cache))
        cold = timed(["make", "lock-check"], project, env)
        print(
            f"after:  make lock-check (uv), cold cache:                     {cold:7.1f} s",
            flush=True,
        )
        warm = timed(["make", "lock-check"], project, env)
        print(
            f"after:  make lock-check (uv), warm cache:                     {warm:7.1f} s",
            flush=True,
        )
        print(f"before / after: {before / cold:.0f}x (cold), {before / warm:.0f}x (warm)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
