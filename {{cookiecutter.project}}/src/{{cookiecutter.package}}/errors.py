"""The errors a user can fix: one message that names the problem and the fix.

Every command (``cli.run``) prints such an error as one ``error:`` line and exits with status
2, before any long work starts where it can. Standard library only, so that the cluster
launcher (``distributed.launch``) can use it without importing TensorFlow.
"""

from __future__ import annotations


class ProjectError(Exception):
    """A bad configuration value, data folder, model file, model function or cluster; the
    message names it and the fix."""


class ConfigError(ProjectError, ValueError):
    """A configuration value (flag or configuration file) that is not accepted."""


class DataError(ProjectError, ValueError):
    """A data folder or image file that cannot be used."""


class ArtifactError(ProjectError, ValueError):
    """A model file or its class names that cannot be used."""


class ModelError(ProjectError, ValueError):
    """The user's ``model.build_model`` cannot be called or returns an unusable model."""


class ClusterError(ProjectError, ValueError):
    """A ``TF_CONFIG`` that cannot be used, or a peer that cannot be reached."""


class OutputError(ProjectError, OSError):
    """An output folder that this process cannot create or write."""
