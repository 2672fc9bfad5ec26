"""Check that each lock file is what re-locking its ``.in`` file gives now (``make lock-check``).

``make lock`` writes the locks with pip-compile (pip-tools), whose header is the command the
bots re-run; pip-compile hashes a release by downloading its wheels, minutes for the CUDA
lock. This check re-resolves each ``requirements/<variant>.in`` instead with the uv pinned in
``requirements/dev.txt`` (``uv pip compile --generate-hashes``), which reads pins, metadata
and hashes from the index without downloading a wheel, and gives the same pins and hashes
as pip-compile for the same input. The CUDA lock resolves for Linux x86_64
(``--python-platform x86_64-manylinux_2_28``) on any machine.

The committed locks are the resolver's preferences, as for ``make lock``: unchanged
inputs keep their pins. Their hashes are removed first (uv would keep a preference's
hashes as they are), so every hash is the index's. ``cuda.in`` and ``dev.in`` read the
committed ``cpu.txt`` through their ``-c cpu.txt`` line. Then for every package it compares
the pin and the set of hashes with the committed lock, and its environment marker with the
one pip-compile writes (the marker of its line in the ``.in`` file, none for a package only
required by others; uv's output strips markers like pip-compile's but keeps none), and fails,
naming the lock and the package, on a stale lock (an edited ``.in``), a hand-edited pin, a
hand-edited or missing hash, or a lock behind the pins of ``cpu.txt``.

Usage (from the project root; standard library only, Python >= 3.10)::

    .venv/bin/python requirements/lock_check.py --uv .venv/bin/uv [cpu cuda dev]

Exits 0 when every lock is fresh; 1 with one ``error:`` line per difference and the fix
(``make lock``); 2 on bad usage or when uv is missing or is not the pinned version.
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REQUIREMENTS = Path("requirements")
VARIANTS = ("cpu", "cuda", "dev")
# The platform the CUDA lock serves: it resolves for it from any machine.
PLATFORMS = {"cuda": "x86_64-manylinux_2_28"}
# ``name[extras]==version ; marker`` at the start of a lock line (PEP 508 names).
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)"
    r"\s*(?:;(?P<marker>[^\\#]*))?"
)
HASH = re.compile(r"--hash=(\w+:[0-9a-f]+)")


class Pin:
    """One package of a lock file: version, environment marker and hashes."""

    def __init__(self, version: str, marker: str) -> None:
        self.version = version
        self.marker = marker
        self.hashes: set[str] = set()


def normalize(name: str) -> str:
    """PEP 503 name: ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def normalize_marker(marker: str | None) -> str:
    """A marker with one quote style and single spaces, so the two tools' outputs compare."""
    return " ".join((marker or "").replace("'", '"').split())


def parse_lock(text: str) -> dict[str, Pin]:
    """``{normalized name: Pin}`` of a pip-compile or ``uv pip compile`` lock file."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            current = Pin(match["version"], normalize_marker(match["marker"]))
            pins[normalize(match["name"])] = current
        elif not line.startswith((" ", "\t")):
            current = None
        if current is not None:
            current.hashes.update(HASH.findall(line))
    return pins


def in_markers(text: str) -> dict[str, str]:
    """``{normalized name: marker}`` of the requirement lines of an ``.in`` file."""
    markers = {}
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)[^;]*(?:;(.*))?$", line)
        if match and not line.startswith("-"):
            markers[normalize(match.group(1))] = normalize_marker(match.group(2))
    return markers


def strip_hashes(text: str) -> str:
    """The lock without its ``--hash`` lines and line continuations: pins as preferences."""
    lines = [line for line in text.splitlines() if not re.match(r"\s+--hash=", line)]
    return "\n".join(re.sub(r"\s*\\$", "", line) for line in lines) + "\n"


def pinned_uv(dev_lock: Path) -> str | None:
    """The version of uv that ``requirements/dev.txt`` pins, or None."""
    match = re.search(r"^uv==(\S+)", dev_lock.read_text(), re.MULTILINE)
    return match.group(1) if match else None


def compare(
    variant: str,
    committed: dict[str, Pin],
    fresh: dict[str, Pin],
    cpu: dict[str, Pin],
    markers: dict[str, str],
) -> list[str]:
    """One ``error:`` line per package whose pin, marker or hashes differ.

    ``markers`` are the ``.in`` file's (``in_markers``): what pip-compile writes on a pin.
    """
    lock = f"requirements/{variant}.txt"
    errors = []
    for name in sorted(set(committed) | set(fresh)):
        old, new = committed.get(name), fresh.get(name)
        if old is None:
            errors.append(
                f"{lock}: {name}=={new.version} is missing: requirements/{variant}.in "
                "needs it now (the .in changed since the lock was made)"
            )
        elif new is None:
            errors.append(
                f"{lock}: {name}=={old.version} is not needed by "
                f"requirements/{variant}.in any more (the .in changed)"
            )
        elif old.version != new.version:
            if variant != "cpu" and name in cpu and cpu[name].version == new.version:
                errors.append(
                    f"{lock}: {name}=={old.version} is behind requirements/cpu.txt, "
                    f"which pins {name}=={new.version} (the -c cpu.txt line)"
                )
            else:
                errors.append(
                    f"{lock}: {name}=={old.version}, but requirements/{variant}.in "
                    f"resolves to {new.version} (an edited .in or a hand-edited pin)"
                )
        else:
            marker = markers.get(name, "")
            if old.marker != marker:
                errors.append(
                    f"{lock}: {name}=={old.version} has the marker "
                    f"{old.marker or '(none)'!r}, but requirements/{variant}.in gives it "
                    f"{marker or '(none)'!r}"
                )
            missing, foreign = sorted(new.hashes - old.hashes), sorted(old.hashes - new.hashes)
            if missing or foreign:
                what = []
                if foreign:
                    what.append(
                        f"{len(foreign)} hash(es) the index does not serve for it "
                        f"({', '.join(foreign)})"
                    )
                if missing:
                    what.append(f"{len(missing)} of its hashes missing ({', '.join(missing)})")
                errors.append(
                    f"{lock}: {name}=={old.version} has {' and '.join(what)}: "
                    "a hand-edited pin or hash"
                )
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "variants", nargs="*", metavar="VARIANT", help="cpu, cuda or dev (default: all three)"
    )
    parser.add_argument("--uv", default=".venv/bin/uv", help="the uv to run (default: %(default)s)")
    parser.add_argument(
        "--python-version",
        default=platform.python_version(),
        help="the Python to lock for (default: this interpreter's, %(default)s)",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant {', '.join(unknown)}: choose from {', '.join(VARIANTS)}")
    variants = [v for v in VARIANTS if v in (args.variants or VARIANTS)]
    for name in ("cpu.txt", *(f"{v}.{ext}" for v in variants for ext in ("in", "txt"))):
        if not (REQUIREMENTS / name).is_file():
            print(
                f"error: requirements/{name} not found. Run this from the project root; "
                "'make lock' writes the locks.",
                file=sys.stderr,
            )
            return 2
    pin = pinned_uv(REQUIREMENTS / "dev.txt")
    try:
        version = subprocess.run([args.uv, "--version"], capture_output=True, text=True)
        found = version.stdout.split()
    except OSError:
        found = []
    if pin is None or found[1:2] != [pin]:
        print(
            f"error: {args.uv} is {' '.join(found[1:2]) or 'missing'}, but requirements/dev.txt "
            f"pins uv {pin}. Run 'make install'.",
            file=sys.stderr,
        )
        return 2

    with tempfile.TemporaryDirectory(prefix="lock-check-") as tmp:
        inputs, outputs = Path(tmp, "in"), Path(tmp, "out")
        inputs.mkdir()
        outputs.mkdir()
        for path in REQUIREMENTS.glob("*.in"):
            shutil.copy(path, inputs / path.name)
        committed = {}
        for path in REQUIREMENTS.glob("*.txt"):
            committed[path.stem] = path.read_text()
            (inputs / path.name).write_text(strip_hashes(committed[path.stem]))
            (outputs / path.name).write_text(strip_hashes(committed[path.stem]))
        # The three resolutions run at once: each waits mostly on the index.
        jobs = {}
        for variant in variants:
            command = [
                args.uv, "pip", "compile", "--quiet", "--no-python-downloads",
                "--python", sys.executable, "--python-version", args.python_version,
                "--generate-hashes", "--no-header", "--no-annotate",
                *(["--python-platform", PLATFORMS[variant]] if variant in PLATFORMS else []),
                "--output-file", str(outputs / f"{variant}.txt"), str(inputs / f"{variant}.in"),
            ]  # fmt: skip
            jobs[variant] = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        cpu = parse_lock(committed["cpu"])
        failed = []
        for variant, job in jobs.items():
            _, stderr = job.communicate()
            if job.returncode != 0:
                print(stderr.replace(str(inputs), "requirements"), file=sys.stderr, end="")
                print(
                    f"error: uv could not resolve requirements/{variant}.in (output above): "
                    "fix the .in file, then run 'make lock'.",
                    file=sys.stderr,
                )
                failed.append(variant)
                continue
            fresh = parse_lock((outputs / f"{variant}.txt").read_text())
            markers = in_markers((REQUIREMENTS / f"{variant}.in").read_text())
            errors = compare(variant, parse_lock(committed[variant]), fresh, cpu, markers)
            for error in errors:
                print(f"error: {error}", file=sys.stderr)
            if errors:
                failed.append(variant)
            else:
                print(
                    f"lock-check: requirements/{variant}.txt is fresh ({len(fresh)} packages: "
                    "pins, markers and hashes as a re-lock gives them)"
                )
    if failed:
        locks = ", ".join(f"requirements/{v}.txt" for v in failed)
        verb = "differs" if len(failed) == 1 else "differ"
        print(
            f"error: {locks} {verb} from a fresh re-lock. "
            "Run 'make lock' and commit requirements/.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
