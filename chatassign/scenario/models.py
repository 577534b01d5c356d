"""Pydantic models mirroring the YAML of a scenario file (docs/simulation.md).

They check shapes and types only, with unknown keys forbidden; the rules that relate
one part of the file to another live in ``checks.py``. Durations, rates,
distributions, plans and methods are parsed here, so a value that is wrong is
reported at its own line. Nothing outside this package sees these models: they are
converted to the domain values of ``model.py`` and ``workload/values.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    Tag,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from chatassign.model import DEFAULT_CAP, Method, Plan
from chatassign.workload import distributions, quantities

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PART = rf"\s*{_NUMBER}\s*"
_DURATION = (
    rf"{_PART}(?:d(?:{_PART}h)?(?:{_PART}m)?(?:{_PART}s)?"
    rf"|h(?:{_PART}m)?(?:{_PART}s)?|m(?:{_PART}s)?|s)?\s*"
)
"""A duration as ``quantities.parse_duration`` reads it: units d, h, m, s, largest first."""
_POSITIVE = rf"(?=\s*[0.]*[1-9]){_DURATION}"
"""A duration whose number does not start as zero (a distribution's mean)."""


def _keywords(first: str, first_value: str, second: str, second_value: str) -> str:
    """Two ``key=value`` arguments in either order."""
    one = rf"\s*{first}\s*={first_value}"
    two = rf"\s*{second}\s*={second_value}"
    return rf"(?:{one},{two}|{two},{one})"


DURATION_PATTERN = rf"^{_DURATION}$"
RATE_PATTERN = rf"^\s*{_NUMBER}\s*/\s*(?:s|m|min|h|d)\s*$"
DISTRIBUTION_PATTERN = (
    r"^\s*(?:"
    rf"constant\({_DURATION}\)"
    rf"|exponential\(\s*mean\s*={_POSITIVE}\)"
    rf"|(?:lognormal|gamma)\({_keywords('mean', _POSITIVE, 'sd', _DURATION)}\)"
    rf"|uniform\({_keywords('low', _DURATION, 'high', _DURATION)}\)"
    r"""|empirical\(.*[^\s'"].*\)"""
    r")\s*$"
)
"""What ``distributions.parse_distribution`` reads, as far as a pattern can say it."""


def any_case(words: list[str]) -> str:
    """A pattern matching any of ``words`` in any letter case, with spaces around."""

    def letters(word: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)

    return rf"^\s*(?:{'|'.join(letters(word) for word in words)})\s*$"


METHOD_SPELLINGS = [
    *(method.value for method in Method),
    "round_robin",
    "roundrobin",
]
"""Every spelling ``Method.parse`` accepts (in any case): round_robin and roundrobin too."""
_CLOCK = r"(?:(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?|24:00(?::00)?)"
CLOCK_PATTERN = rf"^\s*{_CLOCK}\s*$"
"""What ``quantities.parse_clock`` reads: 00:00 to 24:00, seconds optional."""
START_PATTERN = (
    r"^\s*(?:\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[ T]\s*)?"
    r"(?:(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)"
    r"(?:\s+[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)?\s*$"
)
"""What ``quantities.parse_day_start`` reads: [YYYY-MM-DD] HH:MM[:SS] [time zone]."""


A = TypeVar("A")
N = TypeVar("N")


def _parsed(parse: Callable[[A], N], code: str, value: A) -> N:
    """``parse(value)``; its ValueError as a problem of type ``code``."""
    try:
        return parse(value)
    except ValueError as error:
        raise PydanticCustomError(code, str(error)) from None


def _scalar(value: object, code: str, expected: str) -> str | float:
    """``value`` when it is a text or a number (not a bool); else a problem of type ``code``."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PydanticCustomError(code, expected)
    return value


def _duration(value: object) -> float:
    text = _scalar(value, "bad-duration", "expected a duration such as 90s, 5m or 1h30m")
    return _parsed(quantities.parse_duration, "bad-duration", text)


CLOCK_START = "starts_at"
"""The validation-context key holding the file's ``workload.starts_at`` (a ``DayStart``,
None when absent, or the text when it is malformed)."""


def _offset(value: object, info: ValidationInfo) -> float:
    """A time of the day: a duration from time 0, or a clock time when the day has a start."""
    if not quantities.looks_like_clock(value):
        try:
            return _duration(value)
        except PydanticCustomError as error:
            raise PydanticCustomError(
                "bad-duration",
                f"{error.message()}, or a clock time such as 09:00 with workload.starts_at",
            ) from None
    assert isinstance(value, str)
    clock = _parsed(quantities.parse_clock, "bad-clock-time", value)
    context = info.context if isinstance(info.context, dict) else {}
    start = context.get(CLOCK_START)
    if not isinstance(start, quantities.DayStart):
        hint = "fix workload.starts_at" if start is not None else 'add workload.starts_at: "09:00"'
        raise PydanticCustomError(
            "clock-without-start",
            f"{value.strip()} is a clock time, but the day has no start: {hint}, or write an "
            "offset from the start of the run such as 3h",
        )
    return start.offset_of(clock)


def _day_start(value: object) -> quantities.DayStart:
    if isinstance(value, quantities.DayStart):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("bad-start", 'expected a clock time such as "09:00"')
    return _parsed(quantities.parse_day_start, "bad-start", value)


def _rate(value: object) -> float:
    text = _scalar(value, "bad-rate", "expected a rate such as 120/h")
    return _parsed(quantities.parse_rate, "bad-rate", text)


def _distribution(value: object, info: ValidationInfo) -> distributions.Distribution:
    expected = "expected a distribution such as exponential(mean=2m)"
    text = _scalar(value, "bad-distribution", expected)
    parsed = _parsed(distributions.parse_distribution, "bad-distribution", text)
    if not isinstance(parsed, distributions.EmpiricalFile):
        return parsed
    context = info.context if isinstance(info.context, dict) else {}
    base = context.get("base_dir")
    folder = base if isinstance(base, Path) else Path()
    read = functools.partial(distributions.read_empirical, folder)
    return _parsed(read, "bad-distribution", parsed.path)


def _name(value: object) -> str:
    """A plan's or method's name as written (anything not a text spelled by ``repr``)."""
    return value if isinstance(value, str) else repr(value)


def _plan(value: object) -> Plan:
    return value if isinstance(value, Plan) else _parsed(Plan.parse, "unknown-plan", _name(value))


def _method(value: object) -> Method:
    if isinstance(value, Method):
        return value
    return _parsed(Method.parse, "unknown-method", _name(value))


_DURATION_FORMS = (
    {"type": "number", "minimum": 0},
    {"type": "string", "pattern": DURATION_PATTERN},
)
"""The JSON Schema of a duration: seconds, or a text such as 1h30m."""

Duration = Annotated[
    float,
    BeforeValidator(_duration),
    WithJsonSchema(
        {
            "anyOf": [*_DURATION_FORMS],
            "description": "seconds, or a duration such as 90s, 5m, 1h30m, 1d",
        }
    ),
]
TimeOfDay = Annotated[
    float,
    BeforeValidator(_offset),
    WithJsonSchema(
        {
            "anyOf": [*_DURATION_FORMS, {"type": "string", "pattern": CLOCK_PATTERN}],
            "description": (
                "an offset from the start of the run (3h, 90m), or a clock time such as "
                "09:00 when workload.starts_at is set"
            ),
        }
    ),
]
DayStartText = Annotated[
    quantities.DayStart,
    PlainValidator(_day_start),
    PlainSerializer(lambda start: start.text),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": START_PATTERN,
            "description": (
                "when time 0 is: 09:00, 2026-03-02 09:00 or 2026-03-02 09:00 Europe/Berlin"
            ),
        }
    ),
]
Rate = Annotated[
    float,
    BeforeValidator(_rate),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": RATE_PATTERN,
            "description": "a rate such as 2/s, 30/m, 120/h, 500/d",
        }
    ),
]
DistributionText = Annotated[
    distributions.Distribution,
    PlainValidator(_distribution),
    PlainSerializer(lambda distribution: distribution.describe()),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DISTRIBUTION_PATTERN,
            "description": (
                "constant(x), exponential(mean=x), lognormal(mean=x, sd=y), gamma(mean=x, sd=y), "
                "uniform(low=x, high=y) or empirical(path/to.csv); x, y are durations"
            ),
        }
    ),
]
PlanName = Annotated[
    Plan,
    PlainValidator(_plan),
    PlainSerializer(lambda plan: plan.label),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": [plan.label for plan in Plan]},
                {"type": "string", "pattern": any_case([plan.label for plan in Plan])},
            ]
        }
    ),
]
MethodName = Annotated[
    Method,
    PlainValidator(_method),
    PlainSerializer(str),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": [method.value for method in Method]},
                {"type": "string", "pattern": any_case(METHOD_SPELLINGS)},
            ]
        }
    ),
]
Id = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class AssignmentModel(_Model):
    """``teamspaces.<id>.assignment``: the method and the "auto-assigned chats" cap."""

    method: MethodName = Method.BALANCED
    max_auto_assigned: int = Field(default=DEFAULT_CAP, json_schema_extra={"minimum": 1})


class TeamspaceModel(_Model):
    """``teamspaces.<id>``."""

    assignment: AssignmentModel = AssignmentModel()


class UserModel(_Model):
    """``users.<id>``: role, teams and (for simulation) speed."""

    role: Id
    teams: list[Id] = []
    speed: float = Field(default=1.0, json_schema_extra={"exclusiveMinimum": 0})


class TeamModel(_Model):
    """``teams.<id>``: linked teamspaces and an optional role whose holders are members."""

    teamspaces: list[Id] = []
    role: Id | None = None


class TargetModel(_Model):
    """A handoff target: ``{agent: id}``, ``{teamspace: true}`` or ``{users: [], teams: []}``."""

    agent: Id | None = None
    teamspace: bool = False
    users: list[Id] = []
    teams: list[Id] = []


class HandoffModel(_Model):
    """``ai_agents.<id>.handoff``."""

    target: TargetModel
    by_language: dict[str, TargetModel] = {}
    availability_check: bool = True


class AIAgentModel(_Model):
    """``ai_agents.<id>``."""

    teamspace: Id
    languages: list[Id] = []
    handoff: HandoffModel


class OptionsModel(_Model):
    """``options``: engine choices where the product documentation is silent."""

    cap_counts: Literal["all_open", "auto_only"] = "all_open"
    on_away: Literal["keep", "requeue"] = "keep"


class RateSegmentModel(_Model):
    """One piece of a piecewise rate: ``{until: 2h, rate: 60/h}`` (no ``until``: to the end)."""

    until: TimeOfDay | None = None
    rate: Rate


def _rate_form(value: object) -> str:
    return "schedule" if isinstance(value, list) else "constant"


RateOrSchedule = Annotated[
    Annotated[Rate, Tag("constant")] | Annotated[list[RateSegmentModel], Tag("schedule")],
    Discriminator(_rate_form),
    Field(description="120/h, or a piecewise schedule [{until: 2h, rate: 60/h}, ...]"),
]


class LanguageModel(_Model):
    """``workload.arrivals.<ai agent>.languages.<language>`` written as a mapping."""

    share: float = Field(json_schema_extra={"minimum": 0, "maximum": 1})
    handle_time: DistributionText | None = None
    patience: DistributionText | None = None


def _language_form(value: object) -> str:
    return "detailed" if isinstance(value, dict) else "share"


LanguageShare = Annotated[
    Annotated[float, Tag("share")] | Annotated[LanguageModel, Tag("detailed")],
    Discriminator(_language_form),
    Field(description="a share such as 0.2, or {share: 0.2, handle_time: ..., patience: ...}"),
]
UNION_TAGS = frozenset({"constant", "schedule", "share", "detailed"})
"""Names pydantic inserts in error locations for the tagged unions above."""


class EscalationTargetModel(_Model):
    """``escalation.to``: the teams an escalated chat is transferred to."""

    teams: list[Id] = Field(min_length=1)


class EscalationModel(_Model):
    """``workload.arrivals.<ai agent>.escalation``: transfers from the first agent to a team."""

    probability: float = Field(json_schema_extra={"minimum": 0, "maximum": 1})
    after: DistributionText
    to: EscalationTargetModel
    handle_time: DistributionText | None = None


class ArrivalModel(_Model):
    """``workload.arrivals.<ai agent>``: customers reaching one AI agent."""

    rate: RateOrSchedule
    handoff_probability: float = Field(default=1.0, json_schema_extra={"minimum": 0, "maximum": 1})
    ai_time: DistributionText = Field(
        default_factory=lambda: distributions.Constant(0.0),
        json_schema_extra={"default": "constant(0s)"},
    )
    handle_time: DistributionText | None = None
    patience: DistributionText | None = None
    languages: dict[str, LanguageShare] = {}
    escalation: EscalationModel | None = None

    @property
    def shares(self) -> dict[str, float]:
        """The language mix as plain shares, in file order."""
        return {
            language: entry.share if isinstance(entry, LanguageModel) else entry
            for language, entry in self.languages.items()
        }


class IntervalModel(_Model):
    """An online interval of a shift: ``{from: 0h, to: 4h}``."""

    model_config = ConfigDict(populate_by_name=False)

    start: TimeOfDay = Field(alias="from")
    end: TimeOfDay = Field(alias="to")


class VoluntaryModel(_Model):
    """``workload.voluntary``: how agents claim chats under the voluntary method."""

    pickup_delay: DistributionText
    self_limit: int = Field(default=3, json_schema_extra={"minimum": 1})


class WorkloadModel(_Model):
    """``workload``: the traffic a simulation runs."""

    horizon: Duration
    starts_at: DayStartText | None = None
    warmup: Duration = 0.0
    seed: int = 0
    replications: int = Field(default=1, json_schema_extra={"minimum": 1})
    arrivals: dict[str, ArrivalModel]
    handle_time: DistributionText
    concurrency_slowdown: list[float] = [1.0]
    patience: DistributionText | None = None
    service_level_threshold: Duration = 60.0
    shifts: dict[str, list[IntervalModel]] = {}
    voluntary: VoluntaryModel | None = None
    run_to_completion: bool = False


class ScenarioModel(_Model):
    """A whole scenario file: the workspace configuration and, optionally, a workload."""

    model_config = ConfigDict(title="chatassign scenario")

    name: str | None = None
    description: str | None = None
    plan: PlanName
    roles: dict[str, list[Id] | None] = {}
    users: dict[str, UserModel] = {}
    teams: dict[str, TeamModel | None] = {}
    teamspaces: dict[str, TeamspaceModel | None] = {}
    ai_agents: dict[str, AIAgentModel] = {}
    options: OptionsModel = OptionsModel()
    workload: WorkloadModel | None = None


FIELD_NAMES = frozenset(
    (info.alias or name)
    for model in (
        AssignmentModel,
        TeamspaceModel,
        UserModel,
        TeamModel,
        TargetModel,
        HandoffModel,
        AIAgentModel,
        OptionsModel,
        RateSegmentModel,
        LanguageModel,
        EscalationTargetModel,
        EscalationModel,
        ArrivalModel,
        IntervalModel,
        VoluntaryModel,
        WorkloadModel,
        ScenarioModel,
    )
    for name, info in model.model_fields.items()
)
"""Every key a scenario file may use, for "did you mean" hints."""
