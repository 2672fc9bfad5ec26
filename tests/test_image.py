"""Slow tier: build a baked project's image for real, smoke-test it, train in it.

Everything goes through the project's own make targets (``make image``, ``image-smoke``,
``image-train``) with ``CONTAINER_TOOL=buildah``: no docker daemon runs on these machines
and ``podman run`` is refused here (``setrlimit``), while buildah with chroot isolation
(``BUILDAH_ISOLATION=chroot``) builds and runs. ``.ci/run`` installs buildah and mmdebstrap;
without them these tests skip, saying so.

No container registry is reachable, so the official Python image is replaced by a stand-in:
mmdebstrap makes a minimal Debian root filesystem with ``python3`` and ``python3-venv``,
imported with buildah and passed as ``BASE_IMAGE``. It is Debian trixie (Python 3.13.5), and
the project is baked for 3.13: bookworm's python3 is 3.11.2, and the 3.11 locks need
>= 3.11.5 (soupsieve 4.1.2's Requires-Python), which the official 3.11 image (3.11.16) has.
The build reaches PyPI through this machine's TLS-intercepting network only with the host's
CA bundle, which ``make image`` hands to the build as a secret: the build passing is the
proof that the proxy route works.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import project_env

PYTHON = "3.13"
SUITE = "trixie"
BASE = f"localhost/keras-template-test-base:{SUITE}"
IMAGE = "localhost/keras-template-test"

pytestmark = pytest.mark.slow


def missing_tools() -> list[str]:
    return [tool for tool in ("buildah", "mmdebstrap") if shutil.which(tool) is None]


def run(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = project_env() | {"BUILDAH_ISOLATION": "chroot"}
    result = subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=2400
    )
    if check:
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def make_image(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(
        "make", "image", "CONTAINER_TOOL=buildah", f"IMAGE={IMAGE}",
        f"BUILD_ARGS=--network host --build-arg BASE_IMAGE={BASE}", *args,
        cwd=project, check=check,
    )  # fmt: skip


@pytest.fixture(scope="module")
def base_image(tmp_path_factory) -> str:
    """The stand-in base image: made once per machine, reused while buildah keeps it."""
    if missing_tools():
        pytest.skip(f"{' and '.join(missing_tools())} not installed (.ci/run installs them)")
    if run("buildah", "inspect", BASE, check=False).returncode != 0:
        rootfs = tmp_path_factory.mktemp("base") / "rootfs.tar"
        run(
            "mmdebstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates,make",
            SUITE, str(rootfs),
        )  # fmt: skip
        container = run("buildah", "from", "scratch").stdout.strip()
        try:
            run("buildah", "add", "--quiet", container, str(rootfs), "/")
            run("buildah", "commit", "--quiet", container, BASE)
        finally:
            run("buildah", "rm", container)
    return BASE


@pytest.fixture(scope="module")
def project(base_image, cookies_session) -> Path:
    result = cookies_session.bake(extra_context={"python_version": PYTHON})
    assert result.exit_code == 0, result.exception
    return result.project_path


def test_image_builds_smokes_trains_and_rebuilds_code_only_changes_in_seconds(project, tmp_path):
    started = time.monotonic()
    make_image(project)
    first_build = time.monotonic() - started

    config = json.loads(run("buildah", "inspect", f"{IMAGE}:cpu").stdout)["OCIv1"]["config"]
    assert config["Cmd"] == ["python", "-m", "stackguard.smoke"]
    assert config["User"] == "app"

    # The default command, the smoke test, passes: the locked stack, the kernel, a fit.
    smoke = run("make", "image-smoke", "CONTAINER_TOOL=buildah", f"IMAGE={IMAGE}", cwd=project)
    assert re.search(r"smoke: \d+ passed, 0 failed", smoke.stdout), smoke.stdout[-3000:]
    assert "PASS versions" in smoke.stdout and "PASS kernel" in smoke.stdout

    # locks.sha256 names the installed locks, relative to the project root, and matches them.
    container = run("buildah", "from", "--quiet", f"{IMAGE}:cpu").stdout.strip()
    try:
        sums = run("buildah", "run", container, "--", "cat", "/opt/venv/locks.sha256").stdout
        assert [line.split("  ")[1] for line in sums.splitlines()] == [
            "requirements/cpu.txt", "requirements/dev.txt",
        ]  # fmt: skip
        run("buildah", "run", container, "--", "sha256sum", "--check", "/opt/venv/locks.sha256")
        # A tiny class-folder dataset, written by the project's own demo_data.
        data = tmp_path / "data"
        data.mkdir()
        run(
            "buildah", "run", "--user", f"{os.getuid()}:{os.getgid()}", "-v", f"{data}:/out",
            container, "--", "python", "-m", "keras_project.demo_data", "--output-dir", "/out",
            "--images-per-class", "10",
        )  # fmt: skip
    finally:
        run("buildah", "rm", container)

    # Train one epoch in the image: data read-only, artifacts back on the host, ours.
    output = tmp_path / "artifacts"
    run(
        "make", "image-train", "CONTAINER_TOOL=buildah", f"IMAGE={IMAGE}", f"DATA={data}",
        f"OUTPUT={output}", "EPOCHS=1", "IMAGE_SIZE=16", "BATCH_SIZE=8", cwd=project,
    )  # fmt: skip
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["epochs"] == 1
    assert (output / "model.keras").stat().st_size > 0
    assert {p.stat().st_uid for p in output.rglob("*")} == {os.getuid()}

    # A code-only change: the lock layer comes from the cache, only the code layers rebuild.
    model = project / "src" / "keras_project" / "model.py"
    model.write_text(model.read_text() + "\n# a code-only change\n")
    started = time.monotonic()
    rebuild = make_image(project)
    code_only_build = time.monotonic() - started
    steps = re.split(r"\n(?=\[\d/\d\] STEP )", rebuild.stdout)
    lock_step = next(step for step in steps if "uv pip sync" in step)
    code_step = next(step for step in steps if step.startswith("[2/2] STEP") and "COPY . ." in step)
    assert "Using cache" in lock_step, lock_step
    assert "Using cache" not in code_step, code_step

    size = run("buildah", "images", "--format", "{{.Size}}", f"{IMAGE}:cpu").stdout.strip()
    print(
        f"\nimage {IMAGE}:cpu (Python {PYTHON} stand-in base, cpu + dev locks): {size}; "
        f"first build {first_build:.0f} s, code-only rebuild {code_only_build:.0f} s "
        f"({first_build / code_only_build:.1f}x faster)"
    )


def test_an_unknown_variant_stops_make_image_and_the_build_with_one_message(project):
    result = run("make", "image", "CONTAINER_TOOL=buildah", "VARIANT=gpu", cwd=project, check=False)
    assert result.returncode != 0
    assert "error: VARIANT=gpu: use VARIANT=cpu or VARIANT=cuda" in result.stderr
    # The Dockerfile refuses it too, for a build without make, before installing anything.
    direct = run(
        "buildah", "bud", "--layers", "--network", "host", "--build-arg", f"BASE_IMAGE={BASE}",
        "--build-arg", "VARIANT=gpu", "-t", f"{IMAGE}:gpu", ".", cwd=project, check=False,
    )  # fmt: skip
    assert direct.returncode != 0
    assert "error: VARIANT=gpu: use VARIANT=cpu or VARIANT=cuda" in direct.stdout + direct.stderr
