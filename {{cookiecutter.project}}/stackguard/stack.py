"""Client of ``stackguard.probe``: ask the installed stack, in one subprocess, what resolves.

``Stack`` starts ``python -m stackguard.probe`` with the project's venv interpreter
(``.venv/bin/python``, or the running one when it is that venv), so TensorFlow is imported
once per run, in the environment the project really uses, whatever interpreter runs the
tool. Answers are cached by question.

Raises ``StackError`` (one message naming the interpreter and the fix) when the probe
cannot start, dies, or does not answer within ``timeout`` seconds.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .locks import venv_python

GUARD_ROOT = Path(__file__).resolve().parent.parent


class StackError(RuntimeError):
    """The probe of the installed stack could not answer."""


def default_python() -> Path:
    """The project's venv interpreter when it exists, else the running one."""
    python = venv_python()
    return python if python.exists() else Path(sys.executable)


class Stack:
    """The installed stack, asked through one long-lived probe process.

    Use as a context manager; ``resolve``, ``candidates``, ``modules_with`` and
    ``tensorflow`` answer from the probe (see its docstring for what each answer holds).
    ``cwd`` is the probe's working folder, first on its ``sys.path`` (the doctor passes
    the user's, so that a local ``keras.py`` shadows there as it would for the user);
    ``startup`` is ``{"ok": False, "error": ...}`` when importing the stack raised.

    The constructor only starts the probe: its import of TensorFlow (seconds) runs while
    the caller works (``check-imports`` parses its files meanwhile), and the first question
    or ``startup`` waits for it.
    """

    def __init__(
        self, python: Path | None = None, timeout: float = 300.0, cwd: Path | None = None
    ) -> None:
        self.python = Path(python or default_python())
        self.timeout = timeout
        self._cache: dict[str, object] = {}
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        path = os.pathsep.join(filter(None, [str(GUARD_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": path}
        try:
            self._process = subprocess.Popen(
                [str(self.python), "-m", "stackguard.probe"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
                encoding="utf-8",
                env=env,
                cwd=cwd or GUARD_ROOT,
            )
        except OSError as error:
            raise StackError(
                f"cannot run {self.python} ({error}): run 'make install' to create the venv"
            ) from error
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._startup: dict | None = None

    @property
    def startup(self) -> dict:
        """The probe's first line, once its import of the stack is done: ``{"ok": True}``
        or ``{"ok": False, "error": ...}``. Raises ``StackError`` as ``ask`` does."""
        if self._startup is None:
            self._startup = self._receive()
        return self._startup

    def _read(self) -> None:
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _receive(self) -> dict:
        try:
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self.close()
            raise StackError(
                f"{self.python} did not answer within {self.timeout:.0f} s while importing the "
                "stack; run 'make doctor'"
            ) from None
        if line is None:
            self._stderr.seek(0)
            tail = self._stderr.read().strip().splitlines()[-3:]
            raise StackError(
                f"the probe of the installed stack ({self.python}) exited: "
                + (" | ".join(tail) or "no output")
                + "; run 'make doctor'"
            )
        return json.loads(line)

    def ask(self, request: dict):
        key = json.dumps(request, sort_keys=True)
        if key not in self._cache:
            _ = self.startup  # the probe's first line comes before any answer
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            reply = self._receive()
            if not reply["ok"]:
                raise StackError(f"the probe failed on {request['op']}: {reply['error']}")
            self._cache[key] = reply["result"]
        return self._cache[key]

    def resolve(self, queries: list[dict]) -> list[dict]:
        """One answer per query, in order (see ``probe.resolve_one``)."""
        missing = [q for q in queries if json.dumps(q, sort_keys=True) not in self._cache]
        if missing:
            answers = self.ask({"op": "resolve", "queries": missing})
            for query, found in zip(missing, answers, strict=True):
                self._cache[json.dumps(query, sort_keys=True)] = found
        return [self._cache[json.dumps(q, sort_keys=True)] for q in queries]

    def candidates(self, names: list[str]) -> dict[str, list[dict]]:
        return self.ask({"op": "candidates", "names": sorted(set(names))})

    def star_names(self, module: str, dirs: list[str] | None = None) -> list[str] | None:
        """The names ``from module import *`` binds (``probe.star_names``); None when the
        import fails or the names are not known (a module of the project's own whose
        source does not say them plainly)."""
        (answer,) = self.ask({"op": "star", "queries": [{"path": module, "dirs": dirs}]})
        return answer["names"] if answer["ok"] else None

    def one_object(self, paths: list[str]) -> tuple[str, str | None]:
        """Of dotted paths a name may be bound to (branches, fallbacks), which one it is.

        An import that fails binds nothing, so only the paths that resolve count.
        Returns ``("same", path)`` when they all resolve to one object (the first such
        path), ``("differ", None)`` when they do not, ``("none", None)`` when none resolves.
        """
        answers = self.resolve([{"kind": "chain", "path": path} for path in paths])
        found = [(path, a["id"]) for path, a in zip(paths, answers, strict=True) if a["ok"]]
        if not found:
            return "none", None
        if len({identity for _, identity in found}) == 1:
            return "same", found[0][0]
        return "differ", None

    def evaluate_version(self, query: dict) -> bool | None:
        """The truth of a version test on this stack (``probe.evaluate_version``), or None
        when it cannot be evaluated."""
        answer = self.ask({"op": "version", "query": query})
        return answer["value"] if answer["ok"] else None

    def modules_with(self, members: list[str]) -> list[str]:
        return self.ask({"op": "modules_with", "members": sorted(set(members))})

    def versions(self) -> dict[str, str]:
        return self.ask({"op": "versions"})

    def calls(self, queries: list[dict]) -> list[dict]:
        """One answer per ``{"path", "positional", "keywords"}`` (``probe.call_keywords``)."""
        return self.ask({"op": "calls", "queries": queries}) if queries else []

    def dropped(self, queries: list[dict]) -> list[dict]:
        """One ``{"dropped": {keyword: warning}}`` per ``{"path", "positional", "keywords"}``
        (``probe.dropped_keywords``): keywords accepted and then dropped."""
        return self.ask({"op": "dropped", "queries": queries}) if queries else []

    def removed_methods(self) -> dict[str, str]:
        """``{method: Keras 2 class}`` that ``keras.Model`` lacks (``probe.removed_methods``)."""
        return self.ask({"op": "removed_methods"})

    def tensorflow(self) -> dict:
        """What the doctor needs of TensorFlow (see ``probe.tensorflow_report``)."""
        return self.ask({"op": "tensorflow"})

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
        self._stderr.close()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
