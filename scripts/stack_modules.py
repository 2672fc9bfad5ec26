"""Write cookiecutter.json's ``_stack_modules``: every top-level module the locks install.

For each offered Python, installs that Python's shipped ``cuda.txt``, ``cpu.txt`` and
``dev.txt`` (hash-checked, no resolution) into a scratch venv with the template's own uv,
asks ``importlib.metadata.packages_distributions()`` (of the Python running this script,
>= 3.11, over the venv's site-packages) which top-level modules the pinned distributions
provide, and writes the union over the Pythons into
cookiecutter.json as ``"_stack_modules": {module: [distribution, ...]}``, just before
``"_copy_without_render"``. The pre-gen hook refuses a ``package`` answer named like one
of these modules. The list lives in cookiecutter.json because the context is the one
thing cookiecutter and cruft both hand to hooks: a hook cannot read template files.

Usage: ``.venv/bin/python scripts/stack_modules.py [--python 3.12 ...]`` (``make locks``
runs it after re-locking). With ``--python``, entries of the other offered Pythons are
kept from the current list (those whose distribution their locks still pin).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COOKIECUTTER_JSON = ROOT / "cookiecutter.json"
REQUIREMENTS = ROOT / "{{cookiecutter.project}}" / "requirements"
UV = ROOT / ".venv" / "bin" / "uv"
CACHE = ROOT / ".cache"
KEY = "_stack_modules"
BEFORE = "_copy_without_render"

# A pinned requirement line of a pip-compile lock: ``name[extras]==version``.
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==", re.MULTILINE)
# Our own block in cookiecutter.json, as write_stack_modules() formats it.
BLOCK = re.compile(rf'^  "{KEY}": \{{\n(?:    .*\n)*?  \}},\n', re.MULTILINE)

# Runs in this interpreter with -I -S, so sys.path is the standard library alone, plus the
# probed venv's site-packages. Not in the venv's own Python: before 3.11,
# packages_distributions() reads top_level.txt only and misses e.g. tomli and
# exceptiongroup, which pytest imports on 3.10. argv: site-packages, JSON list of
# normalized distribution names. Prints {importable module: [names]} as JSON.
PROBE = """
import json, re, sys
from importlib.metadata import packages_distributions
sys.path.append(sys.argv[1])
wanted = set(json.loads(sys.argv[2]))
found = {}
for module, names in packages_distributions().items():
    for name in names:
        name = re.sub(r"[-_.]+", "-", name).lower()
        if name in wanted and module.isidentifier():
            found.setdefault(module, set()).add(name)
print(json.dumps({m: sorted(n) for m, n in sorted(found.items())}))
"""


def normalize(name: str) -> str:
    """The PEP 503 normalized name: ``Typing_Extensions`` becomes ``typing-extensions``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(lock: Path) -> set[str]:
    """The normalized names of the distributions pinned in a pip-compile lock file."""
    return {normalize(name) for name in PIN.findall(lock.read_text())}


def lock_files(version: str) -> list[Path]:
    """The shipped ``cuda.txt``, ``cpu.txt`` and ``dev.txt`` of Python ``version``.

    Raises SystemExit when ``cpu.txt`` pins a distribution ``cuda.txt`` lacks: the CUDA
    lock is meant to hold the CPU lock plus the NVIDIA wheels.
    """
    folder = REQUIREMENTS / f"py{version}"
    cuda, cpu, dev = (folder / f"{variant}.txt" for variant in ("cuda", "cpu", "dev"))
    missing = sorted(pinned(cpu) - pinned(cuda))
    if missing:
        raise SystemExit(
            f"error: {cpu.relative_to(ROOT)} pins {', '.join(missing)}, which "
            f"{cuda.relative_to(ROOT)} lacks: re-lock (make locks) so cuda.txt holds cpu.txt."
        )
    return [cuda, cpu, dev]


def site_packages(venv: Path) -> Path:
    """The ``lib/python3.X/site-packages`` folder of a venv; raises SystemExit if not one."""
    found = list(venv.glob("lib/python3.*/site-packages"))
    if len(found) != 1:
        raise SystemExit(f"error: {venv} has {len(found)} lib/python3.*/site-packages folders.")
    return found[0]


def probe(venv: Path, distributions: set[str]) -> dict[str, list[str]]:
    """``{module: [distribution, ...]}`` of the given distributions installed in ``venv``.

    Only importable names (identifiers) count as modules. The same interpreter reads
    every venv, so every Python's answer comes from one ``packages_distributions()``.
    Raises CalledProcessError when the probe fails.
    """
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, str(site_packages(venv)),
         json.dumps(sorted(distributions))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def modules_of(version: str, scratch: Path) -> dict[str, list[str]]:
    """Install Python ``version``'s locks into a venv under ``scratch`` and probe it.

    Returns the probe's mapping for every distribution the three locks pin. Raises
    CalledProcessError when the venv cannot be made or a lock does not install.
    """
    locks = lock_files(version)
    venv = scratch / f"py{version}"
    # PYENV_VERSION: ``python3.X`` is a pyenv shim here, and /tmp has no .python-version.
    env = {**os.environ, "PYENV_VERSION": version}
    venv_command = [f"python{version}", "-m", "venv", "--without-pip", str(venv)]
    subprocess.run(venv_command, env=env, check=True)
    python = venv / "bin" / "python"
    requirements = [arg for lock in locks for arg in ("-r", str(lock))]
    subprocess.run(
        [str(UV), "pip", "install", "--quiet", "--no-python-downloads", "--python", str(python),
         "--require-hashes", "--no-deps", *requirements],
        env={**os.environ, "UV_CACHE_DIR": str(CACHE / "uv")},
        check=True,
    )  # fmt: skip
    return probe(venv, set().union(*map(pinned, locks)))


def merge(mappings: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    """The union of ``{module: [distribution, ...]}`` mappings, sorted by module and name."""
    merged: dict[str, set[str]] = {}
    for mapping in mappings:
        for module, names in mapping.items():
            merged.setdefault(module, set()).update(names)
    return {module: sorted(names) for module, names in sorted(merged.items())}


def restrict(mapping: dict[str, list[str]], distributions: set[str]) -> dict[str, list[str]]:
    """The entries of ``mapping`` for ``distributions`` (modules left with none dropped)."""
    kept = {module: [n for n in names if n in distributions] for module, names in mapping.items()}
    return {module: names for module, names in kept.items() if names}


def write_stack_modules(mapping: dict[str, list[str]]) -> bool:
    """Write ``mapping`` as cookiecutter.json's ``_stack_modules``, before ``_copy_without_render``.

    Edits the text, not a re-dump, so every other key keeps its formatting; then checks
    that the file parses to the old context plus this one key, in order. Returns whether
    the file changed. Raises SystemExit when the check fails (file left untouched).
    """
    text = COOKIECUTTER_JSON.read_text()
    old = json.loads(text)
    lines = [f"    {json.dumps(m)}: {json.dumps(n)}" for m, n in mapping.items()]
    block = f'  "{KEY}": {{\n' + ",\n".join(lines) + "\n  },\n"
    stripped = BLOCK.sub("", text)
    anchor = re.search(rf'^  "{BEFORE}":', stripped, re.MULTILINE)
    if anchor is None:
        raise SystemExit(f"error: cookiecutter.json has no line starting with '  \"{BEFORE}\":'.")
    new_text = stripped[: anchor.start()] + block + stripped[anchor.start() :]

    expected = {}
    for key, value in old.items():
        if key == BEFORE:
            expected[KEY] = mapping
        if key != KEY:
            expected[key] = value
    pairs = json.loads(new_text, object_pairs_hook=lambda p: p)
    if [k for k, _ in pairs] != list(expected) or json.loads(new_text) != expected:
        raise SystemExit(
            f"error: writing {KEY} would change cookiecutter.json beyond that key (was it "
            "edited by hand?); cookiecutter.json left as it is."
        )
    if new_text == text:
        return False
    COOKIECUTTER_JSON.write_text(new_text)
    return True


def offered_pythons() -> list[str]:
    """The ``python_version`` choices of cookiecutter.json, e.g. ``["3.12", "3.10", ...]``."""
    return json.loads(COOKIECUTTER_JSON.read_text())["python_version"]


def update(versions: list[str]) -> dict[str, list[str]]:
    """Probe ``versions``, merge with the kept entries of the other Pythons, write the file.

    Returns the written mapping. Raises SystemExit when the template's uv is missing or a
    lock pair is inconsistent, CalledProcessError when a venv or install fails.
    """
    if not UV.exists():
        raise SystemExit(f"error: {UV} is missing: run `make install` at the template root.")
    others = [v for v in offered_pythons() if v not in versions]
    current = json.loads(COOKIECUTTER_JSON.read_text()).get(KEY, {})
    still_pinned = {name for v in others for lock in lock_files(v) for name in pinned(lock)}
    mappings = [restrict(current, still_pinned)]
    CACHE.mkdir(exist_ok=True)
    # Beside the uv cache (same filesystem), so uv links instead of copying 3 GB each time.
    with tempfile.TemporaryDirectory(prefix="stack-modules-", dir=CACHE) as scratch:
        for version in versions:
            start = time.monotonic()
            mapping = modules_of(version, Path(scratch))
            mappings.append(mapping)
            seconds = time.monotonic() - start
            print(f"Python {version}: {len(mapping)} modules ({seconds:.0f} s)", flush=True)
    merged = merge(mappings)
    changed = write_stack_modules(merged)
    state = "updated" if changed else "unchanged"
    print(f"{KEY}: {len(merged)} modules, cookiecutter.json {state}", flush=True)
    return merged


def main(argv: list[str] | None = None) -> int:
    """Command line: ``[--python 3.12 ...]``; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="only this version (repeatable)")
    args = parser.parse_args(argv)
    versions = args.python or offered_pythons()
    unknown = sorted(set(versions) - set(offered_pythons()))
    if unknown:
        parser.error(f"not offered in cookiecutter.json: {', '.join(unknown)}")
    update(versions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
