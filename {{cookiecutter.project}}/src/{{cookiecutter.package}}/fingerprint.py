"""A fingerprint of the data a run read, for its ``run.json``: did the data change since?

``folder_fingerprint`` is the default (``dataset.py`` may define ``fingerprint(data_dir)``
instead): a sha256 over the sorted relative paths, sizes and content hashes (sha256) of
every file under ``data_dir`` (or of the file itself), hidden files included, so renaming,
adding, removing or editing any file changes it. Its cost is one read of the data; ``make
train`` prints it beside an epoch's time in the README's figures.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["folder_fingerprint"]

CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """sha256 (hex) of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def folder_fingerprint(data_dir: str | Path) -> dict:
    """``{"sha256": "...", "files": n, "bytes": total}`` of ``data_dir`` (a folder or a file).

    Each file contributes the line ``<relative POSIX path>\\0<size>\\0<sha256 of its
    bytes>\\n``, in sorted path order; the fingerprint is the sha256 of those lines.

    Raises:
        FileNotFoundError: ``data_dir`` does not exist.
    """
    root = Path(data_dir)
    if root.is_file():
        files = [(root.name, root)]
    elif root.is_dir():
        files = sorted(
            (Path(folder, name).relative_to(root).as_posix(), Path(folder, name))
            for folder, _, names in os.walk(root)
            for name in names
        )
    else:
        raise FileNotFoundError(f"{root} does not exist")
    digest = hashlib.sha256()
    total = 0
    for relative, path in files:
        size = path.stat().st_size
        total += size
        digest.update(f"{relative}\0{size}\0{file_digest(path)}\n".encode())
    return {"sha256": digest.hexdigest(), "files": len(files), "bytes": total}
