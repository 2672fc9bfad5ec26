"""Time ``make check-imports`` and ``make smoke`` against a bare ``import tensorflow, keras``.

``make bench-guard``: runs the three commands ``--repeat`` times, in turn, in fresh
processes of the project's venv, and prints each one's median wall time in seconds and
each tool's ratio to the bare import. All are measured in the same run, one after the
other, so the ratios mean more than any single number on a shared, noisy machine. The goal
for both ratios is at most 1.5.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from .stack import GUARD_ROOT, default_python


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=GUARD_ROOT, capture_output=True, check=False)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("paths", nargs="*", default=["src", "tests"])
    args = parser.parse_args(argv)
    python = str(default_python())
    commands = {
        "import tensorflow, keras": [python, "-c", "import tensorflow, keras"],
        f"check-imports {' '.join(args.paths)}": [python, "-m", "stackguard.check_imports"]
        + args.paths,
        "smoke": [python, "-m", "stackguard.smoke"],
    }
    seconds(commands["import tensorflow, keras"])  # warm-up: the file cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            times[name].append(seconds(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name}: {median:6.2f} s (median of {args.repeat})")
    bare_s = medians["import tensorflow, keras"]
    names = list(medians)
    print(f"ratio check-imports / bare import: {medians[names[1]] / bare_s:.2f}")
    print(f"ratio smoke / bare import: {medians['smoke'] / bare_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
