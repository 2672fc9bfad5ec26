"""Slow tier: what a new user's first day touches, on the installed baked project, for real.

``make install`` syncs the locks with the pinned uv (exactly: strays are removed), repeats
cheaply, and falls back to pip with one line when uv cannot run; training writes
TensorBoard logs that ``make tensorboard`` serves on localhost.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import make, project_env

pytestmark = pytest.mark.slow


def installed(project: Path) -> dict[str, str]:
    """``{name: version}`` in the project's venv, from uv's own listing."""
    result = subprocess.run(
        [str(project / ".venv" / "bin" / "uv"), "pip", "list", "--format", "json",
         "--python", str(project / ".venv" / "bin" / "python")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {item["name"]: item["version"] for item in json.loads(result.stdout)}


def test_make_install_syncs_exactly_and_repeats_without_changes(train_project):
    before = installed(train_project)
    assert "tensorboard" in before and "uv" in before
    subprocess.run(
        [str(train_project / ".venv" / "bin" / "uv"), "pip", "install", "--quiet", "--no-deps",
         "--python", str(train_project / ".venv" / "bin" / "python"), "tomli-w"],
        check=True,
    )  # fmt: skip
    assert "tomli-w" in installed(train_project)
    out = make(train_project, "install").stdout
    assert "uv pip sync --require-hashes requirements/cpu.txt requirements/dev.txt" in out
    assert installed(train_project) == before  # the stray package is gone, nothing else moved


def test_make_install_falls_back_to_pip_with_one_line_when_uv_cannot_run(train_project):
    uv = train_project / ".venv" / "bin" / "uv"
    uv.rename(uv.with_name("uv-away"))
    uv.write_text("#!/bin/sh\nexit 126\n")
    uv.chmod(0o755)
    try:
        result = make(train_project, "install")
    finally:
        uv.unlink()
        uv.with_name("uv-away").rename(uv)
    lines = [line for line in result.stdout.splitlines() if "cannot run" in line]
    assert len(lines) == 1, result.stdout
    assert lines[0].endswith("cannot run on this platform: installing with pip instead (slower)")
    assert "Installed requirements/cpu.txt" in result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_training_logs_reach_tensorboard_over_http(train_project):
    make(train_project, "data")
    make(train_project, "train", "EPOCHS=1", "OUTPUT=artifacts/tensorboard")
    assert list((train_project / "artifacts/tensorboard/logs/train").glob("events.out.tfevents*"))
    port = free_port()
    server = subprocess.Popen(
        ["make", "tensorboard", "OUTPUT=artifacts/tensorboard", f"PORT={port}"],
        cwd=train_project, env=project_env(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    runs = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and runs is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/runs", timeout=5) as r:
                    runs = json.loads(r.read())
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert server.poll() is None, "make tensorboard exited"
                time.sleep(1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert runs is not None, "TensorBoard did not answer within 120 s"
    assert {"train", "validation"} <= set(runs), runs
