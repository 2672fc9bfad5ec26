"""The cluster of a multi-worker training: ``TF_CONFIG`` read and checked, and its peers reached.

``tf.distribute.MultiWorkerMirroredStrategy`` learns the cluster from the ``TF_CONFIG``
environment variable (https://www.tensorflow.org/guide/distributed_training#TF_CONFIG,
https://www.tensorflow.org/tutorials/distribute/multi_worker_with_ctl), a JSON object such as::

    {"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]},
     "task": {"type": "worker", "index": 0}}

Every worker gets the same ``cluster`` and its own ``task``. ``read_tf_config`` checks it and
raises one ``ClusterError`` naming the bad field, where TensorFlow would fail later with a less
direct message or hang. ``wait_for_peers`` meets every peer over TCP before the strategy is
created, and fails after a timeout naming the ones that did not answer: TensorFlow itself
waits for a missing peer without limit (its gRPC server keeps retrying, and SIGTERM is
caught by its preemption handler), so a missing peer would hang every other worker.

Only the standard library is used here, so the launcher (``launch``) and the tests of
this module do not import TensorFlow.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import ClusterError

# Jobs MultiWorkerMirroredStrategy trains with; "chief" is optional (at most one address).
JOBS = ("chief", "worker")
# Seconds between two TCP connection attempts to a peer that is not up yet.
RETRY_SECONDS = 0.25
# First word of the rendezvous line peers exchange before the strategy starts.
HELLO = "multi-worker-hello"


@dataclass(frozen=True)
class ClusterSpec:
    """A checked ``TF_CONFIG``.

    Attributes:
        jobs: job name (``"chief"``, ``"worker"``) -> its ``host:port`` addresses, in order.
        task_type: this process's job.
        task_index: this process's index in ``jobs[task_type]``.
    """

    jobs: Mapping[str, tuple[str, ...]]
    task_type: str
    task_index: int

    @property
    def address(self) -> str:
        """This task's own ``host:port``."""
        return self.jobs[self.task_type][self.task_index]

    @property
    def task_name(self) -> str:
        """``"worker 1"``: this task as the messages name it."""
        return f"{self.task_type} {self.task_index}"

    @property
    def is_chief(self) -> bool:
        """The task that writes the outputs: the ``chief``, else ``worker`` 0 (as
        ``MultiWorkerMirroredStrategy`` decides, ``multi_worker_util.is_chief``)."""
        if "chief" in self.jobs:
            return self.task_type == "chief"
        return self.task_type == "worker" and self.task_index == 0

    @property
    def num_workers(self) -> int:
        """Processes in the cluster (chief included)."""
        return sum(len(addresses) for addresses in self.jobs.values())

    @property
    def worker_id(self) -> int:
        """0-based position of this task among all of them, the chief first."""
        earlier_jobs = JOBS[: JOBS.index(self.task_type)]
        return sum(len(self.jobs.get(job, ())) for job in earlier_jobs) + self.task_index

    def tasks(self) -> list[tuple[str, str]]:
        """``[(name, "host:port"), ...]`` of every task, the chief first: ``worker_id`` order."""
        return [
            (f"{job} {index}", address)
            for job in JOBS
            for index, address in enumerate(self.jobs.get(job, ()))
        ]

    def peers(self) -> list[tuple[str, str]]:
        """``tasks()`` less this one, e.g. ``[("worker 1", "10.0.0.2:12345")]``."""
        return [task for task in self.tasks() if task[0] != self.task_name]


def split_address(address: object, field: str) -> tuple[str, int]:
    """``("host", port)`` of a ``"host:port"`` string (IPv6 hosts in brackets: ``"[::1]:80"``).

    Raises:
        ClusterError: not a string ``host:port`` with a port in 1..65535; names ``field``.
    """
    if not isinstance(address, str) or ":" not in address:
        raise ClusterError(f"TF_CONFIG field '{field}': {address!r} is not host:port")
    host, _, port = address.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or any(char.isspace() for char in host) or not port.isdigit():
        raise ClusterError(f"TF_CONFIG field '{field}': {address!r} is not host:port")
    if not 1 <= int(port) <= 65535:
        raise ClusterError(f"TF_CONFIG field '{field}': port {port} of {address!r} not in 1..65535")
    return host, int(port)


def parse_tf_config(text: str | None) -> ClusterSpec:
    """Check a ``TF_CONFIG`` JSON string for ``MultiWorkerMirroredStrategy``.

    Needs ``cluster.worker`` (a non-empty list of unique ``host:port`` strings), an optional
    ``cluster.chief`` of one address, and ``task`` with ``type`` ``"worker"`` or ``"chief"``
    and an int ``index`` within that job's list. Other keys of ``TF_CONFIG`` (``rpc_layer``,
    ``environment``) are ignored, as TensorFlow does for this strategy.

    Raises:
        ClusterError: the first problem found, naming the field (``cluster.worker``,
            ``task.index``, ...) and the value.
    """
    if text is None or not text.strip():
        raise ClusterError(
            "TF_CONFIG is not set: --strategy multi-worker reads the cluster from it "
            "(see the README, or start a local cluster with make train-cluster)"
        )
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ClusterError(f"TF_CONFIG is not valid JSON: {error}") from error
    if not isinstance(config, dict):
        raise ClusterError("TF_CONFIG must be a JSON object with the fields 'cluster' and 'task'")
    cluster = config.get("cluster")
    if not isinstance(cluster, dict):
        raise ClusterError(
            "TF_CONFIG field 'cluster' is missing or not an object of job -> [host:port, ...]"
        )
    for job in cluster:
        if job not in JOBS:
            raise ClusterError(
                f"TF_CONFIG field 'cluster.{job}': MultiWorkerMirroredStrategy trains with "
                "'worker' (and at most one 'chief') tasks only"
            )
    if "worker" not in cluster:
        raise ClusterError(
            "TF_CONFIG field 'cluster.worker' is missing: list the workers' host:port"
        )
    jobs: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for job in JOBS:
        if job not in cluster:
            continue
        addresses = cluster[job]
        if not isinstance(addresses, list) or not addresses:
            raise ClusterError(
                f"TF_CONFIG field 'cluster.{job}' must be a non-empty list of host:port strings"
            )
        if job == "chief" and len(addresses) > 1:
            raise ClusterError("TF_CONFIG field 'cluster.chief' must list one address")
        for index, address in enumerate(addresses):
            field = f"cluster.{job}[{index}]"
            split_address(address, field)
            if address in seen:
                raise ClusterError(
                    f"TF_CONFIG field '{field}': {address} is already '{seen[address]}'"
                )
            seen[address] = field
        jobs[job] = tuple(addresses)
    task = config.get("task")
    if not isinstance(task, dict):
        raise ClusterError(
            'TF_CONFIG field \'task\' is missing or not an object like {"type": "worker", '
            '"index": 0}'
        )
    task_type = task.get("type")
    if task_type not in jobs:
        raise ClusterError(
            f"TF_CONFIG field 'task.type': {task_type!r} is not a job of the cluster "
            f"({', '.join(jobs)})"
        )
    if "index" not in task and task_type == "worker":
        raise ClusterError(
            "TF_CONFIG field 'task.index' is missing: this worker's position in cluster.worker"
        )
    index = task.get("index", 0)  # the one chief may leave it out
    if isinstance(index, bool) or not isinstance(index, int):
        raise ClusterError(f"TF_CONFIG field 'task.index': {index!r} is not an integer")
    if not 0 <= index < len(jobs[task_type]):
        raise ClusterError(
            f"TF_CONFIG field 'task.index': {index} is out of range; cluster.{task_type} has "
            f"{len(jobs[task_type])} address(es), indices 0..{len(jobs[task_type]) - 1}"
        )
    return ClusterSpec(jobs=jobs, task_type=task_type, task_index=index)


def read_tf_config(environ: Mapping[str, str] | None = None) -> ClusterSpec:
    """``parse_tf_config`` of the ``TF_CONFIG`` environment variable.

    Raises:
        ClusterError: as ``parse_tf_config``.
    """
    return parse_tf_config((os.environ if environ is None else environ).get("TF_CONFIG"))


def make_tf_config(workers: Sequence[str], index: int) -> str:
    """The ``TF_CONFIG`` JSON of worker ``index`` in a cluster of ``workers`` addresses."""
    return json.dumps(
        {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}}
    )


def cluster_digest(spec: ClusterSpec) -> str:
    """Short hash of the cluster's addresses: peers with another ``cluster`` differ."""
    text = json.dumps({job: list(spec.jobs[job]) for job in sorted(spec.jobs)})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _hello(spec: ClusterSpec) -> bytes:
    return f"{HELLO} {cluster_digest(spec)} {spec.task_type}:{spec.task_index}\n".encode()


def _read_hello(data: bytes) -> tuple[str, str] | None:
    """``(digest, "worker 1")`` of a hello line, ``None`` for anything else."""
    parts = data.decode(errors="replace").split()
    if len(parts) != 3 or parts[0] != HELLO or ":" not in parts[2]:
        return None
    job, _, index = parts[2].partition(":")
    return parts[1], f"{job} {index}"


def _ask(address: tuple[str, int], hello: bytes, timeout: float) -> tuple[str, str] | None:
    """Send ``hello`` to a peer's rendezvous listener; its hello back, or ``None``."""
    try:
        with socket.create_connection(address, timeout=timeout) as connection:
            connection.sendall(hello)
            return _read_hello(connection.recv(256))
    except OSError:
        return None


def _answer(listener: socket.socket, hello: bytes, heard: dict, stop: threading.Event) -> None:
    """Answer hellos on ``listener`` with ``hello`` until ``stop``; record who said hello."""
    while not stop.is_set():
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with connection:
            connection.settimeout(1.0)
            try:
                said = _read_hello(connection.recv(256))
                if said:
                    heard[said[1]] = said[0]
                    connection.sendall(hello)
                    connection.recv(1)  # let the peer close first: no TIME_WAIT on our port
            except OSError:
                pass


def wait_for_peers(spec: ClusterSpec, timeout: float) -> float:
    """Rendezvous over TCP with every peer before the strategy starts; returns seconds waited.

    This task listens on its own port (all interfaces, as TensorFlow's gRPC server will) and
    exchanges a one-line hello, holding a hash of ``cluster``, with every peer it connects
    to or that connects to it. A peer counts as up once either way worked, so peers may
    start in any order within ``timeout``, and one that finished first and started its gRPC
    server on its port still counts. The port is freed before returning.

    Args:
        spec: the checked ``TF_CONFIG``.
        timeout: seconds to wait for all peers in total.

    Raises:
        ClusterError: this task's own port cannot be listened on (in use, or not a local
            address); a peer runs with another ``cluster``; or a peer did not answer within
            ``timeout``: the message names each such task and its ``host:port``.
    """
    own_host, own_port = split_address(spec.address, f"cluster.{spec.task_type}")
    ipv6 = ":" in own_host
    listener = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("::" if ipv6 else "", own_port))
        listener.listen(16)
    except OSError as error:
        listener.close()
        raise ClusterError(
            f"{spec.task_name} cannot listen on its TF_CONFIG address {spec.address}: "
            f"{error.strerror or error} (is another program using port {own_port}?)"
        ) from error
    listener.settimeout(0.2)
    hello, digest = _hello(spec), cluster_digest(spec)
    heard: dict[str, str] = {}
    stop = threading.Event()
    answering = threading.Thread(target=_answer, args=(listener, hello, heard, stop), daemon=True)
    answering.start()
    start = time.monotonic()
    waiting = dict(spec.peers())
    try:
        while True:
            for name, address in list(waiting.items()):
                said = _ask(split_address(address, name), hello, timeout=min(2.0, timeout))
                if said:
                    heard[name] = said[0]
                if name in heard:
                    if heard[name] != digest:
                        raise ClusterError(
                            f"{name} at {address} runs with another TF_CONFIG 'cluster' than "
                            f"{spec.task_name}: give every worker the same cluster"
                        )
                    del waiting[name]
            if not waiting:
                return time.monotonic() - start
            if time.monotonic() - start >= timeout:
                missing = ", ".join(f"{name} at {address}" for name, address in waiting.items())
                raise ClusterError(
                    f"{spec.task_name} could not reach {missing} within {timeout:g} s "
                    "(is it started, and is the port open between the hosts?)"
                )
            time.sleep(RETRY_SECONDS)
    finally:
        stop.set()
        answering.join()
        listener.close()


# The watchdog of ``deadline``: waits on its stdin; EOF (the block ended, or the parent
# died) ends it quietly, a timeout prints the error and kills the parent.
_WATCHDOG = """
import os, select, signal, sys
seconds, parent, message = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ready, _, _ = select.select([sys.stdin], [], [], seconds)
if not ready:
    print("error: " + message, file=sys.stderr, flush=True)
    os.kill(parent, signal.SIGKILL)
"""


@contextmanager
def deadline(seconds: float, message: str) -> Iterator[None]:
    """Within ``seconds`` the block must finish, else ``error: message`` and the process is
    killed (SIGKILL: exit status 137).

    For TensorFlow calls that wait without limit inside C++ while holding the GIL (creating
    ``MultiWorkerMirroredStrategy`` waits for every task to connect), where no Python thread,
    signal handler or exception can run: a small watchdog process does it.
    """
    watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(seconds), str(os.getpid()), message],
        stdin=subprocess.PIPE,
    )
    try:
        yield
    finally:
        watchdog.stdin.close()
        watchdog.wait()
