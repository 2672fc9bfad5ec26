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
from conftest import ROOT, project_env

PYTHON = "3.13"
SUITE = "trixie"
BASE = f"localhost/keras-template-test-base:{SUITE}"
IMAGE = "localhost/keras-template-test"

pytestmark = pytest.mark.slow


def missing_tools() -> list[str]:
    return [tool for tool in ("buildah", "mmdebstrap") if shutil.which(tool) is None]


# buildah's images live in a storage of the test's own (CONTAINERS_STORAGE_CONF), removed
# at the end: each run's first build is a real one (no layer cache), and no run leaves
# gigabytes of layers behind. The uv cache mount outlives it, as it would on a laptop.
STORAGE_CONF: dict[str, str] = {}


def run(
    *args: str, cwd: Path | None = None, check: bool = True, merge: bool = False
) -> subprocess.CompletedProcess:
    """Run a command with buildah in chroot isolation and the test's storage.

    ``merge``: stderr into stdout, in order (buildah prints its STEP lines on stderr).
    """
    env = project_env() | {"BUILDAH_ISOLATION": "chroot"} | STORAGE_CONF
    result = subprocess.run(
        list(args), cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge else subprocess.PIPE, text=True, timeout=2400, check=False,
    )  # fmt: skip
    if check:
        output = f"{result.stdout[-4000:]}\n{(result.stderr or '')[-4000:]}"
        assert result.returncode == 0, f"{' '.join(args)}:\n{output}"
    return result


def make_image(project: Path, *build_args: str) -> subprocess.CompletedProcess:
    options = " ".join(["--network host", f"--build-arg BASE_IMAGE={BASE}", *build_args])
    return run(
        "make", "image", "CONTAINER_TOOL=buildah", f"IMAGE={IMAGE}", f"BUILD_ARGS={options}",
        cwd=project, merge=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def base_image(tmp_path_factory):
    """The stand-in base image, in a buildah storage that lives as long as this module.

    Its root filesystem is made by mmdebstrap once and kept in .cache/ (a stand-in for a
    pulled image; Debian's archive moves, the test does not depend on which point release).
    """
    if missing_tools():
        pytest.skip(f"{' and '.join(missing_tools())} not installed (.ci/run installs them)")
    storage = tmp_path_factory.mktemp("containers")
    conf = storage / "storage.conf"
    conf.write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{storage}/graph"\nrunroot = "{storage}/run"\n'
    )
    STORAGE_CONF["CONTAINERS_STORAGE_CONF"] = str(conf)
    rootfs = ROOT / ".cache" / f"rootfs-{SUITE}.tar"
    if not rootfs.exists():
        rootfs.parent.mkdir(exist_ok=True)
        partial = rootfs.with_name(f"rootfs-{SUITE}.partial.tar")  # mmdebstrap: a tarball by name
        run(
            "mmdebstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates,make",
            SUITE, str(partial),
        )  # fmt: skip
        partial.rename(rootfs)
    container = run("buildah", "from", "scratch").stdout.strip()
    try:
        run("buildah", "add", "--quiet", container, str(rootfs), "/")
        run("buildah", "commit", "--quiet", container, BASE)
    finally:
        run("buildah", "rm", container)
    yield BASE
    # Everything in this storage, then the overlay mounts buildah leaves behind in it.
    run("buildah", "rm", "--all", check=False)
    run("buildah", "rmi", "--all", "--force", check=False)
    STORAGE_CONF.clear()
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(f"{storage}/")), reverse=True):
        subprocess.run(["umount", mount], check=False)
    shutil.rmtree(storage, ignore_errors=True)


@pytest.fixture(scope="module")
def project(base_image, cookies_session) -> Path:
    result = cookies_session.bake(extra_context={"python_version": PYTHON})
    assert result.exit_code == 0, result.exception
    return result.project_path


def test_image_builds_smokes_trains_and_rebuilds_code_only_changes_in_seconds(project, tmp_path):
    started = time.monotonic()
    make_image(project, "--no-cache")
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
        # A tiny class-folder dataset, written by the project's own demo writer (data.demo).
        data = tmp_path / "data"
        data.mkdir()
        run(
            "buildah", "run", "--user", f"{os.getuid()}:{os.getgid()}", "-v", f"{data}:/out",
            container, "--", "python", "-m", "keras_project.data.demo", "--output-dir", "/out",
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
    lock_step = next(step for step in steps if " pip sync " in step)
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
