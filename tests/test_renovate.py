"""Every baked project's renovate.json passes Renovate's own validator (slow: npm install).

The validator is ``renovate-config-validator`` from the npm package ``renovate``, pinned
with its whole tree in tests/renovate/package-lock.json and installed with ``npm ci`` into
.cache/ (once; reused while the lock file is unchanged). Renovate 44's bot needs Node 22+,
its validator runs on Node 20. https://docs.renovatebot.com/config-validation/
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import ROOT, project_env

PINNED = ROOT / "tests" / "renovate"
VALIDATOR_DIR = ROOT / ".cache" / "renovate-validator"


@pytest.fixture(scope="module")
def validator() -> str:
    """Path of the pinned ``renovate-config-validator``, installed with ``npm ci``."""
    if shutil.which("npm") is None:
        pytest.fail("npm not found: the Renovate validator needs Node 20+ and npm")
    lock = (PINNED / "package-lock.json").read_text()
    installed = VALIDATOR_DIR / "package-lock.json"
    binary = VALIDATOR_DIR / "node_modules" / ".bin" / "renovate-config-validator"
    if not (binary.exists() and installed.exists() and installed.read_text() == lock):
        shutil.rmtree(VALIDATOR_DIR, ignore_errors=True)
        VALIDATOR_DIR.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(PINNED / name, VALIDATOR_DIR / name)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=VALIDATOR_DIR, check=True, timeout=900,
        )  # fmt: skip
    return str(binary)


def validate(validator: str, project) -> subprocess.CompletedProcess:
    """Run the validator in ``project`` on its renovate.json, as repository config."""
    return subprocess.run(
        [validator, "--strict"], cwd=project, env=project_env(), capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["github", "gitlab", "none"])
def test_baked_renovate_json_passes_renovates_validator(validator, cookies_session, ci):
    result = cookies_session.bake(extra_context={"ci": ci})
    assert result.exit_code == 0, result.exception
    checked = validate(validator, result.project_path)
    out = checked.stdout + checked.stderr
    assert checked.returncode == 0, out
    assert "Validating renovate.json" in out and "validated successfully" in out


@pytest.mark.slow
def test_the_validator_rejects_a_misspelt_manager_option(validator, tmp_path):
    """The check above can fail: a typo in the key Renovate needs is an error."""
    text = (ROOT / "{{cookiecutter.project}}" / "renovate.json").read_text()
    assert '"managerFilePatterns"' in text
    (tmp_path / "renovate.json").write_text(
        text.replace("managerFilePatterns", "managerFilePattern")
    )
    checked = validate(validator, tmp_path)
    assert checked.returncode != 0
    assert "Found errors in configuration" in checked.stdout + checked.stderr
