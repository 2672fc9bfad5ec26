"""MLflow tracking of every training, beside the run's folder record: ``make ui``, ``make runs``.

``engine.train`` opens one MLflow run per training (``track``), on the chief only, and logs:

- params: the resolved configuration (``TrainConfig``, every field, as ``config.yaml``);
- metrics: every compiled metric per epoch under the model's own names (the ``logs`` that
  ``CSVLogger`` writes to ``history.csv``), through MLflow's Keras callback
  ``mlflow.keras.MlflowCallback`` (https://mlflow.org/docs/latest/ml/deep-learning/keras/),
  which ``model.fit`` and the multi-worker loop's ``keras.callbacks.CallbackList`` both drive;
- tags: ``git.commit``, ``git.dirty``, ``locks.<file>`` (the installed locks' sha256),
  ``tensorflow``, ``keras``, ``data.<key>`` (the data's fingerprint), as ``run.json`` holds them;
- artifacts: ``model.keras``, ``config.yaml``, ``run.json``, ``metrics.json``,
  ``history.json`` and ``history.png``.

Where: ``MLFLOW_TRACKING_URI`` (a team's ``mlflow server``), else MLflow's own default, a
SQLite database ``mlflow.db`` in the working directory (the project, for ``make``), with the
artifacts in ``mlruns/`` beside it; both are git-ignored. The experiment is
``MLFLOW_EXPERIMENT_NAME``, else the package's name.

Tracking never stops a training: a store that cannot be reached or written is reported in one
``warning:`` line and the run trains on, untracked; its folder record is complete either way.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import RunsConfig, TrainConfig

PACKAGE = __package__.split(".")[0]
ARTIFACTS = (
    "model.keras",
    "config.yaml",
    "run.json",
    "metrics.json",
    "history.json",
    "history.png",
)
# While a run is tracked, a server that stops answering costs seconds, not MLflow's default
# of 7 retries with exponential backoff (minutes per call). A value set by the user stays.
HTTP_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}

if TYPE_CHECKING:
    import keras

# Params that differ between runs without telling them apart: their folders, and a
# search's space (its run's params), long.
UNSHOWN = ("output_dir", "log_dir", "space")

_parent_run: str | None = None  # set by ``children_of`` (the search's run)


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI``, else MLflow's default (``sqlite:///mlflow.db`` in the working
    directory, MLflow >= 3; https://mlflow.org/docs/latest/ml/tracking/backend-stores/)."""
    import mlflow

    return mlflow.get_tracking_uri()


def experiment_name() -> str:
    """``MLFLOW_EXPERIMENT_NAME``, else the package's name."""
    return os.environ.get("MLFLOW_EXPERIMENT_NAME") or PACKAGE


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def use_experiment() -> str:
    """The experiment's id, created when missing; a SQLite store keeps its artifacts in
    ``mlruns/`` beside the database file (MLflow's default is the working directory).

    Raises:
        mlflow.exceptions.MlflowException, OSError, ...: the store cannot be reached.
    """
    import mlflow

    name = experiment_name()
    found = mlflow.get_experiment_by_name(name)
    if found is None:
        uri = tracking_uri()
        location = None
        if uri.startswith("sqlite:///"):
            location = (Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlruns").as_uri()
        try:
            mlflow.create_experiment(name, artifact_location=location)
        except mlflow.exceptions.MlflowException:
            pass  # created meanwhile by another process
        found = mlflow.get_experiment_by_name(name)
    mlflow.set_experiment(experiment_id=found.experiment_id)
    return found.experiment_id


def params(config: TrainConfig) -> dict[str, str]:
    """The configuration's fields as MLflow params (strings; ``None`` as ``"null"``)."""
    return {k: "null" if v is None else str(v) for k, v in config.to_file_dict().items()}


def tags(environment: Mapping[str, Any]) -> dict[str, str]:
    """Tags from ``record.run_environment``'s object: git, locks, versions, data."""
    found: dict[str, str] = {}
    git = environment.get("git") or {}
    if git:
        found["git.commit"] = str(git["commit"])
        found["git.dirty"] = str(git["dirty"]).lower()
    for name, digest in (environment.get("locks_sha256") or {}).items():
        found[f"locks.{Path(name).name}"] = digest
    for key in ("python", "tensorflow", "keras"):
        found[key] = str(environment[key])
    for key, value in (environment.get("data") or {}).items():
        found[f"data.{key}"] = str(value)
    return found


def metrics_callback() -> keras.callbacks.Callback:
    """MLflow's ``MlflowCallback`` logging each epoch's ``logs`` (the model's own names) at
    ``step=epoch``, without what does not fit a run of this engine: its ``on_train_begin``
    (optimizer params, which a fine-tuning phase would change, and MLflow refuses a changed
    param) and ``on_test_end`` (``validation_*`` duplicates of the ``val_*`` metrics)."""
    from mlflow.keras import MlflowCallback

    class MetricsCallback(MlflowCallback):
        def on_train_begin(self, logs=None):
            pass

        def on_test_end(self, logs=None):
            pass

    return MetricsCallback()


@contextmanager
def http_limits() -> Iterator[None]:
    """``HTTP_LIMITS`` for the block, unless the variables are set already."""
    added = {key: value for key, value in HTTP_LIMITS.items() if key not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


@contextmanager
def children_of(run_id: str | None) -> Iterator[None]:
    """Trainings started in the block are child runs of ``run_id`` (a search's run)."""
    global _parent_run
    before, _parent_run = _parent_run, run_id
    try:
        yield
    finally:
        _parent_run = before


class Tracked:
    """One training's MLflow run (``track`` opens it); a run that could not start is inert."""

    def __init__(self, run_id: str | None, uri: str) -> None:
        self.run_id = run_id
        self.uri = uri

    @property
    def callbacks(self) -> list[keras.callbacks.Callback]:
        """The per-epoch metrics callback, or none when untracked."""
        return [metrics_callback()] if self.run_id else []

    def log_record(self, folder: Path) -> None:
        """Log the record's files of ``ARTIFACTS`` that exist in ``folder``; one warning if
        the store refuses them (the folder keeps them)."""
        if not self.run_id:
            return
        import mlflow

        try:
            for name in ARTIFACTS:
                if (folder / name).is_file():
                    mlflow.log_artifact(str(folder / name), run_id=self.run_id)
        except Exception as error:  # noqa: BLE001 - any store failure: warn, keep training's result
            warn(f"MLflow at {self.uri} did not take the run's files ({one_line(error)}); "
                 f"they are in {folder}")  # fmt: skip


@contextmanager
def track(config: TrainConfig, environment: Mapping[str, Any]) -> Iterator[Tracked]:
    """An MLflow run for the block: params, tags; ended FINISHED, FAILED on an exception, or
    KILLED on Ctrl-C. ``environment`` is ``record.run_environment``'s object.

    Yields an inert ``Tracked`` (and prints one ``warning:`` line) when ``config.track`` is
    off (silently), mlflow is not installed, or the store cannot be reached or written.
    Follows https://mlflow.org/docs/latest/ml/tracking/tracking-api/.
    """
    if not config.track:
        yield Tracked(None, "")
        return
    try:
        import mlflow
    except ImportError:
        warn("mlflow is not installed: this run is not tracked (make install adds it)")
        yield Tracked(None, "")
        return
    uri = tracking_uri()
    with http_limits():
        try:
            use_experiment()
            default = TrainConfig.model_fields["output_dir"].default
            name = None if config.output_dir == default else config.output_dir.name
            run = mlflow.start_run(
                run_name=name,
                parent_run_id=_parent_run,
                nested=mlflow.active_run() is not None,  # inside your own run (a notebook's)
                tags=tags(environment),
            )
            mlflow.log_params(params(config))
        except Exception as error:  # noqa: BLE001 - whatever the store raises
            warn(
                f"MLflow tracking at {uri} failed ({one_line(error)}): training goes on "
                f"untracked; the run's folder {config.output_dir} holds its full record"
            )
            if mlflow.active_run() is not None:
                end_quietly(mlflow, "FAILED")
            yield Tracked(None, uri)
            return
        status = "FINISHED"
        try:
            yield Tracked(run.info.run_id, uri)
        except KeyboardInterrupt:
            status = "KILLED"
            raise
        except BaseException:
            status = "FAILED"
            raise
        finally:
            end_quietly(mlflow, status, uri)


def end_quietly(mlflow, status: str, uri: str = "") -> None:
    """``mlflow.end_run(status)``, flushing the queued metrics; one warning if it fails."""
    try:
        mlflow.end_run(status)
    except Exception as error:  # noqa: BLE001
        warn(f"MLflow at {uri} did not take the end of the run ({one_line(error)})")


def cell(value: str, width: int = 24) -> str:
    return value if len(value) <= width else value[: width - 3] + "..."


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as aligned columns, the first row a header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


def runs_table(config: RunsConfig) -> str:
    """The runs of the experiment as a table: name, start (UTC), status, the params whose
    values differ between the runs shown that have them (cut to 24 characters), and the
    last value of every metric; sorted by
    ``config.metric`` (``ascending`` or not), runs without it last.

    Uses ``MlflowClient.search_runs`` (https://mlflow.org/docs/latest/api_reference/
    python_api/mlflow.client.html#mlflow.client.MlflowClient.search_runs).

    Raises:
        errors.ConfigError: no such experiment, or the store cannot be reached.
    """
    import mlflow
    from mlflow import MlflowClient

    from .errors import ConfigError

    uri = tracking_uri()
    try:
        with http_limits():
            experiment = mlflow.get_experiment_by_name(experiment_name())
            if experiment is None:
                raise ConfigError(f"no runs at {uri}: experiment {experiment_name()!r} not found")
            order = f"metrics.`{config.metric}` {'ASC' if config.ascending else 'DESC'}"
            runs = MlflowClient().search_runs(
                [experiment.experiment_id], order_by=[order], max_results=config.max_runs
            )
    except ConfigError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever the store raises
        raise ConfigError(f"MLflow at {uri} cannot be read: {one_line(error)}") from None
    if not runs:
        return f"no runs in experiment {experiment_name()!r} at {uri}"
    given = {key: {run.data.params[key] for run in runs if key in run.data.params}
             for run in runs for key in run.data.params}  # fmt: skip
    varying = sorted(k for k, values in given.items() if len(values) > 1 and k not in UNSHOWN)
    metrics = sorted({k for run in runs for k in run.data.metrics})
    if config.metric in metrics:
        metrics = [config.metric, *(m for m in metrics if m != config.metric)]
    header = ["run", "started (UTC)", "status", *varying, *metrics]
    rows = [header]
    for run in runs:
        started = time.gmtime(run.info.start_time / 1000)
        rows.append([
            run.info.run_name or run.info.run_id[:8],
            time.strftime("%Y-%m-%d %H:%M", started),
            run.info.status,
            *(cell(run.data.params.get(k, "")) for k in varying),
            *(f"{run.data.metrics[m]:.4g}" if m in run.data.metrics else "" for m in metrics),
        ])  # fmt: skip
    return format_table(rows) + f"\n{len(runs)} runs of {experiment_name()!r} at {uri}"


def main(argv: list[str] | None = None) -> int:
    """``make runs``: print ``runs_table``."""
    from .cli import run

    return run(RunsConfig, runs_table, lambda config, table: print(table), argv,
               prog=f"python -m {__package__}.tracking")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
