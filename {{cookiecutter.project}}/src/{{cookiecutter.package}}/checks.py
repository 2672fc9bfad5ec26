"""The package's smoke checks: what ``make smoke`` runs on this package, on your model.

``stackguard.smoke`` (beside the package, run by ``make smoke`` and the pre-commit hook)
imports every module of the package, checks the installed versions against the locks, and
then calls ``smoke_checks``: the one entry it knows into the package. Each probe runs with
every warning raised as an error and prints one ``PASS``/``FAIL`` line with the detail it
returns (or the exception it raised). The probes run the commands' own code on your
``model.py``: building it, one batch through each loader, a two-epoch training through the
training engine with all its callbacks and its record, and a SavedModel export. Add probes
of your own to the list ``smoke_checks`` returns.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

from . import model as user_model
from .config import ExportConfig, TrainConfig
from .data.demo import write_demo_dataset
from .data.images import list_image_folder
from .data.pipeline import make_dataset
from .data.pydataset import ImageFolderPyDataset
from .export import export_model
from .training import targets
from .training.engine import train

Probe = Callable[[], str]


def smoke_checks(folder: Path) -> list[tuple[str, Probe]]:
    """``(name, probe)`` pairs to run in order; a probe returns a one-line detail or raises.

    Args:
        folder: an empty temporary folder the probes may write to (removed afterwards).
    """
    defaults = TrainConfig()
    size = defaults.image_size
    data = write_demo_dataset(folder / "data", images_per_class=2, image_size=size)
    paths, labels, class_names = list_image_folder(data)
    config = TrainConfig(
        data_dir=data,
        output_dir=folder / "run",
        epochs=2,
        batch_size=3,
        validation_split=0.5,
        patience=1,
    )
    built = {}

    def model_probe() -> str:
        model = targets.build(user_model.build_model, config, len(class_names))
        built["label_mode"] = targets.label_mode(model, len(class_names), config.label_mode)
        return (
            f"{type(model).__name__} {model.input_shape} -> {model.output_shape}, "
            f"labels {built['label_mode']}"
        )

    def describe(x, y) -> str:
        return (
            f"x {x.dtype} {tuple(x.shape)} in [{float(x.min()):.2f}, {float(x.max()):.2f}], "
            f"y {y.dtype} {tuple(y.shape)}"
        )

    def loader_options() -> dict:
        mode = built.get("label_mode", "int")
        return {"batch_size": 4, "image_size": (size, size), "label_mode": mode, "num_classes": 3}

    def sequence_probe() -> str:
        return describe(*ImageFolderPyDataset(paths, labels, **loader_options())[0])

    def tf_data_probe() -> str:
        x, y = next(iter(make_dataset(paths, labels, **loader_options())))
        return describe(x.numpy(), y.numpy())

    def train_probe() -> str:
        with contextlib.redirect_stdout(io.StringIO()):
            metrics = train(config)
        run = config.output_dir
        history = json.loads((run / "history.json").read_text())
        expected = {"model.keras", "best.keras", "config.yaml", "run.json", "history.png"}
        missing = sorted(name for name in expected if not (run / name).is_file())
        events = [
            list((run / "logs" / part).glob("events.out.tfevents.*"))
            for part in ("train", "validation")
        ]
        problems = [f"no {name}" for name in missing]
        problems += ["no TensorBoard events"] if not all(events) else []
        problems += ["backup left behind"] if (run / "backup").exists() else []
        problems += [f"{name} not in metrics.json" for name in history if name not in metrics]
        if problems:
            raise AssertionError("; ".join(problems))
        return (
            f"{metrics['epochs_run']} epochs through the engine; history {', '.join(history)}; "
            "best.keras, TensorBoard, config.yaml, run.json written, backup removed"
        )

    def export_probe() -> str:
        result = export_model(
            ExportConfig(model=config.output_dir / "model.keras", output_dir=folder / "export")
        )
        return (
            f"SavedModel serve returns probabilities (model outputs {result['outputs']}), "
            f"max |difference| {result['max_abs_difference']:.1g}"
        )

    return [
        ("model", model_probe),
        ("loader sequence", sequence_probe),
        ("loader tf-data", tf_data_probe),
        ("train", train_probe),
        ("export", export_probe),
    ]
