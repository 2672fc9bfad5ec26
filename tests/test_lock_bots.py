"""Lock headers a bot can re-run (fast), and each bot's re-lock procedure under a bump (slow).

The two bots re-lock differently (read in their source, 2026 snapshots):

- Renovate's pip-compile manager re-runs each lock's header command, keeping only the flags
  on its allow-list, plus ``--upgrade-package <dep>==<version>``, from the folder the
  ``--output-file`` implies (the project root), for the lock files of the ``.in`` files that
  name the package; a ``-c`` line only orders the locks, and updates reach another lock only
  through ``-r`` lines (renovate ``lib/modules/manager/pip-compile/common.ts``,
  ``extract.ts``, ``artifacts.ts``; https://docs.renovatebot.com/modules/manager/pip-compile/).
- Dependabot does not re-run the header. It infers pip-compile options from each lock's
  content, has no ``--constraint`` handling, runs ``pip-compile <options> -P <dep>==<version>
  <path of the .in>`` from the repository root for every ``.in`` file whose lock holds the
  package (in the order it fetched them; ``-c`` lines do not reorder), then puts the original
  header back (dependabot-core ``python/lib/dependabot/python/file_updater/
  pip_compile_file_updater.rb``). It follows the ``-c cpu.txt`` lines of ``cuda.in`` and
  ``dev.in`` like pip-compile, relative to the ``.in`` file.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from itertools import dropwhile, takewhile
from pathlib import Path

import pytest
from conftest import LOCKS, PYTHONS, make, project_env

# The flags Renovate's pip-compile manager accepts in a header (common.ts, 2026).
RENOVATE_FLAGS = {
    "--allow-unsafe", "--generate-hashes", "--strip-extras", "--no-emit-index-url",
    "--emit-index-url", "--index-url", "--all-extras", "-v", "--resolver", "--constraint",
    "--output-file", "--extra", "--extra-index-url",
}  # fmt: skip
HEADER = re.compile(r"^# by the following command:\n#\n#    (.+)$", re.MULTILINE)
# Dependabot's UNSAFE_PACKAGES: a pin of one of them in a lock means --allow-unsafe.
DEPENDABOT_UNSAFE = ("setuptools", "distribute", "pip")


def header_command(lock_text: str) -> str:
    match = HEADER.search(lock_text)
    assert match, "no pip-compile header"
    return match.group(1)


def pin(lock: Path, name: str) -> str | None:
    match = re.search(rf"^{re.escape(name)}==(\S+)", lock.read_text(), re.MULTILINE | re.IGNORECASE)
    return match.group(1) if match else None


@pytest.mark.parametrize("python", PYTHONS)
def test_each_lock_header_is_the_command_make_lock_runs_and_renovate_accepts(bake, python):
    project = bake(python_version=python)
    commands = subprocess.run(
        ["make", "-s", "lock-commands"], cwd=project, env=project_env(), capture_output=True,
        text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert len(commands) == len(LOCKS)
    for lock, command in zip(LOCKS, commands, strict=True):
        text = (project / "requirements" / lock).read_text()
        assert header_command(text) == command, lock
        argv = shlex.split(command)
        assert argv[0] == "pip-compile"
        flags = [arg.split("=", 1)[0] for arg in argv[1:] if arg.startswith("-")]
        assert set(flags) <= RENOVATE_FLAGS, set(flags) - RENOVATE_FLAGS
        sources = [arg for arg in argv[1:] if not arg.startswith("-")]
        assert sources == [f"requirements/{lock.replace('.txt', '.in')}"]
        # Every path is relative to the project root, where pip-compile runs.
        for arg in argv[1:]:
            if arg.startswith("--output-file="):
                assert (project / arg.split("=", 1)[1]).is_file(), arg
        # The CPU lock constrains the others through a -c line, which Dependabot follows;
        # it has no --constraint handling.
        assert not [flag for flag in flags if flag == "--constraint"], lock
        in_text = (project / "requirements" / lock.replace(".txt", ".in")).read_text()
        constraints = re.findall(r"^\s*-c\s+(\S+)", in_text, re.MULTILINE)
        assert constraints == ([] if lock == "cpu.txt" else ["cpu.txt"]), lock


def bot_env(project: Path) -> dict[str, str]:
    env = project_env()
    env["PATH"] = f"{project / '.venv' / 'bin'}:{env['PATH']}"
    env["PIP_FIND_LINKS"] = " "  # as make lock does: no find-links of this machine's pip.conf
    return env


def renovate(project: Path, locks: list[str], package: str, version: str) -> None:
    """Renovate's update of ``package``: each lock's header command with
    ``--upgrade-package``, run from the project root (what ``--output-file`` implies)."""
    for lock in locks:
        argv = shlex.split(header_command((project / "requirements" / lock).read_text()))
        kept = [
            arg
            for arg in argv[1:]
            if not arg.startswith("-") or arg.split("=", 1)[0] in RENOVATE_FLAGS
        ]
        subprocess.run(
            ["pip-compile", *kept, f"--upgrade-package={package}=={version}"], cwd=project,
            env=bot_env(project), capture_output=True, text=True, check=True, timeout=1800,
        )  # fmt: skip


def dependabot_options(lock: str, content: str) -> list[str]:
    """``pip_compile_options_from_compiled_file``: options read off the lock's content."""
    options = ["--build-isolation", f"--output-file=requirements/{lock}"]
    if "index-url http" not in content:
        options.append("--no-emit-index-url")
    if "--hash=sha" in content:
        options.append("--generate-hashes")
    if any(re.search(rf"^{name}==", content, re.MULTILINE) for name in DEPENDABOT_UNSAFE):
        options.append("--allow-unsafe")
    if "# via " not in content:
        options.append("--no-annotate")
    if "autogenerated by pip-c" not in content:
        options.append("--no-header")
    if "--pre" in content:
        options.append("--pre")
    if "--strip-extras" in content:
        options.append("--strip-extras")
    return options


def dependabot(project: Path, package: str, version: str) -> list[str]:
    """Dependabot's update of ``package``; returns the locks it re-compiled."""
    requirements = project / "requirements"
    originals = {lock: (requirements / lock).read_text() for lock in LOCKS}
    # filenames_to_compile: the .in files whose compiled file holds the package.
    compiled = [lock for lock in LOCKS if pin(requirements / lock, package)]
    for lock in compiled:
        subprocess.run(
            ["pip-compile", *dependabot_options(lock, originals[lock]), "-P",
             f"{package}=={version}", f"requirements/{lock.replace('.txt', '.in')}"],
            cwd=project, env=bot_env(project), capture_output=True, text=True, check=True,
            timeout=1800,
        )  # fmt: skip
    for lock in compiled:  # replace_header_with_original
        comment = lambda line: line.startswith("#")
        header = takewhile(comment, originals[lock].splitlines(True))
        body = dropwhile(comment, (requirements / lock).read_text().splitlines(True))
        (requirements / lock).write_text("".join([*header, *body]))
    return compiled


@pytest.fixture
def bumped_project(train_project):
    """The installed project of the running Python; its locks put back after the test."""
    requirements = train_project / "requirements"
    originals = {path: path.read_text() for path in requirements.iterdir() if path.is_file()}
    yield train_project
    for path, text in originals.items():
        path.write_text(text)


@pytest.mark.slow
def test_a_dependabot_bump_relocks_every_lock_that_holds_the_package_and_all_stay_fresh(
    bumped_project,
):
    """six is in all three locks: Dependabot re-compiles cpu.in, cuda.in and dev.in, and
    cuda.txt and dev.txt take cpu.txt's pin through their -c line; make lock-check passes."""
    project = bumped_project
    requirements = project / "requirements"
    before = [pin(requirements / lock, "six") for lock in LOCKS]
    assert None not in before and "1.16.0" not in before, before
    assert dependabot(project, "six", "1.16.0") == list(LOCKS)
    for lock in LOCKS:
        assert pin(requirements / lock, "six") == "1.16.0", lock
    out = make(project, "lock-check").stdout
    for lock in LOCKS:
        assert f"lock-check: requirements/{lock} is fresh" in out


@pytest.mark.slow
def test_a_renovate_bump_of_a_cpu_in_package_leaves_dev_txt_behind_until_make_lock(bumped_project):
    """pyyaml is named in cpu.in and cuda.in, and dev.txt holds it for pre-commit without
    naming it: Renovate re-locks cpu.txt, then cuda.txt (which follows), and not dev.txt.
    make lock-check names dev.txt and the package; make lock, the fix it prints, brings
    dev.txt to cpu.txt's pin."""
    project = bumped_project
    requirements = project / "requirements"
    assert re.search(r"^pyyaml$", (requirements / "cpu.in").read_text(), re.MULTILINE)
    assert not re.search(r"^pyyaml", (requirements / "dev.in").read_text(), re.MULTILINE)
    old = pin(requirements / "dev.txt", "pyyaml")
    assert old and old != "6.0.2"
    renovate(project, ["cpu.txt", "cuda.txt"], "pyyaml", "6.0.2")
    assert pin(requirements / "cpu.txt", "pyyaml") == "6.0.2"
    assert pin(requirements / "cuda.txt", "pyyaml") == "6.0.2"
    assert pin(requirements / "dev.txt", "pyyaml") == old

    behind = make(project, "lock-check", check=False)
    assert behind.returncode != 0
    assert "lock-check: requirements/cpu.txt is fresh" in behind.stdout
    assert "lock-check: requirements/cuda.txt is fresh" in behind.stdout
    assert (
        f"error: requirements/dev.txt: pyyaml=={old} is behind requirements/cpu.txt, "
        "which pins pyyaml==6.0.2"
    ) in behind.stderr
    assert "Run 'make lock' and commit requirements/." in behind.stderr

    make(project, "lock")
    assert pin(requirements / "dev.txt", "pyyaml") == "6.0.2"
    out = make(project, "lock-check").stdout
    for lock in LOCKS:
        assert f"lock-check: requirements/{lock} is fresh" in out


@pytest.mark.slow
def test_a_dependabot_bump_leaves_out_a_lock_that_does_not_hold_the_package(bumped_project):
    """absl-py is in cpu.txt and cuda.txt, not dev.txt: Dependabot re-compiles cpu.in and
    cuda.in only, leaves dev.txt as it was, and the three locks stay consistent."""
    project = bumped_project
    requirements = project / "requirements"
    current = pin(requirements / "cpu.txt", "absl-py")
    assert current and pin(requirements / "cuda.txt", "absl-py") == current
    assert pin(requirements / "dev.txt", "absl-py") is None
    # The release before the pinned one, as the index has it (a pure-Python wheel: cheap
    # to hash).
    probe = project / "probe.txt"
    subprocess.run(
        [str(project / ".venv" / "bin" / "uv"), "pip", "compile", "--quiet",
         "--no-python-downloads", "--no-header", "--output-file", str(probe), "-"],
        input=f"absl-py<{current}\n", text=True, check=True, capture_output=True,
    )  # fmt: skip
    older = pin(probe, "absl-py")
    probe.unlink()
    assert older and older != current
    dev_before = (requirements / "dev.txt").read_text()
    assert dependabot(project, "absl-py", older) == ["cpu.txt", "cuda.txt"]
    assert pin(requirements / "cpu.txt", "absl-py") == older
    assert pin(requirements / "cuda.txt", "absl-py") == older
    assert (requirements / "dev.txt").read_text() == dev_before
    out = make(project, "lock-check").stdout
    for lock in LOCKS:
        assert f"lock-check: requirements/{lock} is fresh" in out
