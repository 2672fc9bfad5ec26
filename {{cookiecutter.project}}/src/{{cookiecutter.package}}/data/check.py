"""Check a class-folder collection before training: ``make data-check DATA=folder``.

Real photo collections hold what a training would not tell: exact copies (inside a class,
or in two classes: a label conflict; across the train/validation split they inflate the
validation accuracy), files that do not decode, phone photos turned by their EXIF
orientation, tiny images, classes of very different sizes. The check reports, naming every
problem file:

- errors (exit status 1): files that do not decode (``images.find_unreadable_images``, the
  decoder training uses); exact duplicates, by sha256 of the bytes, in different classes;
- warnings (exit status 0 when they are all): exact duplicates inside a class; images smaller
  than the training size (``--image-size``), which training scales up; a class more than
  ``--max-imbalance`` times the size of another;
- notes: images per class; images with an EXIF orientation other than 1, which both loaders
  apply (``images.apply_orientation``), so they train as they are seen; the smallest, median
  and largest image sizes (width x height, as seen); files the loaders skip (not images).

It prints one readable report and writes the same as JSON to ``--report`` (default
``artifacts/data-check.json``). Training itself stops on unreadable files and warns about
duplicates across its split (``training.engine.load_examples``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from pydantic import Field

from ..cli import run
from ..config_base import Config
from .images import find_images, find_unreadable_images, list_image_folder, orientations


class DataCheckConfig(Config):
    """Check a folder of class sub-folders before training: duplicates, unreadable files,
    EXIF orientation, sizes, class balance."""

    data_dir: Path = Field(Path("data/demo"), description="folder of class sub-folders")
    image_size: int = Field(32, ge=1, description="the training size: smaller images are named")
    max_imbalance: float = Field(
        3.0, ge=1.0, description="warn when the largest class is more than this times the smallest"
    )
    report: Path = Field(
        Path("artifacts/data-check.json"), description="where the JSON report is written"
    )


SHOWN = 20  # problem files named per group in the readable report (the JSON has them all)


def content_hashes(paths: Sequence[str]) -> list[str]:
    """The sha256 (hex) of each file's bytes, in ``paths`` order."""
    hashes = []
    for path in paths:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        hashes.append(digest.hexdigest())
    return hashes


def duplicate_groups(paths: Sequence[str]) -> list[list[int]]:
    """Indices of ``paths`` with identical bytes, one list per group of two or more, in
    ``paths`` order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, digest in enumerate(content_hashes(paths)):
        groups[digest].append(index)
    return [members for members in groups.values() if len(members) > 1]


def image_size(path: str, orientation: int) -> tuple[int, int] | None:
    """``(width, height)`` as the image is seen (after its EXIF orientation), or ``None``."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError, SyntaxError):
        return None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def check_collection(config: DataCheckConfig) -> dict:
    """The report of ``config.data_dir`` (the module docstring lists what it holds).

    Raises:
        errors.DataError: the folder is not a class-folder collection (as
            ``images.list_image_folder``).
    """
    paths, labels, class_names = list_image_folder(config.data_dir)
    root = Path(config.data_dir)
    skipped = [path for class_name in class_names for path in find_images(root / class_name)[1]]
    counts = {name: labels.count(index) for index, name in enumerate(class_names)}
    unreadable = find_unreadable_images(paths)
    bad = set(unreadable)
    readable = [path for path in paths if path not in bad]
    label_of = dict(zip(paths, labels, strict=True))
    across, within = [], []
    for group in duplicate_groups(readable):
        members = [readable[index] for index in group]
        (across if len({label_of[p] for p in members}) > 1 else within).append(members)
    turns = orientations(readable)
    rotated = [path for path, turn in zip(readable, turns, strict=True) if turn != 1]
    sizes = {path: image_size(path, int(turn)) for path, turn in zip(readable, turns, strict=True)}
    known = {path: size for path, size in sizes.items() if size is not None}
    small = [
        path for path, (width, height) in known.items()
        if min(width, height) < config.image_size
    ]  # fmt: skip
    by_area = sorted(known.values(), key=lambda size: (size[0] * size[1], size))
    largest, smallest = max(counts.values()), min(counts.values())
    imbalance = largest / smallest
    errors = len(unreadable) + len(across)
    warnings = len(within) + len(small) + (imbalance > config.max_imbalance)
    return {
        "data_dir": str(config.data_dir),
        "image_size": config.image_size,
        "images": len(paths),
        "classes": counts,
        "imbalance": round(imbalance, 3),
        "unreadable": unreadable,
        "duplicates_across_classes": across,
        "duplicates_within_class": within,
        "exif_rotated": rotated,
        "sizes": {
            "smallest": list(by_area[0]) if by_area else None,
            "median": list(by_area[len(by_area) // 2]) if by_area else None,
            "largest": list(by_area[-1]) if by_area else None,
        },
        "smaller_than_image_size": small,
        "skipped": skipped,
        "errors": errors,
        "warnings": int(warnings),
    }


def listing(paths: Sequence[str] | Sequence[Sequence[str]]) -> list[str]:
    lines = [
        "    " + (" = ".join(item) if isinstance(item, list | tuple) else item)
        for item in list(paths)[:SHOWN]
    ]
    if len(paths) > SHOWN:
        lines.append(f"    ... and {len(paths) - SHOWN} more (all in the JSON report)")
    return lines


def format_report(report: dict, config: DataCheckConfig) -> str:
    """The readable report: every problem with the files it names."""
    counts = report["classes"]
    width = max(len(name) for name in counts)
    lines = [f"{report['images']} images in {len(counts)} classes in {report['data_dir']}:"]
    lines += [f"  {name:<{width}}  {count:>7}" for name, count in counts.items()]
    sizes = report["sizes"]
    if sizes["median"]:
        lines.append(
            "sizes (width x height): smallest {}x{}, median {}x{}, largest {}x{}".format(
                *sizes["smallest"], *sizes["median"], *sizes["largest"]
            )
        )
    problems = [
        ("error", "unreadable", "file(s) cannot be decoded as images (remove or replace them)"),
        ("error", "duplicates_across_classes",
         "group(s) of identical files in different classes (a label conflict: keep one)"),
        ("warning", "duplicates_within_class",
         "group(s) of identical files in one class (keep one: copies can fall on both sides "
         "of the train/validation split)"),
        ("warning", "smaller_than_image_size",
         f"image(s) smaller than the training size {config.image_size} px (scaled up)"),
        ("note", "exif_rotated",
         "image(s) with an EXIF orientation other than 1 (both loaders turn them as shown)"),
        ("note", "skipped", "file(s) that are not images, skipped by the loaders"),
    ]  # fmt: skip
    for level, key, text in problems:
        if report[key]:
            lines.append(f"{level}: {len(report[key])} {text}:")
            lines += listing(report[key])
    if report["imbalance"] > config.max_imbalance:
        lines.append(
            f"warning: the largest class is {report['imbalance']:.1f} times the smallest "
            f"(over {config.max_imbalance:g}): consider class weights or more images"
        )
    lines.append(f"data-check: {report['errors']} error(s), {report['warnings']} warning(s)")
    return "\n".join(lines)


def data_check(config: DataCheckConfig) -> dict:
    """Check the collection, write the JSON report to ``config.report``; return the report."""
    report = check_collection(config)
    config.report.parent.mkdir(parents=True, exist_ok=True)
    config.report.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    outcome = {}

    def report(config: DataCheckConfig, result: dict) -> None:
        print(format_report(result, config))
        print(f"-> {config.report}")
        outcome["errors"] = result["errors"]

    status = run(DataCheckConfig, data_check, report, argv, prog=f"python -m {__package__}.check")
    return status or (1 if outcome.get("errors") else 0)


if __name__ == "__main__":
    sys.exit(main())
