"""Time ``make check-imports`` against a bare ``import tensorflow, keras``: ``make bench-guard``.

Runs both commands ``--repeat`` times, alternating, in fresh processes of the project's
venv, and prints each one's median wall time in seconds and their ratio. Both are measured
in the same run, one after the other, so the ratio means more than either number on a
shared, noisy machine. The goal is a ratio of at most 1.5.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from .stack import GUARD_ROOT, venv_python


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=GUARD_ROOT, capture_output=True, check=False)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("paths", nargs="*", default=["src", "tests"])
    args = parser.parse_args(argv)
    python = str(venv_python())
    bare = [python, "-c", "import tensorflow, keras"]
    check = [python, "-m", "stackguard.check_imports", *args.paths]
    seconds(bare)  # warm-up: the file cache
    times: dict[str, list[float]] = {"bare": [], "check": []}
    for _ in range(args.repeat):
        times["bare"].append(seconds(bare))
        times["check"].append(seconds(check))
    bare_s, check_s = statistics.median(times["bare"]), statistics.median(times["check"])
    print(f"import tensorflow, keras: {bare_s:6.2f} s (median of {args.repeat})")
    print(f"check-imports {' '.join(args.paths)}: {check_s:6.2f} s (median of {args.repeat})")
    print(f"ratio check-imports / bare import: {check_s / bare_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
