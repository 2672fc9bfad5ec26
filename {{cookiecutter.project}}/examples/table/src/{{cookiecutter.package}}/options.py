"""The options of your ``dataset.py`` and ``model.py``: configuration fields passed on as
keywords. Yours to edit beside those two files.

``DataOptions`` go to ``dataset.load_data`` and ``dataset.load_inputs``, ``ModelOptions`` to
``model.build_model``; the training engine passes each function only the options it takes
(all of them when it takes ``**options``). Every field is a flag of ``make train``
(``--target price``) and a key of a configuration file, checked by pydantic when the
configuration is built (https://docs.pydantic.dev/latest/concepts/models/). Add a field here
when your function takes a new keyword; a run's ``config.yaml`` records them with the rest.

This example's options: the table's ``target`` and ``id_column``, and the network's
``learning_rate`` and ``units``.
"""

from __future__ import annotations

from pydantic import Field

from .config_base import Config

__all__ = ["DataOptions", "ModelOptions"]


class DataOptions(Config):
    """Keywords of ``dataset.load_data`` and ``dataset.load_inputs``."""

    target: str = Field(
        "target",
        description="the column to predict: numbers make a regression, anything else a "
        "classification",
    )
    id_column: str = Field("id", description="the column naming each row (not a feature)")


class ModelOptions(Config):
    """Keywords of ``model.build_model`` (those it accepts)."""

    learning_rate: float = Field(1e-2, gt=0, description="the optimizer's learning rate")
    units: int = Field(32, ge=1, description="units of each hidden layer")
