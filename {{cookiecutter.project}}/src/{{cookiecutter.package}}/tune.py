"""Hyperparameter search with Optuna over the training engine: ``make tune``.

Usage::

    python -m {{ cookiecutter.package }}.tune
        --config-file configs/search.yaml --trials 20 --workers 2

The configuration file holds training fields (as ``make train CONFIG=`` reads them) and a
``search`` section: the ``space`` of any ``TrainConfig`` field (engine fields and your
``options.py`` options alike), the ``metric`` to optimise (a name the model logs, as in
``history.json``; default ``val_loss``, or ``loss`` without validation) and its
``direction``::

    epochs: 4
    search:
      metric: val_loss
      direction: minimize
      space:
        learning_rate: {low: 0.0003, high: 0.01, log: true}   # float (ints: an int range)
        batch_size: [16, 32, 64]                              # one of these

Each trial is a training through ``training.engine.train`` into ``OUTPUT/trial-N``, recorded
as any run (its folder, and an MLflow child run of the search's run). Trials that fall
behind are pruned after an epoch by Optuna's ``MedianPruner`` through its Keras callback
``optuna_integration.KerasPruningCallback``. ``--workers K`` starts K processes that share
the study through Optuna's storage (``--storage``, default ``sqlite:///optuna.db``); the same
command resumes a killed search, up to ``--trials`` finished trials in all
(https://optuna.readthedocs.io/en/stable/tutorial/10_key_features/004_distributed.html).
The search ends by writing ``OUTPUT/best-config.yaml``, the best trial's complete
configuration: ``make train CONFIG=OUTPUT/best-config.yaml`` trains it again.

Why Optuna and not KerasTuner: Optuna is active, keeps a study in a database that processes
and machines share, and prunes through a Keras callback; KerasTuner is in maintenance, its
1.4.x imports Keras's private ``keras.src`` modules, and shares work through its own gRPC
oracle, not a database.
"""

from __future__ import annotations

import itertools
import math
import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from . import tracking
from .cli import build, read_config_file, run, write_config_file
from .config import Config, TrainConfig, TuneConfig
from .errors import ConfigError

BEST_CONFIG = "best-config.yaml"
# Fields a search cannot vary: where trials go, and how one process trains.
FIXED = ("output_dir", "strategy", "fresh", "log_dir", "track")


class Range(Config):
    """A numeric range: ints when ``low`` and ``high`` are ints (``suggest_int``), else
    floats (``suggest_float``); ``log`` samples on a log scale; ``step`` discretises."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    @field_validator("high")
    @classmethod
    def _ordered(cls, high: float, info) -> float:
        if "low" in info.data and high <= info.data["low"]:
            raise ValueError(f"high must be above low ({info.data['low']})")
        return high


class Search(Config):
    """The ``search`` section of a configuration file."""

    metric: str | None = Field(None, description="default: val_loss, else loss")
    direction: Literal["minimize", "maximize"] = "minimize"
    space: dict[str, Range | list[Any]] = Field(min_length=1)


def split_file(path: Path) -> tuple[dict[str, Any], Search]:
    """The training fields and the ``Search`` of a configuration file.

    Raises:
        ConfigError: no ``search`` section, a malformed one, a field a search cannot vary, or
            bounds or choices that are not valid values of their field.
    """
    values = read_config_file(path)
    if "search" not in values:
        raise ConfigError(f"{path} has no search: section (see tune.py's docstring)")
    raw = values.pop("search")
    try:
        search = Search.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"search.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
    for name, spec in search.space.items():
        where = f"{path}: search.space.{name}"
        if name not in TrainConfig.model_fields:
            raise ConfigError(f"{where}: not a training field; the fields are "
                              + ", ".join(TrainConfig.model_fields))  # fmt: skip
        if name in FIXED:
            raise ConfigError(f"{where}: a search cannot vary it ({', '.join(FIXED)})")
        if isinstance(spec, list) and not spec:
            raise ConfigError(f"{where}: an empty list of choices")
        samples = [spec.low, spec.high] if isinstance(spec, Range) else spec
        if isinstance(spec, Range) and is_int_range(spec):
            samples = [int(spec.low), int(spec.high)]
        for value in samples:
            build(TrainConfig, {**values, name: value}, {name: where})
    return values, search


def is_int_range(spec: Range) -> bool:
    return (
        float(spec.low).is_integer()
        and float(spec.high).is_integer()
        and (spec.step is None or float(spec.step).is_integer())
    )


def suggest(trial, name: str, spec: Range | list[Any]) -> Any:
    """Optuna's suggestion for one field of the space."""
    if isinstance(spec, list):
        return trial.suggest_categorical(name, spec)
    if is_int_range(spec):
        step = int(spec.step) if spec.step else 1
        return trial.suggest_int(name, int(spec.low), int(spec.high), step=step, log=spec.log)
    return trial.suggest_float(name, spec.low, spec.high, step=spec.step, log=spec.log)


def storage(url: str):
    """Optuna's storage at ``url``: an RDB storage (SQLite, PostgreSQL, MySQL) with a
    heartbeat, so a trial whose process was killed is marked failed and tried again; a
    ``.log`` file path: a ``JournalStorage`` file."""
    import optuna
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    if url.endswith(".log") and "://" not in url:
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(url))
    with warnings.catch_warnings():  # the heartbeat is "experimental" since Optuna 2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=30,
            grace_period=90,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=1),
        )


def load_study(config: TuneConfig, direction: str, create: bool):
    """The study ``config.study_name`` in ``config.storage``.

    Raises:
        ConfigError: the storage cannot be opened.
    """
    import optuna

    try:
        store = storage(config.storage)
        if create:
            return optuna.create_study(
                storage=store, study_name=config.study_name, direction=direction,
                pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
                load_if_exists=True,
            )  # fmt: skip
        return optuna.load_study(
            storage=store, study_name=config.study_name,
            pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
        )  # fmt: skip
    except Exception as error:  # noqa: BLE001 - whatever the database raises
        raise ConfigError(
            f"the Optuna storage {config.storage} cannot be used: {tracking.one_line(error)}"
        ) from None


def finished(study) -> int:
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=states))


def objective(config: TuneConfig, values: dict[str, Any], search: Search, metric: str):
    """The trial function: one training of the sampled configuration; its ``metric``."""
    import keras
    import mlflow
    import optuna
    from optuna_integration import KerasPruningCallback

    from .training.engine import train

    def trial_run(trial: optuna.Trial) -> float:
        sampled = {name: suggest(trial, name, spec) for name, spec in search.space.items()}
        folder = config.output_dir / f"trial-{trial.number}"
        trial.set_user_attr("output_dir", str(folder))
        trial.set_user_attr("process", f"{socket.gethostname()}:{os.getpid()}")
        origin = {name: f"search.space.{name}" for name in sampled}
        trial_config = build(
            TrainConfig, {**values, **sampled, "output_dir": folder, "fresh": True}, origin
        )
        keras.backend.clear_session()
        pruning = KerasPruningCallback(trial, metric)
        try:
            with tracking.children_of(config.parent_run or None):
                metrics = train(trial_config, callbacks=[pruning])
        except optuna.TrialPruned:
            last = mlflow.last_active_run()
            if last is not None and last.info.run_name == folder.name and trial_config.track:
                try:
                    client = mlflow.MlflowClient()
                    client.set_tag(last.info.run_id, "pruned", "true")
                    client.set_terminated(last.info.run_id, "KILLED")
                except Exception:  # noqa: BLE001, S110 - the tag is a courtesy
                    pass
            raise
        if metric not in metrics:
            logged = itertools.takewhile(lambda name: name != "epochs", metrics)
            names = ", ".join(logged)  # metrics.json starts with the logged names
            raise ConfigError(
                f"search.metric {metric!r} is not logged by the model; it logs {names}"
            )
        value = float(metrics[metric])
        if not math.isfinite(value):
            raise optuna.TrialPruned(f"{metric} is {value}")
        return value

    return trial_run


def work(config: TuneConfig) -> None:
    """Run trials of the study until it has ``config.trials`` finished ones (one process)."""
    import optuna
    from optuna.study import MaxTrialsCallback

    values, search = split_file(config.config_file)
    base = build(TrainConfig, values, {k: f"in {config.config_file}" for k in values})
    metric = search.metric or ("val_loss" if base.validation_split > 0 else "loss")
    study = load_study(config, search.direction, create=False)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    done = optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED
    remaining = config.trials - finished(study)
    if remaining <= 0:
        return
    study.optimize(
        objective(config, values, search, metric),
        n_trials=remaining,
        callbacks=[MaxTrialsCallback(config.trials, states=done)],
        gc_after_trial=True,
    )


def parent_run(config: TuneConfig, study, search: Search, metric: str) -> str | None:
    """The search's MLflow run (the parent of every trial's run): the study's, when a
    killed search is resumed, else a new one; ``None`` (one warning) when untracked."""
    try:
        import mlflow

        with tracking.http_limits():
            experiment = tracking.use_experiment()
            client = mlflow.MlflowClient()
            run_id = study.user_attrs.get("mlflow_run_id")
            if run_id is not None:
                try:
                    client.update_run(run_id, status="RUNNING")
                    return run_id
                except mlflow.exceptions.MlflowException:
                    pass  # another tracking store than the study's first run
            run = client.create_run(experiment, run_name=f"search-{config.study_name}")
            client.log_param(run.info.run_id, "study", config.study_name)
            client.log_param(run.info.run_id, "metric", metric)
            client.log_param(run.info.run_id, "direction", search.direction)
            client.log_param(run.info.run_id, "space", yaml.safe_dump(
                {k: v.model_dump() if isinstance(v, Range) else v for k, v in search.space.items()},
                default_flow_style=True).strip())  # fmt: skip
            study.set_user_attr("mlflow_run_id", run.info.run_id)
            return run.info.run_id
    except Exception as error:  # noqa: BLE001 - whatever the store raises
        tracking.warn(
            f"MLflow tracking at {tracking.tracking_uri()} failed ({tracking.one_line(error)}): "
            "the search goes on untracked; every trial's folder holds its record"
        )
        return None


def worker_command(config: TuneConfig, parent: str | None) -> list[str]:
    args = [sys.executable, "-m", f"{__package__}.tune", "--workers", "1", "--worker"]
    for name, value in config.to_file_dict().items():
        if name in ("workers", "worker", "parent_run") or value is None:
            continue
        args += ["--" + name.replace("_", "-"), str(value)]
    return args + (["--parent-run", parent] if parent else [])


def search(config: TuneConfig) -> dict | None:
    """Run the search as ``config`` says (or, with ``worker``, one process of it).

    Returns:
        ``{"best": path, "value": v, "trials": n, "seconds": s}``; ``None`` for a worker.

    Raises:
        ConfigError: a bad configuration file or search section, an unusable storage, a
            metric the model does not log, or a worker process that failed.
    """
    if config.worker:
        work(config)
        return None
    values, search_section = split_file(config.config_file)
    base = build(TrainConfig, values, {k: f"in {config.config_file}" for k in values})
    if base.strategy == "multi-worker":
        raise ConfigError("a search trains with strategy default or mirrored, not multi-worker")
    metric = search_section.metric or ("val_loss" if base.validation_split > 0 else "loss")
    started = time.perf_counter()
    study = load_study(config, search_section.direction, create=True)
    parent = parent_run(config, study, search_section, metric) if base.track else None
    config = config.model_copy(update={"parent_run": parent})
    status = "FAILED"
    try:
        if config.workers == 1:
            work(config)
        else:
            processes = [
                subprocess.Popen(worker_command(config, parent), env=os.environ.copy())
                for _ in range(config.workers)
            ]
            codes = [process.wait() for process in processes]
            if any(codes):
                raise ConfigError(f"search workers exited with {codes}: see their output above")
        status = "FINISHED"
    finally:
        if parent:
            end_parent(parent, status)
    study = load_study(config, search_section.direction, create=False)
    try:
        best = study.best_trial
    except ValueError:
        raise ConfigError("no trial of the search completed (all pruned or failed)") from None
    best_config = write_best(config, Path(best.user_attrs["output_dir"]))
    if parent:
        with tracking.http_limits():
            try:
                import mlflow

                client = mlflow.MlflowClient()
                client.log_metric(parent, f"best_{metric}", best.value)
                client.log_artifact(parent, str(best_config))
            except Exception as error:  # noqa: BLE001
                tracking.warn(
                    f"MLflow did not take the search's result ({tracking.one_line(error)})"
                )
    return {
        "best": best_config,
        "trial": best.number,
        "metric": metric,
        "value": best.value,
        "trials": finished(study),
        "seconds": round(time.perf_counter() - started, 1),
    }


def end_parent(run_id: str, status: str) -> None:
    try:
        import mlflow

        with tracking.http_limits():
            mlflow.MlflowClient().set_terminated(run_id, status)
    except Exception as error:  # noqa: BLE001
        tracking.warn(
            f"MLflow did not take the end of the search's run ({tracking.one_line(error)})"
        )


def write_best(config: TuneConfig, trial_folder: Path) -> Path:
    """``OUTPUT/best-config.yaml``: the best trial's ``config.yaml`` (complete and resolved),
    its ``output_dir`` set to ``OUTPUT/best`` so that a rerun leaves the trial as it was."""
    fields = read_config_file(trial_folder / "config.yaml")
    fields["output_dir"] = str(config.output_dir / "best")
    fields["fresh"] = False
    best = build(TrainConfig, fields, {})
    return write_config_file(best, config.output_dir / BEST_CONFIG)


def report(config: TuneConfig, result: dict | None) -> None:
    if result is None:
        return
    print(
        f"best trial {result['trial']}: {result['metric']}={result['value']:.4f} of "
        f"{result['trials']} finished trials in {result['seconds']} s -> {result['best']} "
        f"(make train CONFIG={result['best']})"
    )


def main(argv: list[str] | None = None) -> int:
    return run(TuneConfig, search, report, argv, prog=f"python -m {__package__}.tune")


if __name__ == "__main__":
    sys.exit(main())
