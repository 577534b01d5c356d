"""The one exception base of chatassign and its few subclasses.

Messages are plain text meant for a person; the CLI prints them and picks the
exit code (see ``docs/cli.md``). "No agent free" is never an exception: the
engine returns it as an ordinary outcome.
"""

from __future__ import annotations


class ChatAssignError(Exception):
    """Base class of every error chatassign raises on purpose."""


class ConfigError(ChatAssignError):
    """A workspace configuration breaks a rule (unknown reference, plan gating, ...)."""


class EngineError(ChatAssignError):
    """The engine was asked to do something its rules forbid (misuse, not a full queue)."""


class EngineConfigError(EngineError, ConfigError):
    """The engine was asked to apply a setting the configuration rules forbid (a cap out of
    range, a method above the plan): both an EngineError and a ConfigError."""


class ScenarioError(ChatAssignError):
    """A scenario file could not be read or understood."""


class UsageError(ChatAssignError):
    """The command line asked for something that cannot be done (exit code 2)."""


class ExportError(ChatAssignError):
    """A desk's export (or its mapping file) could not be read: located problems (exit 1)."""


class TargetNotReachableError(ChatAssignError):
    """A staffing search gave up: no team size meets the targets (exit code 1)."""


class OutputError(ChatAssignError):
    """A file or stdout could not be written (disk full, closed, device error): exit code 1."""


class BrokenPipeOutputError(OutputError):
    """Whoever read stdout went away (``| head``): the command ends quietly, exit code 1."""


class LimitError(UsageError):
    """A number that sizes work or memory is above its limit (exit code 2 on the command line).

    A value written in a scenario file is reported as a located validation problem
    instead, with the same words.
    """


class TaskFailedError(ChatAssignError):
    """A task kept failing after its retries."""


class ClusterLostError(ChatAssignError):
    """The Dask scheduler went away during a run."""
