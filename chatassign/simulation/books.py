"""The simulator's books: customers, agents, arrival streams.

Small slotted records the event handlers in ``run.py`` update on every event; they
hold running sums and time-weighted areas, never a list of every chat.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from chatassign.analysis.facts import AgentFacts, ChatCounts, StreamFacts, WaitSketch
from chatassign.simulation.calendar import Alarm
from chatassign.workload.values import ArrivalStream

PENDING: Final = 0
OPEN: Final = 1
ENDED: Final = 2
"""A customer's state in the books."""

Sampler = Callable[[], float]
Draws = tuple[Sampler, Sampler | None]
"""A customer's samplers: work, and patience (None: unlimited)."""
EscalationDraws = tuple[float, Sampler, Sampler, Sampler, tuple[str, ...]]
"""An escalation: its probability, a uniform sampler, ``after``, the new work, the teams."""


class ChatBooks:
    """Counts and waits of the chats of one AI agent in one language (or without one)."""

    __slots__ = (
        "abandoned",
        "abandoned_waits",
        "ai_agent",
        "handed_off",
        "language",
        "recorded",
        "transferred",
        "unattended",
        "unavailable",
        "unfinished_waits",
        "unrecorded",
        "voluntary",
        "waited",
        "waiting",
        "waits",
        "within",
    )

    def __init__(self, ai_agent: str, language: str | None, *, voluntary: bool) -> None:
        self.ai_agent = ai_agent
        self.language = language
        self.voluntary = voluntary
        """Whether its chats wait in a voluntary teamspace (unclaimed at the end: unattended)."""
        self.handed_off = self.unavailable = self.abandoned = self.transferred = 0
        self.recorded = 0
        """Assigned chats whose wait went into ``waits``."""
        self.unrecorded = 0
        """Assigned chats without a wait, not kept: folded into ``waits`` at the end."""
        self.waited = self.within = 0
        self.unattended = self.waiting = 0
        self.waits = WaitSketch()
        self.abandoned_waits = WaitSketch()
        self.unfinished_waits = WaitSketch()
        """Pending chats at the end, each waited until then."""

    def facts(self, *, threshold: float) -> StreamFacts:
        """These books as facts (``threshold``: the service-level threshold, s)."""
        unrecorded = self.unrecorded
        waits = WaitSketch.merged([self.waits])
        waits.count += unrecorded
        waits.zeros += unrecorded
        counts = ChatCounts(
            handed_off=self.handed_off,
            unavailable=self.unavailable,
            assigned=self.recorded + unrecorded,
            abandoned=self.abandoned,
            unattended=self.unattended,
            waiting_at_end=self.waiting,
            transferred=self.transferred,
        )
        return StreamFacts(
            ai_agent=self.ai_agent,
            language=self.language,
            counts=counts,
            waits=waits,
            abandoned_waits=self.abandoned_waits,
            all_waits=WaitSketch.merged([waits, self.abandoned_waits, self.unfinished_waits]),
            waited=self.waited,
            within_threshold=self.within + (unrecorded if threshold >= 0.0 else 0),
        )


class Customer:
    """One handed-off chat while it is pending or open.

    A customer is also its own calendar entry (``calendar.Calendar.push``) for the end
    of a constant-rate service (``callbacks`` and ``_ok`` are what SimPy reads of an
    entry), which saves an ``Alarm`` per chat. ``callbacks`` is None while no such
    entry is on the calendar.
    """

    __slots__ = (
        "agent",
        "books",
        "callbacks",
        "counted",
        "finish",
        "id",
        "queued_at",
        "state",
        "work",
    )
    _ok = True
    escalate_to: tuple[str, ...] | None = None
    """The teams the first agent transfers the chat to when its ``work`` is done (None:
    the chat is closed then). Set only on an ``EscalatingCustomer``."""

    def __init__(
        self,
        chat_id: int,
        work: float,
        queued_at: float,
        counted: bool,
        books: ChatBooks,
    ) -> None:
        self.id = chat_id
        self.books = books
        """The books of its AI agent and language (they say whether it waits in a voluntary
        teamspace)."""
        self.work = work
        """Work still to do, in seconds at speed 1 and concurrency 1."""
        self.queued_at = queued_at
        self.counted = counted
        self.state = PENDING
        self.agent: AgentBooks | None = None
        self.finish = 0.0
        """When the service ends (constant-rate service); a requeue moves it."""
        self.callbacks: list[Callable[[Customer], None]] | None = None


class EscalatingCustomer(Customer):
    """A customer whose chat the first agent escalates after ``work``; ``then_work`` follows.

    A subclass, so that the customers who are not escalated (nearly all) carry no
    extra slot: ``escalate_to`` is a class attribute (None) on ``Customer``. Made as a
    ``Customer``, then told where it goes (``escalates``).
    """

    __slots__ = ("escalate_to", "then_work")
    then_work: float
    """The work waiting at the receiving team, seconds at speed 1."""

    def escalates(self, teams: tuple[str, ...], then_work: float) -> None:
        """After its ``work`` the chat goes to ``teams``, where ``then_work`` waits."""
        self.escalate_to = teams
        self.then_work = then_work


@dataclass(eq=False, slots=True)
class Saturation:
    """One teamspace's (or team's) cap saturation: time with every online member at the cap.

    Compared by identity: two teams' books with equal sums are still two books.
    """

    id: str
    """The teamspace's (or team's) id."""
    cap: int
    online: int = 0
    below: int = 0
    """Online members holding fewer chats than the cap."""
    last: float = 0.0
    time: float = 0.0

    def flush(self, now: float) -> None:
        if self.online and not self.below:
            self.time += now - self.last
        self.last = now


class AgentBooks:
    """The simulator's books on one agent: time at each load, service and claiming state.

    The time-weighted measures come from one histogram per status: the time spent
    online (and away) holding 0, 1, 2, ... open chats. A load change adds the time
    since the last change to one cell; the areas are sums of cells at the end.
    """

    __slots__ = (
        "assigned",
        "away_times",
        "cap",
        "claim_armed",
        "claim_token",
        "id",
        "last",
        "load",
        "max_open",
        "online",
        "online_times",
        "progress",
        "ps_alarm",
        "ps_last",
        "ps_rate",
        "ps_rates",
        "saturations",
        "speed",
        "targets",
        "teams",
        "times",
        "voluntary",
    )

    def __init__(
        self, agent_id: str, speed: float, cap: float, slowdown: Sequence[float] = (1.0,)
    ) -> None:
        self.id = agent_id
        self.speed = speed
        self.cap = cap
        self.load = 0
        self.online = False
        self.last = 0.0
        """When the load or the status last changed (the histograms run up to here)."""
        size = int(cap) + 1 if cap < math.inf else 1
        self.online_times = [0.0] * size
        """Seconds online holding ``i`` open chats, at index ``i``."""
        self.away_times = [0.0] * size
        """Seconds away holding ``i`` open chats (requeue off: chats stay with the agent)."""
        self.times = self.away_times
        """The histogram of the current status."""
        self.max_open = 0
        self.assigned = 0
        self.saturations: list[Saturation] = []
        self.teams: list[Saturation] = []
        """The saturation books of the agent's teams; there "at the cap" is at ``cap``."""
        self.voluntary = False
        self.claim_armed = False
        self.claim_token = 0
        # Processor sharing: every open chat of the agent progresses at ps_rate, so
        # one counter of work done per chat (progress) serves them all.
        self.progress = 0.0
        self.ps_last = 0.0
        self.ps_rate = speed
        self.ps_rates = [speed / factor for factor in slowdown]
        """The rate of every open chat by the number open (the last entry: that or more)."""
        self.ps_alarm: Alarm[AgentBooks] | None = None
        """The calendar entry of the next completion; any other entry is stale."""
        self.targets: list[tuple[float, int, Customer]] = []
        """A heap of (progress at which a chat is done, assignment order, the chat)."""

    def account(self, now: float) -> None:
        """Add the time since the last change to the current load's cell."""
        self.times[self.load] += now - self.last
        self.last = now

    def grow(self) -> None:
        """Make room in the histograms for one more open chat than ever before."""
        self.online_times.append(0.0)
        self.away_times.append(0.0)

    def set_online(self, online: bool, now: float) -> None:
        self.account(now)
        self.online = online
        self.times = self.online_times if online else self.away_times

    def restart(self, now: float) -> None:
        """Forget everything measured before ``now`` (the end of the warm-up)."""
        self.account(now)
        size = len(self.times)
        self.online_times[:] = [0.0] * size
        self.away_times[:] = [0.0] * size
        self.max_open = self.load

    def facts(self) -> AgentFacts:
        online, away = self.online_times, self.away_times
        cap = int(self.cap) if self.cap < math.inf else len(online)
        return AgentFacts(
            id=self.id,
            assigned=self.assigned,
            open_area=math.fsum(i * (online[i] + away[i]) for i in range(1, len(online))),
            max_open=self.max_open,
            online_time=math.fsum(online),
            busy_time=math.fsum(online[1:]),
            at_cap_time=math.fsum(online[cap:]),
        )


class Arrivals:
    """One AI agent's arrival stream and the draws that follow each arrival."""

    __slots__ = (
        "ai_agent",
        "ai_time",
        "ai_zero",
        "arrived",
        "books",
        "constant_rate",
        "cumulative",
        "draw_patience",
        "draw_work",
        "escalation",
        "language_draws",
        "languages",
        "probability",
        "random",
        "rng",
        "stream",
        "voluntary",
        "with_ai",
    )

    def __init__(
        self,
        stream: ArrivalStream,
        rng: random.Random,
        ai_rng: random.Random,
        *,
        voluntary: bool,
        draws: Draws,
        language_draws: Sequence[Draws] = (),
        escalation: EscalationDraws | None = None,
    ) -> None:
        self.stream = stream
        self.draw_work, self.draw_patience = draws
        """The samplers of a customer's work and patience (None: unlimited patience)."""
        self.language_draws = list(language_draws)
        """Per language of ``languages`` (empty when no language sets its own)."""
        self.escalation = escalation
        """The draws of an escalation: (probability, uniform, after, new work), or None."""
        self.ai_agent = stream.ai_agent
        self.voluntary = voluntary
        """Whether its chats wait in a voluntary teamspace."""
        self.rng = rng
        self.random = rng.random
        self.probability = stream.handoff_probability
        self.ai_time = stream.ai_time.sampler(ai_rng)
        self.ai_zero = stream.ai_time.mean <= 0.0
        schedule = stream.schedule
        single = len(schedule) == 1 and schedule[0].until == math.inf and schedule[0].rate > 0
        self.constant_rate = schedule[0].rate if single else 0.0
        total = 0.0
        cumulative: list[float] = []
        for _, share in stream.languages:
            total += share
            cumulative.append(total)
        self.cumulative = [c / total for c in cumulative] if total > 0 else []
        self.languages = [lang for lang, _ in stream.languages]
        self.books = [
            ChatBooks(stream.ai_agent, lang, voluntary=voluntary) for lang in self.languages
        ] or [ChatBooks(stream.ai_agent, None, voluntary=voluntary)]
        """Per language of ``languages`` (one, without a language, when there are none)."""
        self.arrived = 0
        self.with_ai = 0
        """Counted chats still with the AI agent when handoffs stopped."""

    def facts(self, *, threshold: float) -> StreamFacts:
        """The AI agent's facts, with one entry per language when it has a mix."""
        parts = [books.facts(threshold=threshold) for books in self.books]
        return StreamFacts.combined(
            self.ai_agent, parts, arrived=self.arrived, with_ai_at_end=self.with_ai
        )

    def gap(self, now: float) -> float:
        """Time to the next arrival after ``now`` (inf: none), piecewise-exponential.

        Exact for a piecewise-constant rate: by memorylessness a gap that crosses a
        segment's end is redrawn from that end at the next segment's rate.
        """
        if self.constant_rate:  # rng.expovariate(rate), inlined: the same draw
            return -math.log(1.0 - self.random()) / self.constant_rate
        t = now
        for segment in self.stream.schedule:
            if t >= segment.until:
                continue
            if segment.rate > 0.0:
                arrival = t + self.rng.expovariate(segment.rate)
                if arrival < segment.until:
                    return arrival - now
            t = segment.until
        return math.inf
