"""The baked project's notebooks, for real (slow tier): the example notebook runs headless on
the registered kernel, ``make notebook`` serves JupyterLab with a token, and the
output-stripping hook strips a notebook committed with outputs.

Everything runs in the shared installed project (``train_project``), with the project's
locked nbclient, JupyterLab and nbstripout. https://nbclient.readthedocs.io/
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import git, project_env

NOTEBOOK = Path("notebooks") / "explore.ipynb"
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+)")

EXECUTE = """
import sys, nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(notebook, timeout=900, resources={"metadata": {"path": "notebooks"}})
client.execute()
spec = KernelSpecManager().get_kernel_spec(client.kernel_name)
print("KERNEL", client.kernel_name, spec.argv[0])
nbformat.write(notebook, sys.argv[2])
"""


def outputs(notebook: dict) -> list[dict]:
    return [output for cell in notebook["cells"] for output in cell.get("outputs", [])]


@pytest.fixture(scope="module")
def executed(train_project, tmp_path_factory) -> tuple[Path, dict, str]:
    """The example notebook executed by nbclient on its own kernel (the metadata's)."""
    target = tmp_path_factory.mktemp("executed") / "explore.ipynb"
    result = subprocess.run(
        [str(train_project / ".venv" / "bin" / "python"), "-c", EXECUTE, str(NOTEBOOK), str(target)],
        cwd=train_project, env=project_env(), capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return target, json.loads(target.read_text()), result.stdout


@pytest.mark.slow
def test_the_example_notebook_runs_on_the_venv_kernel_and_trains_both_loaders(
    train_project, executed
):
    _, notebook, stdout = executed
    kernel = notebook["metadata"]["kernelspec"]["name"]
    assert kernel == train_project.name
    assert f"KERNEL {kernel} {train_project / '.venv' / 'bin' / 'python'}" in stdout
    text = "".join(
        "".join(output.get("text", ""))
        for output in outputs(notebook)
        if output["output_type"] == "stream"
    )
    assert f"kernel: {train_project / '.venv' / 'bin' / 'python'}" in text
    for loader in ("sequence", "tf-data"):
        line = rf"^{loader}: .*\bval_accuracy ([\d.]+)\b.* after 5 epochs$"
        accuracy = float(re.search(line, text, re.MULTILINE).group(1))
        assert accuracy >= 0.8, (loader, accuracy)
        assert (train_project / "artifacts" / "notebook" / loader / "history.png").is_file()
    assert float(re.search(r"^evaluation accuracy ([\d.]+)$", text, re.MULTILINE).group(1)) >= 0.8
    assert (
        train_project / "artifacts" / "notebook" / "evaluation" / "confusion_matrix.png"
    ).is_file()
    figures = [o for o in outputs(notebook) if "image/png" in o.get("data", {})]
    assert len(figures) == 3  # two training-curve figures and the confusion matrix
    assert not [o for o in outputs(notebook) if o["output_type"] == "error"]


@pytest.mark.slow
def test_a_notebook_committed_with_outputs_comes_out_of_the_hook_stripped(train_project, executed):
    source, with_outputs, _ = executed
    assert outputs(with_outputs), "the executed notebook has outputs to strip"
    path = train_project / NOTEBOOK
    shipped = path.read_bytes()
    path.write_bytes(source.read_bytes())
    try:
        git(train_project, "add", str(NOTEBOOK))
        commit = git(train_project, "commit", "-m", "notebook with outputs", check=False)
        out = commit.stdout + commit.stderr
        assert commit.returncode != 0, out  # the hook changed the file: the commit stops
        assert re.search(r"strip notebook outputs \(nbstripout\)\.+Failed", out), out
        stripped = json.loads(path.read_text())
        assert outputs(stripped) == []
        assert all(cell.get("execution_count") is None for cell in stripped["cells"])
        assert [c["source"] for c in stripped["cells"]] == [
            c["source"] for c in with_outputs["cells"]
        ]
    finally:
        path.write_bytes(shipped)
        git(train_project, "add", str(NOTEBOOK))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_when_listening(url: str, server: subprocess.Popen, wait: float = 60):
    """GET ``url`` once the server accepts connections (it may log its URL a moment before)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return urllib.request.urlopen(url, timeout=30)
        except urllib.error.URLError as error:
            refused = isinstance(error.reason, ConnectionRefusedError)
            if not refused or server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"{url}: {error} (server exit code {server.poll()})"
                ) from error
            time.sleep(0.5)


@pytest.mark.slow
def test_make_notebook_serves_jupyterlab_on_localhost_with_a_token(train_project):
    port = free_port()
    server = subprocess.Popen(
        ["make", "notebook", f"NOTEBOOK_PORT={port}"], cwd=train_project, env=project_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    seen = []
    try:
        deadline = time.monotonic() + 180
        match = None
        while match is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line and server.poll() is not None:
                break
            seen.append(line)
            match = URL.search(line)
        assert match, "no URL with a token within 180 s:\n" + "".join(seen)
        assert int(match.group(1)) == port
        token = match.group(2)
        status = get_when_listening(f"http://127.0.0.1:{port}/api/status?token={token}", server)
        assert status.status == 200, "".join(seen)
        assert {"started", "kernels"} <= set(json.loads(status.read()))
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=30)
        assert refused.value.code == 403
        specs = urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/kernelspecs?token={token}", timeout=30
        )
        assert json.loads(specs.read())["default"] == train_project.name
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
