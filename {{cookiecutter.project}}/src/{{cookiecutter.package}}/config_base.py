"""The base class of every configuration: immutable, unknown fields refused, defaults checked.

Its own module so that ``config`` (the commands' configurations) and ``options`` (your data
and model options, which ``config`` combines into ``TrainConfig``) can both build on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr


class Config(BaseModel):
    """Base of every configuration: immutable, unknown fields refused, defaults checked.

    ``source_file`` is the configuration file a command line read (``--config``), if any:
    a run's ``config.yaml`` says which run is being repeated.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
    _source_file: Path | None = PrivateAttr(None)

    def to_file_dict(self) -> dict[str, Any]:
        """The fields as plain JSON/YAML values (paths as strings), in declaration order."""
        return self.model_dump(mode="json")

    @property
    def source_file(self) -> Path | None:
        return self._source_file

    def __eq__(self, other: object) -> bool:
        """Equal fields: where a configuration was read from is not part of its value."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash((type(self), json.dumps(self.model_dump(mode="json"), sort_keys=True)))
