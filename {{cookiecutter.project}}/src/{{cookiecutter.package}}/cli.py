"""The command line of every command: flags and configuration files into a typed config.

``parse`` builds the flags of a configuration class (``config.py``) with pydantic-settings'
``CliSettingsSource`` on an argparse parser
(https://docs.pydantic.dev/latest/concepts/pydantic_settings/#integrating-with-existing-parsers):
``batch_size`` becomes ``--batch-size``, a boolean ``--fresh``/``--no-fresh``. ``--config FILE``
reads a YAML (``.yaml``, ``.yml``, ``.json``) or TOML (``.toml``) file of fields first; the
flags given override it, so ``--config run/config.yaml --output-dir new`` reruns a recorded
run into a new folder. Only the fields given in the file or as flags are set; the others keep
the class's defaults.

``run`` is every command's ``main``: parse, run, report; a ``errors.ProjectError`` (a bad
value, folder, file, model or cluster) becomes one ``error:`` line on stderr and exit status 2,
as argparse does for a malformed command line, and so does a file or folder that the process
is not allowed to write (``PermissionError``), with the fix.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError
from pydantic_settings import CliSettingsSource

from .config import Config
from .errors import ConfigError, ProjectError

C = TypeVar("C", bound=Config)
FILE_SUFFIXES = (".yaml", ".yml", ".json", ".toml")


def read_config_file(path: Path) -> dict[str, Any]:
    """The fields of a configuration file: a YAML or JSON mapping, or a TOML table.

    Raises:
        ConfigError: the file is missing, has another suffix, does not parse, or is not a
            mapping of field names.
    """
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise ConfigError(
            f"configuration file {path}: use a YAML ({', '.join(FILE_SUFFIXES[:3])}) or TOML "
            "(.toml) file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"configuration file {path} cannot be read: {error.strerror}") from None
    try:
        if path.suffix.lower() == ".toml":
            import tomllib  # Python >= 3.11

            values = tomllib.loads(text)
        else:
            values = yaml.safe_load(text)
    except ModuleNotFoundError:
        raise ConfigError(
            f"configuration file {path}: reading TOML needs Python >= 3.11; write it as YAML"
        ) from None
    except (ValueError, yaml.YAMLError) as error:
        detail = " ".join(str(error).split())
        raise ConfigError(f"configuration file {path} does not parse: {detail}") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(
            f"configuration file {path} must hold a mapping of field: value, "
            f"not a {type(values).__name__}"
        )
    return values


def write_config_file(config: Config, path: Path) -> Path:
    """Write ``config``'s fields as YAML, in field order, readable back with ``--config``."""
    path.write_text(yaml.safe_dump(config.to_file_dict(), sort_keys=False), encoding="utf-8")
    return path


def describe(error: ValidationError, origin: Mapping[str, str], fields: Sequence[str] = ()) -> str:
    """One clause per bad field: ``field (origin): value is not accepted: what is``."""
    lines = []
    for problem in error.errors():
        if problem["type"] == "extra_forbidden":
            field = ".".join(str(part) for part in problem["loc"])
            where = origin.get(field)
            lines.append(
                f"{field}{f' ({where})' if where else ''}: not a field; the fields are "
                + ", ".join(fields)
            )
            continue
        field = ".".join(str(part) for part in problem["loc"]) or "configuration"
        where = origin.get(field.split(".")[0])
        label = f"{field} ({where})" if where else field
        message = problem["msg"].removeprefix("Value error, ")
        if "input" in problem and problem["type"] not in ("missing",):
            given = problem["input"]
            if isinstance(given, dict):  # a model-level check: the message says it all
                lines.append(f"{label}: {message}")
            else:
                lines.append(f"{label}: {given!r} is not accepted: {message}")
        else:
            lines.append(f"{label}: {message}")
    return "; ".join(lines)


def build(config_class: type[C], values: Mapping[str, Any], origin: Mapping[str, str]) -> C:
    """``config_class`` of ``values``, or a ``ConfigError`` naming each bad field.

    ``origin`` maps a field to where its value came from (``--epochs``, ``file x.yaml``).
    """
    try:
        return config_class.model_validate(dict(values))
    except ValidationError as error:
        raise ConfigError(describe(error, origin, list(config_class.model_fields))) from None


def parse(config_class: type[C], argv: Sequence[str] | None = None, prog: str | None = None) -> C:
    """The configuration of a command line: ``--config FILE`` first, then the flags over it.

    Raises:
        ConfigError: a bad file or value (see ``read_config_file`` and ``build``).
        SystemExit: status 2 for an unknown flag or a flag without its value (argparse), 0
            for ``--help``.
    """
    parser = argparse.ArgumentParser(
        prog=prog, description=(config_class.__doc__ or "").strip().splitlines()[0]
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a YAML or TOML file of fields (a run's config.yaml, for one); flags override it",
    )
    source = CliSettingsSource(
        config_class,
        root_parser=parser,
        cli_kebab_case=True,
        cli_implicit_flags=True,
        cli_hide_none_type=True,
        cli_avoid_json=True,
        cli_enforce_required=False,
    )
    namespace = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    config_file = namespace.config
    del namespace.config
    flags = source(parsed_args=namespace)()
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if config_file is not None:
        values = read_config_file(config_file)
        for section in getattr(config_class, "file_sections", ()):
            values.pop(section, None)  # another command's section (TrainConfig's docs)
        origin = {field: f"in {config_file}" for field in values}
    values.update(flags)
    origin.update({field: "--" + field.replace("_", "-") for field in flags})
    config = build(config_class, values, origin)
    config._source_file = config_file
    return config


def run(
    config_class: type[C],
    command: Callable[[C], Any],
    report: Callable[[C, Any], None],
    argv: Sequence[str] | None = None,
    prog: str | None = None,
) -> int:
    """A command's ``main``: parse ``argv``, run ``command``, ``report`` its result; 0, or 2
    with one ``error:`` line for a ``ProjectError``."""
    try:
        config = parse(config_class, argv, prog)
        result = command(config)
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except PermissionError as error:
        print(
            f"error: not allowed to write {error.filename} ({error.strerror}): run as the "
            "owner of that folder (make image-train runs the image as your user), or make it "
            "writable (chown/chmod), or choose another output folder",
            file=sys.stderr,
        )
        return 2
    report(config, result)
    return 0
