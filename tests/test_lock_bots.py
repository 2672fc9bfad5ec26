"""Lock headers a bot can re-run (fast), and the constraint chain under a bot's bump (slow).

Renovate's pip-compile manager and Dependabot take the lock command from each lock's
header and re-run it. Renovate skips a file whose header holds a custom compile command or
a flag outside the set its manager accepts (listed below from its docs), and resolves
``--constraint`` paths from the folder where pip-compile ran.
https://docs.renovatebot.com/modules/manager/pip-compile/
"""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
from conftest import LOCKS, PYTHONS, make, project_env

# The flags Renovate's pip-compile manager accepts in a header (its docs, 2026).
RENOVATE_FLAGS = {
    "--allow-unsafe", "--generate-hashes", "--strip-extras", "--no-emit-index-url",
    "--emit-index-url", "--index-url", "--all-extras", "-v", "--resolver", "--constraint",
    "--output-file", "--extra", "--extra-index-url",
}  # fmt: skip
HEADER = re.compile(r"^# by the following command:\n#\n#    (.+)$", re.MULTILINE)


def header_command(lock_text: str) -> str:
    match = HEADER.search(lock_text)
    assert match, "no pip-compile header"
    return match.group(1)


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
            if arg.startswith(("--constraint=", "--output-file=")):
                assert (project / arg.split("=", 1)[1]).is_file(), arg
        constrained = "--constraint=requirements/cpu.txt" in argv
        assert constrained == (lock != "cpu.txt"), lock
        in_text = (project / "requirements" / lock.replace(".txt", ".in")).read_text()
        assert not re.search(r"^\s*-c\s", in_text, re.MULTILINE), "constraint lines belong in the header"


@pytest.mark.slow
def test_a_bot_bump_of_cpu_txt_alone_fails_lock_check_until_make_lock(train_project):
    """What happens when a bot re-locks only cpu.txt: lock-check fails, naming the fix,
    and ``make lock`` brings cuda.txt and dev.txt to the bumped pin.

    The bot's step is the header's command of cpu.txt with one pin moved (six, a package
    every variant shares), exactly as Dependabot and Renovate run it.
    """
    project = train_project
    requirements = project / "requirements"
    originals = {path: path.read_text() for path in requirements.glob("*.txt")}
    pinned = {
        lock: re.search(r"^six==(\S+)", originals[requirements / lock], re.MULTILINE).group(1)
        for lock in LOCKS
    }
    assert set(pinned.values()) != {"1.16.0"}
    env = project_env()
    env["PATH"] = f"{project / '.venv' / 'bin'}:{env['PATH']}"
    env["PIP_FIND_LINKS"] = " "  # as make lock does: no machine-local find-links
    bot = [*shlex.split(header_command(originals[requirements / "cpu.txt"]))]
    try:
        subprocess.run(
            [*bot, "--upgrade-package", "six==1.16.0"], cwd=project, env=env,
            capture_output=True, text=True, check=True, timeout=1200,
        )  # fmt: skip
        assert re.search(r"^six==1\.16\.0 ", (requirements / "cpu.txt").read_text(), re.M)
        assert not re.search(r"^six==1\.16\.0 ", (requirements / "dev.txt").read_text(), re.M)

        # dev.txt only: re-locking without hashes downloads every wheel to hash it (minutes).
        behind = make(project, "lock-check", "VARIANTS=dev", check=False)
        assert behind.returncode != 0
        assert (
            "error: requirements/dev.txt is stale, or behind the pins of requirements/cpu.txt "
            "that constrain it, or hand-edited (diff above). Run 'make lock'"
        ) in behind.stderr
        assert re.search(r"^\+six==1\.16\.0", behind.stdout, re.M), behind.stdout[-3000:]

        # The fix the message names: make lock re-locks every variant, CPU first.
        make(project, "lock")
        for lock in LOCKS:
            assert re.search(r"^six==1\.16\.0 ", (requirements / lock).read_text(), re.M), lock
    finally:
        for path, text in originals.items():
            path.write_text(text)
