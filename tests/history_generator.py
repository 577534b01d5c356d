"""A desk with a known truth, simulated by its own small event loop, written as an export.

Independent of chatassign's simulator on purpose (the fit is checked against this, not
against itself): two AI agents hand off to two teams; each team's online agents take
chats balanced (fewest open first, then by name) up to a cap; an agent's open chats
progress by processor sharing at ``1 / slowdown[j-1]``; queued customers leave after an
exponential patience; some agents work partial shifts and keep their chats after going
away. Every day is simulated from empty. Rows are local times (naive ISO, Europe/Berlin).
"""

from __future__ import annotations

import csv
import heapq
import io
import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Berlin")
MARKER = "LEAK-MARKER-7f3a"
"""Written into unmapped columns; must never appear in anything chatassign writes."""

HEADER = [
    "conversation_id",
    "handed_off_at",
    "assigned_at",
    "closed_at",
    "abandoned_at",
    "assignee_email",
    "team",
    "language",
    "bot",
    "status",
    "customer_email",
    "transcript",
]

MAPPING = """\
format: csv
timezone: Europe/Berlin
columns:
  id: conversation_id
  handed_off_at: handed_off_at
  assigned_at: assigned_at
  closed_at: closed_at
  abandoned_at: abandoned_at
  agent: assignee_email
  team: team
  language: language
  ai_agent: bot
  outcome: status
outcomes:
  served: [closed, resolved]
  abandoned: [abandoned, missed]
  ignore: [spam, test]
missing: ["", "null"]
"""


@dataclass(frozen=True)
class Truth:
    """The known model behind a generated export."""

    days: int = 10
    first_day: date = date(2026, 3, 2)  # a Monday
    start_hour: int = 9
    horizon: float = 8 * 3600.0
    rates: dict[str, float] = field(default_factory=lambda: {"billbot": 55.0, "techbot": 45.0})
    """Handoffs per hour."""
    team_of: dict[str, str] = field(
        default_factory=lambda: {"billbot": "billing", "techbot": "tech"}
    )
    work: dict[str, tuple[str, float, float]] = field(
        default_factory=lambda: {
            "billbot": ("lognormal", 360.0, 240.0),
            "techbot": ("exp", 480.0, 0.0),
        }
    )
    """(family, mean, sd) of work in seconds at concurrency 1."""
    slowdown: tuple[float, ...] = (1.0, 1.3, 1.7)
    patience: float = 240.0
    """Mean of the exponential patience, seconds."""
    cap: int = 3
    agents: dict[str, list[str]] = field(
        default_factory=lambda: {
            "billing": ["ana@desk", "ben@desk", "cy@desk", "dee@desk"],
            "tech": ["eli@desk", "fay@desk", "gus@desk", "hal@desk"],
        }
    )
    partial: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {
            "dee@desk": (4 * 3600.0, 8 * 3600.0),
            "hal@desk": (0.0, 5 * 3600.0),
        }
    )
    """Agents online only for (from, to) seconds of each day; the rest work the whole day."""
    languages: dict[str, float] = field(default_factory=lambda: {"en": 0.8, "de": 0.2})
    seed: int = 1
    spam_share: float = 0.01

    @property
    def mean_work(self) -> float:
        """Mean work per chat over both streams, weighted by their rates."""
        total = sum(self.rates.values())
        return sum(self.rates[s] * self.work[s][1] for s in self.rates) / total


@dataclass
class _Chat:
    number: int
    stream: str
    handed: float
    work: float
    patience: float
    language: str
    assigned: float | None = None
    agent: str | None = None
    closed: float | None = None
    left: float | None = None


@dataclass
class _Agent:
    name: str
    team: str
    online: bool = False
    open: dict[int, float] = field(default_factory=dict)
    """Chat number -> work left."""
    last: float = 0.0
    version: int = 0


class _Desk:
    def __init__(self, truth: Truth, rng: random.Random, first_number: int) -> None:
        self.truth = truth
        self.rng = rng
        self.now = 0.0
        self.events: list[tuple[float, int, str, object]] = []
        self.sequence = 0
        self.chats: list[_Chat] = []
        self.by_number: dict[int, _Chat] = {}
        self.number = first_number
        self.queues: dict[str, deque[_Chat]] = {team: deque() for team in truth.agents}
        self.agents = {
            name: _Agent(name, team) for team, names in truth.agents.items() for name in names
        }

    def push(self, time: float, kind: str, payload: object) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (time, self.sequence, kind, payload))

    def rate(self, agent: _Agent) -> float:
        slowdown = self.truth.slowdown
        return 1.0 / slowdown[min(len(agent.open), len(slowdown)) - 1] if agent.open else 0.0

    def advance(self, agent: _Agent) -> None:
        rate = self.rate(agent)
        for chat in agent.open:
            agent.open[chat] -= (self.now - agent.last) * rate
        agent.last = self.now

    def reschedule(self, agent: _Agent) -> None:
        agent.version += 1
        if agent.open:
            left = min(agent.open.values())
            self.push(
                self.now + max(left, 0.0) / self.rate(agent), "done", (agent.name, agent.version)
            )

    def run(self) -> list[_Chat]:
        truth = self.truth
        for stream, per_hour in truth.rates.items():
            self.push(self.rng.expovariate(per_hour / 3600), "arrive", stream)
        for name, agent in self.agents.items():
            start, _ = truth.partial.get(name, (0.0, truth.horizon))
            self.push(start, "on", agent)
            if name in truth.partial:
                self.push(truth.partial[name][1], "off", agent)
        while self.events:
            self.now, _, kind, payload = heapq.heappop(self.events)
            getattr(self, f"_{kind}")(payload)
        return self.chats

    def _arrive(self, stream: object) -> None:
        assert isinstance(stream, str)
        truth = self.truth
        if self.now >= truth.horizon:
            return
        self.push(self.now + self.rng.expovariate(truth.rates[stream] / 3600), "arrive", stream)
        family, mean, sd = truth.work[stream]
        if family == "exp":
            work = self.rng.expovariate(1 / mean)
        else:
            sigma = math.sqrt(math.log1p((sd / mean) ** 2))
            work = math.exp(self.rng.normalvariate(math.log(mean) - sigma**2 / 2, sigma))
        language = "en" if self.rng.random() < truth.languages["en"] else "de"
        self.number += 1
        chat = _Chat(
            self.number, stream, self.now, work, self.rng.expovariate(1 / truth.patience), language
        )
        self.chats.append(chat)
        team = truth.team_of[stream]
        self.queues[team].append(chat)
        self.push(self.now + chat.patience, "give_up", chat)
        self.dispatch(team)

    def dispatch(self, team: str) -> None:
        queue = self.queues[team]
        while queue:
            free = [
                a
                for a in self.agents.values()
                if a.team == team and a.online and len(a.open) < self.truth.cap
            ]
            if not free:
                return
            agent = min(free, key=lambda a: (len(a.open), a.name))
            chat = queue.popleft()
            self.advance(agent)
            agent.open[chat.number] = chat.work
            chat.assigned, chat.agent = self.now, agent.name
            self.by_number[chat.number] = chat
            self.reschedule(agent)

    def _give_up(self, chat: object) -> None:
        assert isinstance(chat, _Chat)
        queue = self.queues[self.truth.team_of[chat.stream]]
        if chat.assigned is None and chat in queue:
            queue.remove(chat)
            chat.left = self.now

    def _done(self, payload: object) -> None:
        assert isinstance(payload, tuple)
        name, version = payload
        agent = self.agents[name]
        if version != agent.version:
            return
        self.advance(agent)
        number = min(agent.open, key=lambda n: (agent.open[n], n))
        del agent.open[number]
        self.by_number[number].closed = self.now
        self.reschedule(agent)
        self.dispatch(agent.team)

    def _on(self, agent: object) -> None:
        assert isinstance(agent, _Agent)
        agent.online = True
        self.dispatch(agent.team)

    def _off(self, agent: object) -> None:
        assert isinstance(agent, _Agent)
        agent.online = False


def generate_chats(truth: Truth) -> list[tuple[date, _Chat]]:
    """Every chat of every day (weekdays only), in handoff order per day."""
    rng = random.Random(truth.seed)
    chats: list[tuple[date, _Chat]] = []
    day, made = truth.first_day, 0
    while made < truth.days:
        if day.weekday() < 5:
            desk = _Desk(truth, rng, len(chats))
            chats += [(day, chat) for chat in desk.run()]
            made += 1
        day += timedelta(days=1)
    return chats


def _stamp(day: date, truth: Truth, offset: float | None) -> str:
    if offset is None:
        return ""
    moment = datetime(day.year, day.month, day.day, truth.start_hour) + timedelta(seconds=offset)
    return moment.isoformat(sep=" ", timespec="milliseconds")


def export_text(truth: Truth) -> str:
    """The generated export as CSV text (with spam rows and unmapped marker columns)."""
    rng = random.Random(truth.seed + 1)
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(HEADER)
    for day, chat in generate_chats(truth):
        status = "closed" if chat.assigned is not None else "abandoned"
        if chat.assigned is None and chat.left is None:
            continue  # still queued when the day ended: not in the export
        if rng.random() < truth.spam_share:
            # A test conversation nobody answered: a row to ignore, not a customer.
            spam = _stamp(day, truth, rng.uniform(0, truth.horizon))
            writer.writerow(
                [f"s{chat.number}", spam, "", "", "", "", "", "en", chat.stream, "spam"]
            )
        writer.writerow(
            [
                f"c{chat.number}",
                _stamp(day, truth, chat.handed),
                _stamp(day, truth, chat.assigned),
                _stamp(day, truth, chat.closed),
                _stamp(day, truth, chat.left),
                chat.agent or "",
                truth.team_of[chat.stream],
                chat.language,
                chat.stream,
                status,
                f"{MARKER}-mail{chat.number}@example.com",
                f'{MARKER} said "hello, world"\nsecond line',
            ]
        )
    return handle.getvalue()


def write_export(folder: Path, truth: Truth) -> tuple[Path, Path]:
    """Write ``export.csv`` and ``mapping.yaml`` into ``folder``; their paths."""
    export = folder / "export.csv"
    export.write_text(export_text(truth), encoding="utf-8")
    mapping = folder / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return export, mapping
