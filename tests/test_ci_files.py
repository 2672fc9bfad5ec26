"""Fast tier: generated CI and pre-commit configs validate and are hardened.

Schemas are check-jsonschema's vendored (offline) copies of the published ones; the
GitHub workflow must pass zizmor with no findings (https://docs.zizmor.sh/audits/).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import project_env

BIN = Path(sys.executable).parent


def check_schema(schema: str, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def github_project(cookies_session) -> Path:
    result = cookies_session.bake(extra_context={"ci": "github"})
    assert result.exit_code == 0, result.exception
    return result.project_path


@pytest.fixture(scope="module")
def gitlab_project(cookies_session) -> Path:
    result = cookies_session.bake(extra_context={"ci": "gitlab"})
    assert result.exit_code == 0, result.exception
    return result.project_path


def test_github_workflow_and_dependabot_validate_against_their_schemas(github_project):
    workflow = github_project / ".github" / "workflows" / "ci.yml"
    dependabot = github_project / ".github" / "dependabot.yml"
    for schema, path in [("vendor.github-workflows", workflow), ("vendor.dependabot", dependabot)]:
        result = check_schema(schema, path)
        assert result.returncode == 0, result.stdout + result.stderr


def test_gitlab_ci_validates_against_its_schema(gitlab_project):
    result = check_schema("vendor.gitlab-ci", gitlab_project / ".gitlab-ci.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_workflow_passes_zizmor_with_no_findings(github_project):
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", str(github_project / ".github")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_github_workflow_is_hardened(github_project):
    workflow = yaml.safe_load((github_project / ".github" / "workflows" / "ci.yml").read_text())
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert set(workflow["jobs"]) == {"lint", "test", "locks", "template", "image", "gpu"}
    text = (github_project / ".github" / "workflows" / "ci.yml").read_text()
    for uses in re.findall(r"uses: (\S+.*)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", uses), uses
    for job in workflow["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
        assert job["timeout-minutes"] > 0
        for step in job["steps"]:
            if "uses" in step and "checkout" in step["uses"]:
                assert step["with"]["persist-credentials"] is False
            if "run" in step:
                assert step["run"].startswith("make "), step["run"]
    assert workflow["jobs"]["gpu"]["runs-on"] == ["self-hosted", "gpu"]
    assert "GPU_RUNNER" in workflow["jobs"]["gpu"]["if"]


def test_both_ci_flavours_run_the_same_make_targets(github_project, gitlab_project):
    workflow = yaml.safe_load((github_project / ".github" / "workflows" / "ci.yml").read_text())
    gitlab = yaml.safe_load((gitlab_project / ".gitlab-ci.yml").read_text())
    for job in ("lint", "test", "locks", "template", "gpu"):
        github_steps = [s["run"] for s in workflow["jobs"][job]["steps"] if "run" in s]
        assert gitlab[job]["script"] == github_steps, job
    makefile = (github_project / "Makefile").read_text()
    jobs = ("lint", "test", "locks", "template", "gpu")
    for command in {c for job in jobs for c in gitlab[job]["script"]}:
        target = command.split()[1]
        assert re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE), target


def test_pre_commit_hooks_are_local_and_use_locked_tools(github_project):
    config = yaml.safe_load((github_project / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {
        "ruff-check", "ruff-format", "end-of-file-fixer", "trailing-whitespace", "check-yaml",
        "check-toml", "check-merge-conflict", "check-added-large-files", "check-imports", "smoke",
        "nbstripout",
    } == set(hooks)  # fmt: skip
    dev_lock = (github_project / "requirements" / "dev.txt").read_text()
    for name in ("ruff", "pre-commit-hooks", "pre-commit", "nbstripout"):
        assert re.search(rf"^{name}==", dev_lock, re.MULTILINE), name
    for hook in hooks.values():
        assert hook["language"] == "system"
        assert "rev" not in hook and "additional_dependencies" not in hook
    assert hooks["smoke"]["files"] == r"^(src/|stackguard/|tests/|requirements/|pyproject\.toml$)"
    assert hooks["check-imports"]["types_or"] == ["python", "jupyter"]
    assert hooks["check-imports"].get("pass_filenames", True)  # the changed files only
    assert hooks["nbstripout"]["types"] == ["jupyter"]


def test_smoke_hook_without_a_venv_fails_with_one_line_naming_the_fix(github_project):
    config = yaml.safe_load((github_project / ".pre-commit-config.yaml").read_text())
    smoke = next(hook for hook in config["repos"][0]["hooks"] if hook["id"] == "smoke")
    assert not (github_project / ".venv").exists()
    result = subprocess.run(
        smoke["entry"], shell=True, cwd=github_project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert (result.stdout + result.stderr).splitlines() == [
        "error: .venv not found: run make install"
    ]


def test_every_job_that_installs_caches_uv_keyed_on_the_locks(github_project, gitlab_project):
    workflow = yaml.safe_load((github_project / ".github" / "workflows" / "ci.yml").read_text())
    for name, job in workflow["jobs"].items():
        steps = job["steps"]
        if not any(step.get("run") == "make install" for step in steps):
            continue
        caches = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
        assert caches, f"job {name} installs without a uv cache"
        assert caches[0]["with"]["path"] == "~/.cache/uv"
        assert "hashFiles('.python-version', 'requirements/*.txt')" in caches[0]["with"]["key"]
    gitlab = yaml.safe_load((gitlab_project / ".gitlab-ci.yml").read_text())
    assert gitlab["variables"]["UV_CACHE_DIR"] == "$CI_PROJECT_DIR/.cache/uv"
    assert ".cache/uv" in gitlab["default"]["cache"]["paths"]
    assert "requirements/cpu.txt" in gitlab["default"]["cache"]["key"]["files"]


def test_the_template_job_is_optional_in_both_ci_flavours(github_project, gitlab_project):
    workflow = yaml.safe_load((github_project / ".github" / "workflows" / "ci.yml").read_text())
    assert workflow["jobs"]["template"]["continue-on-error"] is True
    gitlab = yaml.safe_load((gitlab_project / ".gitlab-ci.yml").read_text())
    assert gitlab["template"]["allow_failure"] is True
    assert gitlab["template"]["script"][-1] == "make cruft-check"


def test_dependabot_watches_the_locks_with_a_cooldown_and_groups_tensorflow_with_keras(
    github_project,
):
    config = yaml.safe_load((github_project / ".github" / "dependabot.yml").read_text())
    pip = next(u for u in config["updates"] if u["package-ecosystem"] == "pip")
    assert pip["directory"] == "/" and pip["cooldown"]["default-days"] > 0
    groups = [g["patterns"] for g in pip["groups"].values()]
    assert any("tensorflow" in patterns and "keras" in patterns for patterns in groups)


def test_renovate_reads_every_lock_and_groups_tensorflow_with_keras(github_project):
    """The fields Renovate acts on; its own validator checks the file (test_renovate.py)."""
    config = json.loads((github_project / "renovate.json").read_text())
    patterns = config["pip-compile"]["managerFilePatterns"]
    regexes = [re.compile(p.strip("/")) for p in patterns]
    for lock in ("cpu", "cuda", "dev"):
        assert any(r.search(f"requirements/{lock}.txt") for r in regexes), lock
    assert not any(r.search(f"requirements/{lock}.in") for r in regexes for lock in ("cpu",))
    assert config["lockFileMaintenance"]["enabled"] is True
    assert any("monday" in s for s in config["lockFileMaintenance"]["schedule"])
    group = next(rule for rule in config["packageRules"] if "groupName" in rule)
    assert {"tensorflow", "keras"} <= set(group["matchPackageNames"])
    assert config["pip_requirements"]["enabled"] is False


def test_github_builds_the_cpu_image_and_runs_its_smoke_test(github_project, gitlab_project):
    workflow = yaml.safe_load((github_project / ".github" / "workflows" / "ci.yml").read_text())
    steps = [step["run"] for step in workflow["jobs"]["image"]["steps"] if "run" in step]
    assert steps == ["make image", "make image-smoke"]
    makefile = (github_project / "Makefile").read_text()
    for target in ("image", "image-smoke", "image-train"):
        assert re.search(rf"^{target}:.*## ", makefile, re.MULTILINE), target
    # GitLab has no image job, and says why.
    gitlab_text = (gitlab_project / ".gitlab-ci.yml").read_text()
    assert "image" not in yaml.safe_load(gitlab_text)
    assert "No image job" in gitlab_text and "docker-in-docker" in gitlab_text


def test_the_bots_move_the_base_images_digest_never_its_python(github_project):
    dockerfile = (github_project / "Dockerfile").read_text()
    python = (github_project / ".python-version").read_text().strip()
    # The FROM line both bots parse: the official image's tag and digest, literally.
    assert re.search(
        rf"^FROM python:{re.escape(python)}-slim-bookworm@sha256:[0-9a-f]{{64}} AS python-official$",
        dockerfile,
        re.MULTILINE,
    )
    assert re.search(r"^ARG BASE_IMAGE=python-official$", dockerfile, re.MULTILINE)
    dependabot = yaml.safe_load((github_project / ".github" / "dependabot.yml").read_text())
    docker = next(u for u in dependabot["updates"] if u["package-ecosystem"] == "docker")
    assert docker["directory"] == "/"
    assert docker["ignore"] == [
        {
            "dependency-name": "python",
            "update-types": ["version-update:semver-major", "version-update:semver-minor"],
        }
    ]
    renovate = json.loads((github_project / "renovate.json").read_text())
    python_rule = next(
        rule for rule in renovate["packageRules"] if rule.get("matchDatasources") == ["docker"]
    )
    assert python_rule["matchPackageNames"] == ["python"]
    assert python_rule["matchUpdateTypes"] == ["major", "minor"] and not python_rule["enabled"]


@pytest.mark.parametrize(
    ("path", "variant"), [("devcontainer.json", "cpu"), ("cuda/devcontainer.json", "cuda")]
)
def test_devcontainers_build_the_projects_dockerfile_and_only_register_the_kernel(
    github_project, path, variant
):
    """Not checked against the official devcontainer JSON schema: no PyPI or npm package
    found ships it (README, "Container image"); this checks the fields the project relies on."""
    config_file = github_project / ".devcontainer" / path
    config = json.loads(config_file.read_text())
    build = config["build"]
    assert (config_file.parent / build["dockerfile"]).resolve() == github_project / "Dockerfile"
    assert (config_file.parent / build["context"]).resolve() == github_project
    assert build["args"] == {"VARIANT": variant}
    assert config["postCreateCommand"].startswith(
        "python -m ipykernel install --sys-prefix --name keras-project "
    )
    assert set(config["customizations"]["vscode"]["extensions"]) == {
        "ms-python.python", "ms-toolsai.jupyter",
    }  # fmt: skip
    assert config["remoteUser"] == "app"
    if variant == "cuda":
        assert config["hostRequirements"] == {"gpu": True}
        assert config["runArgs"] == ["--gpus", "all"]
    else:
        assert "hostRequirements" not in config and "runArgs" not in config


def dry_run(project: Path, *args: str) -> str:
    """The commands ``make -n ARGS`` would run in the project (none is run)."""
    result = subprocess.run(
        ["make", "-n", *args], cwd=project, env=project_env(), capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("tool", "gpu_args"),
    [("docker", "--gpus all"), ("podman", "--device nvidia.com/gpu=all")],
)
def test_the_cuda_variant_selects_the_cuda_lock_and_runs_on_the_gpus(
    github_project, tool, gpu_args
):
    build = dry_run(github_project, "image", "VARIANT=cuda", f"CONTAINER_TOOL={tool}")
    assert f"{tool} build" in build and "--build-arg VARIANT=cuda" in build
    assert "-t keras-project:cuda ." in build
    smoke = dry_run(github_project, "image-smoke", "VARIANT=cuda", f"CONTAINER_TOOL={tool}")
    assert f"run --rm {gpu_args}" in smoke and "python -m stackguard.smoke --gpu" in smoke
    cpu_smoke = dry_run(github_project, "image-smoke", f"CONTAINER_TOOL={tool}")
    assert "--gpus" not in cpu_smoke and "nvidia.com/gpu" not in cpu_smoke
    assert cpu_smoke.rstrip().endswith("keras-project:cpu python -m stackguard.smoke")
    # The Dockerfile installs the lock the variant names, and nothing else chooses it.
    dockerfile = (github_project / "Dockerfile").read_text()
    assert '"requirements/$VARIANT.txt" requirements/dev.txt' in dockerfile
    assert 'sha256sum "requirements/$VARIANT.txt" requirements/dev.txt' in dockerfile


def test_image_train_mounts_the_data_read_only_and_runs_as_the_host_user(github_project, tmp_path):
    out = dry_run(
        github_project, "image-train", "CONTAINER_TOOL=docker", f"DATA={tmp_path}",
        f"OUTPUT={tmp_path / 'out'}", "EPOCHS=2",
    )  # fmt: skip
    assert f'-v "{tmp_path}":/data:ro' in out
    assert f'-v "{tmp_path / "out"}":/artifacts' in out
    assert "--user $(id -u):$(id -g)" in out
    assert "--data-dir /data --output-dir /artifacts --epochs 2" in out
    missing = subprocess.run(
        ["make", "image-train", "CONTAINER_TOOL=docker", f"DATA={tmp_path / 'nope'}"],
        cwd=github_project, env=project_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert missing.returncode != 0
    assert f"error: DATA={tmp_path / 'nope'} is not a folder" in missing.stderr
