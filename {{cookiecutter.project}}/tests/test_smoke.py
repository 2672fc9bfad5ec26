"""The import smoke test: passes on the installed lock, names each failure."""

import pytest

from stackguard import locks, smoke


def test_smoke_test_passes_on_the_installed_lock(capsys):
    assert smoke.main([]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert "PASS versions:" in out and "PASS loader tf-data:" in out


def test_version_mismatches_name_both_versions(tmp_path):
    lock = tmp_path / "cpu.txt"
    lock.write_text("keras==3.15.1 \\\n    --hash=sha256:00\nnumpy==2.5.5\nabsent-package==1.0\n")
    check = locks.check_versions([lock], {"keras": "3.15.1", "numpy": "2.4.0"})
    assert not check.ok
    assert "numpy installed 2.4.0, locked 2.5.5" in check.detail
    assert "absent-package not installed (locked 1.0)" in check.detail
    assert "keras" not in check.detail


def test_the_cuda_lock_is_active_when_nvidia_wheels_are_installed(tmp_path):
    (tmp_path / "cpu.txt").write_text("tensorflow==2.21.0\n")
    (tmp_path / "cuda.txt").write_text("tensorflow==2.21.0\nnvidia-cudnn-cu12==9.0\n")
    cpu = locks.active_locks(tmp_path, {"tensorflow": "2.21.0"})
    cuda = locks.active_locks(tmp_path, {"tensorflow": "2.21.0", "nvidia-cudnn-cu12": "9.0"})
    assert cpu[0].name == "cpu.txt" and cuda[0].name == "cuda.txt"


def test_warnings_fail_a_strict_check():
    import warnings

    check = smoke.strict(
        "probe", lambda: warnings.warn("old API", DeprecationWarning, stacklevel=2) or ""
    )
    assert not check.ok and "DeprecationWarning: old API" in str(check)


@pytest.mark.gpu
def test_gpu_smoke_check(gpu_required):
    check = smoke.check_gpu()
    assert check.ok, check.detail
