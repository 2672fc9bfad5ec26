"""The package's smoke checks: what ``make smoke`` runs on this package, on your data and model.

``stackguard.smoke`` (beside the package, run by ``make smoke`` and the pre-commit hook)
imports every module of the package, checks the installed versions against the locks, and
then calls ``smoke_checks``: the one entry it knows into the package. Each probe runs with
every warning raised as an error and prints one ``PASS``/``FAIL`` line with the detail it
returns (or the exception it raised). The probes run the commands' own code on your
``dataset.py`` and ``model.py``: one batch of ``load_data`` (one per loader, when it takes a
``loader`` data option with choices), that batch through the model built on the data's facts, a
two-epoch training through the training engine with all its callbacks and its record, and a
SavedModel export.

The data: ``dataset.smoke_data(folder)`` when your ``dataset.py`` defines it (a tiny data
set written for the smoke test); otherwise the configured data folder (``TrainConfig``'s
``data_dir``), trained with at most ``MAX_STEPS`` steps per epoch
(``keras.config.set_max_steps_per_epoch``). Add probes of your own to the list
``smoke_checks`` returns.
"""

from __future__ import annotations

import contextlib
import io
import json
import typing
from collections.abc import Callable
from pathlib import Path

import keras

from . import dataset as user_dataset
from . import feeds
from . import model as user_model
from .config import ExportConfig, TrainConfig
from .export import export_model
from .options import DataOptions
from .training import engine, targets

Probe = Callable[[], str]
MAX_STEPS = 2


def loaders() -> tuple:
    """The choices of a ``loader`` data option that ``dataset.load_data`` takes (``(None,)``
    without one)."""
    field = DataOptions.model_fields.get("loader")
    if field is None or not targets.accepted(user_dataset.load_data, {"loader": None}):
        return (None,)
    return typing.get_args(field.annotation) or (None,)


def smoke_checks(folder: Path) -> list[tuple[str, Probe]]:
    """``(name, probe)`` pairs to run in order; a probe returns a one-line detail or raises.

    Args:
        folder: an empty temporary folder the probes may write to (removed afterwards).
    """
    hook = getattr(user_dataset, "smoke_data", None)
    data_dir = hook(folder) if hook is not None else TrainConfig().data_dir
    config = TrainConfig(
        data_dir=data_dir,
        output_dir=folder / "run",
        epochs=2,
        batch_size=4,
        validation_split=0.5,
        patience=1,
        # Not tracked: a tracking store out of reach never stops a training (one warning),
        # and a smoke run is no experiment; tests/test_tracking.py checks the tracking.
        track=False,
    )
    loaded: dict = {}

    def data_probe(loader) -> Probe:
        def probe() -> str:
            chosen = config if loader is None else config.model_copy(update={"loader": loader})
            data = engine.load_data(chosen)
            loaded.setdefault("data", data)
            batch = feeds.first_batch(data.train, config.batch_size)
            loaded.setdefault("batch", batch)
            facts = ", ".join(data.facts)
            return f"{feeds.form(data.train)}: {feeds.describe(*batch)}; facts {facts}"

        return probe

    def model_probe() -> str:
        data = loaded.get("data") or engine.load_data(config)
        model = targets.build(user_model.build_model, config, data.facts)
        x, _ = loaded.get("batch") or feeds.first_batch(data.train, config.batch_size)
        outputs = model(x, training=False)
        inputs = ", ".join(str(tuple(tensor.shape)) for tensor in model.inputs)
        shapes = ", ".join(str(tuple(output.shape)) for output in keras.tree.flatten(outputs))
        labels = ""
        if "class_names" in data.facts:
            classes = len(data.facts["class_names"])
            labels = f", labels {targets.label_mode(model, classes, config.label_mode)}"
        return f"{type(model).__name__} {inputs}{labels}; a batch -> {shapes}"

    def train_probe() -> str:
        previous = keras.config.max_steps_per_epoch()
        if hook is None:
            keras.config.set_max_steps_per_epoch(MAX_STEPS)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                metrics = engine.train(config)
        finally:
            keras.config.set_max_steps_per_epoch(previous)
        run = config.output_dir
        history = json.loads((run / "history.json").read_text())
        expected = {"model.keras", "best.keras", "config.yaml", "run.json", "facts.json"}
        missing = sorted(name for name in [*expected, "history.png"] if not (run / name).is_file())
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
            "best.keras, TensorBoard, config.yaml, facts.json, run.json written, backup removed"
        )

    def export_probe() -> str:
        result = export_model(
            ExportConfig(model=config.output_dir / "model.keras", output_dir=folder / "export")
        )
        return (
            f"SavedModel serve returns {result['output']}, reloaded and checked, "
            f"max |difference| {result['formats']['saved_model']['max_abs_difference']:.1g}"
        )

    probes = [(f"data {loader}" if loader else "data", data_probe(loader)) for loader in loaders()]
    return [*probes, ("model", model_probe), ("train", train_probe), ("export", export_probe)]
