"""Start a multi-worker training cluster on this machine: N worker processes over loopback.

Usage::

    python -m {{ cookiecutter.package }}.distributed.launch \\
        --workers 2 -- --data-dir data/demo --epochs 5 --output-dir artifacts

Everything after ``--`` is passed on to ``train --strategy
multi-worker`` in every worker. The launcher picks ``--workers`` free ``127.0.0.1`` ports,
gives worker ``i`` the ``TF_CONFIG`` of task ``worker i`` (``cluster.make_tf_config``; the
format: https://www.tensorflow.org/guide/distributed_training#TF_CONFIG), prints each
worker's output lines prefixed with ``[worker i]``, and waits for all. When a worker fails,
the others are stopped (SIGINT, then SIGKILL after ``--grace`` seconds: TensorFlow's
preemption handler catches SIGTERM and keeps running). Exit status: 0 when every worker
exited 0, else the first failing worker's status (128 + signal number for a signal).

It is the way to try multi-worker training on one machine; on a real cluster each host runs
the ``train`` command itself with its own ``TF_CONFIG`` (see the README).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from ..cli import parse
from ..config import LaunchConfig
from ..errors import ProjectError
from .cluster import make_tf_config

# The project's package (this module is <package>.distributed.launch).
PACKAGE = __package__.rpartition(".")[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct TCP ports that were free on ``host`` when asked (the OS picks them).

    Another program may take one before a worker binds it; the worker then fails with a
    message naming the address (``cluster.wait_for_peers``).
    """
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def worker_command(train_args: Sequence[str]) -> list[str]:
    """The command line every worker runs."""
    return [sys.executable, "-m", f"{PACKAGE}.train", "--strategy", "multi-worker", *train_args]


def _relay(index: int, stream, lock: threading.Lock) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        with lock:
            print(f"[worker {index}] {line}", flush=True)
    stream.close()


def exit_status(returncode: int) -> int:
    """A process's exit status as a shell reports it (``-9`` -> 137)."""
    return 128 - returncode if returncode < 0 else returncode


def stop(processes: Sequence[subprocess.Popen], grace: float) -> None:
    """Interrupt the running ``processes``, then kill those still running after ``grace`` s."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch(workers: int, train_args: Sequence[str], grace: float = 5.0) -> int:
    """Run ``workers`` training processes as one cluster; returns the exit status (see module).

    Raises:
        ValueError: ``workers`` < 1.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    addresses = [f"127.0.0.1:{port}" for port in free_ports(workers)]
    command = worker_command(train_args)
    print(f"[launch] {workers} workers at {', '.join(addresses)}: {' '.join(command)}", flush=True)
    lock = threading.Lock()
    processes: list[subprocess.Popen] = []
    relays = []
    for index in range(workers):
        env = {**os.environ, "TF_CONFIG": make_tf_config(addresses, index)}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # TensorFlow's C++ INFO lines: one per RPC
        env["PYTHONUNBUFFERED"] = "1"
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        processes.append(process)
        print(f"[launch] worker {index}: pid {process.pid}", flush=True)
        relay = threading.Thread(target=_relay, args=(index, process.stdout, lock), daemon=True)
        relay.start()
        relays.append(relay)
    status = 0
    try:
        while any(p.poll() is None for p in processes):
            failed = [(i, p) for i, p in enumerate(processes) if p.poll() not in (None, 0)]
            if failed:
                index, process = failed[0]
                status = exit_status(process.returncode)
                with lock:
                    print(
                        f"[launch] worker {index} exited with status {status}; stopping the others",
                        flush=True,
                    )
                stop(processes, grace)
                break
            time.sleep(0.1)
    except KeyboardInterrupt:
        stop(processes, grace)
        status = 130
    for relay in relays:
        relay.join(timeout=5)
    if status == 0:
        codes = [exit_status(p.returncode) for p in processes]
        status = next((code for code in codes if code), 0)
    print(f"[launch] exit status {status}", flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    """``[--workers N] [--grace S] -- TRAIN_FLAGS...``: the launcher's own flags
    (``config.LaunchConfig``), then, after ``--``, the flags every worker's ``train`` gets."""
    argv = list(sys.argv[1:] if argv is None else argv)
    own, train_args = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    try:
        config = parse(LaunchConfig, own, prog=f"python -m {__package__}.launch")
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if any(arg == "--strategy" or arg.startswith("--strategy=") for arg in train_args):
        print(
            "error: leave out --strategy: every worker runs --strategy multi-worker",
            file=sys.stderr,
        )
        return 2
    return launch(config.workers, train_args, config.grace)


if __name__ == "__main__":
    sys.exit(main())
