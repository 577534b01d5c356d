"""What a replication starts from: its random streams, samplers and books.

``run.py`` builds these once per replication, before the first event, and the event
handlers only read and update them. Replication ``r`` of seed ``s`` draws purpose
``p`` from ``random_stream(s, r, p)``; the purposes are listed in
``docs/simulation.md`` ("Random streams").
"""

from __future__ import annotations

import math
import random

from chatassign.engine import Engine
from chatassign.model import Method, Target, Workspace
from chatassign.simulation.books import (
    AgentBooks,
    Arrivals,
    ChatBooks,
    Draws,
    EscalationDraws,
    Sampler,
    Saturation,
)
from chatassign.simulation.plan import random_stream
from chatassign.workload.distributions import Distribution
from chatassign.workload.values import ArrivalStream, RecordedHandoff, Workload

_CONDITIONED_DRAWS = 1000
"""Draws of a served chat's patience before its recorded wait is used instead."""


class Streams:
    """One replication's random streams, and the work and patience samplers drawing from them.

    A sampler is made once per stream name and shared by every customer drawing from
    that stream, so customers draw in handoff order whatever their AI agent.
    """

    def __init__(self, workload: Workload, seed: int, replication: int) -> None:
        self.workload = workload
        self.seed = seed
        self.replication = replication
        self.samplers: dict[str, Sampler] = {}
        """Work and patience samplers by random-stream name."""

    def rng(self, purpose: str) -> random.Random:
        """The random stream of ``purpose`` in this replication."""
        return random_stream(self.seed, self.replication, purpose)

    def draws(self, stream: ArrivalStream, language: str | None) -> Draws:
        """The work and patience samplers of ``stream``'s customers in ``language``.

        A distribution of the workload draws from the shared ``handle_time`` or
        ``patience`` stream, in handoff order; one an AI agent (or a language of it)
        sets of its own draws from a stream of its own, ``handle_time:<ai agent>``
        (``handle_time:<ai agent>:<language>``), so changing it leaves every other
        customer's draws as they were.
        """
        work = self.workload.handle_time_of(stream, language)
        patience = self.workload.patience_of(stream, language)
        return (
            self._sampler(work, "handle_time", stream, language),
            None if patience is None else self._sampler(patience, "patience", stream, language),
        )

    def escalation_draws(self, stream: ArrivalStream) -> EscalationDraws | None:
        """The samplers of ``stream``'s escalations, each from its own random stream.

        Every chat of the stream that is handed off draws all three (whether it is
        escalated or not), so the draws do not depend on what happens to the chat.
        """
        escalation = stream.escalation
        if escalation is None:
            return None
        ai = stream.ai_agent
        work = escalation.handle_time
        if work is None:
            work = self.workload.handle_time_of(stream)
        return (
            escalation.probability,
            self.rng(f"escalation:{ai}").random,
            escalation.after.sampler(self.rng(f"escalation_after:{ai}")),
            work.sampler(self.rng(f"escalation_work:{ai}")),
            escalation.teams,
        )

    def _sampler(
        self, distribution: Distribution, purpose: str, stream: ArrivalStream, language: str | None
    ) -> Sampler:
        own = stream.language_parameters(language)
        if own is not None and getattr(own, purpose) is not None:
            name = f"{purpose}:{stream.ai_agent}:{language}"
        elif getattr(stream, purpose) is not None:
            name = f"{purpose}:{stream.ai_agent}"
        else:
            name = purpose
        sampler = self.samplers.get(name)
        if sampler is None:
            sampler = self.samplers[name] = distribution.sampler(self.rng(name))
        return sampler


def build_arrivals(workspace: Workspace, streams: Streams) -> list[Arrivals]:
    """The books and draws of every arrival stream of the workload, in file order."""
    ai_rng = streams.rng("ai_time")
    voluntary_ai = {
        ai.id
        for ai in workspace.ai_agents.values()
        if workspace.teamspaces[ai.teamspace].assignment.method is Method.VOLUNTARY
    }
    return [
        Arrivals(
            s,
            streams.rng(f"arrivals:{s.ai_agent}"),
            ai_rng,
            voluntary=s.ai_agent in voluntary_ai,
            draws=streams.draws(s, None),
            language_draws=[streams.draws(s, lang) for lang, _ in s.languages]
            if s.by_language
            else (),
            escalation=streams.escalation_draws(s),
        )
        for s in streams.workload.arrivals
    ]


def build_agent_books(
    ws: Workspace, engine: Engine, workload: Workload, slowdown: tuple[float, ...]
) -> tuple[dict[str, AgentBooks], list[Saturation]]:
    """Agents of any pool, their smallest cap, and each teamspace's members."""
    members: dict[str, set[str]] = {tid: set() for tid in ws.teamspaces}
    direct: set[str] = set()
    for ai in ws.ai_agents.values():
        for language in (None, *ai.languages):
            pool = engine.pool_members(ai.id, language)
            if ai.handoff.target_for(language).is_direct:
                direct |= pool
            else:
                members[ai.teamspace] |= pool
    for stream in workload.arrivals:  # escalations reach their teams' agents too
        owner = ws.ai_agents.get(stream.ai_agent)
        if stream.escalation is not None and owner is not None:
            target = Target(teams=stream.escalation.teams)
            members[owner.teamspace] |= ws.pool_members(owner.teamspace, target)
    saturations = {tid: Saturation(tid, engine.cap(tid)) for tid in ws.teamspaces}
    agents: dict[str, AgentBooks] = {}
    for uid in sorted(direct.union(*members.values())):
        spaces = [saturations[tid] for tid in ws.teamspaces if uid in members[tid]]
        cap = min((s.cap for s in spaces), default=math.inf)
        agent = AgentBooks(uid, ws.users[uid].speed, cap, slowdown)
        agent.saturations = spaces
        agent.voluntary = any(
            ws.teamspaces[s.id].assignment.method is Method.VOLUNTARY for s in spaces
        )
        agents[uid] = agent
    return agents, list(saturations.values())


def build_team_books(
    ws: Workspace, agents: dict[str, AgentBooks], saturations: list[Saturation]
) -> tuple[list[Saturation], dict[str, tuple[str, ...]]]:
    """Each team's saturation books, shared by its members among the simulated agents.

    A team whose agents are exactly a teamspace's, each with that teamspace's cap
    as their own, is saturated exactly when the teamspace is: it reads the
    teamspace's books (one desk of one team keeps one set of books, not two).
    """
    spaces = {
        id(saturation): frozenset(uid for uid, a in agents.items() if saturation in a.saturations)
        for saturation in saturations
    }
    books: list[Saturation] = []
    members: dict[str, tuple[str, ...]] = {}
    for team_id in ws.teams:
        # dict_keys & frozenset is a set (frozenset & dict_keys too, whatever mypy says).
        members[team_id] = tuple(sorted(agents.keys() & ws.team_members(team_id)))
        mine = frozenset(members[team_id])
        same = [
            saturation
            for saturation in saturations
            if mine
            and spaces[id(saturation)] == mine
            and all(agents[uid].cap == saturation.cap for uid in mine)
        ]
        if same:
            books.append(same[0])
            continue
        team = Saturation(team_id, 0)
        for uid in members[team_id]:
            agents[uid].teams.append(team)
        books.append(team)
    return books, members


class RecordedCustomers:
    """Replay: what a recorded handoff brings, with what the export does not hold drawn.

    Work and patience missing from the export are drawn from the streams a drawn
    customer of the same AI agent and language uses.
    """

    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.books: dict[tuple[str, str | None], tuple[ChatBooks, Draws]] = {}

    def customer(
        self, arrivals: Arrivals, handoff: RecordedHandoff
    ) -> tuple[str | None, ChatBooks, float, float]:
        """A recorded chat's language, books, work and patience (drawn where not recorded)."""
        books, (draw_work, draw_patience) = self._books(arrivals, handoff.language)
        work = draw_work() if handoff.work is None else handoff.work
        patience = handoff.patience
        if patience is None:
            patience = math.inf if draw_patience is None else _above(draw_patience, handoff.waited)
        return handoff.language, books, work, patience

    def _books(self, arrivals: Arrivals, language: str | None) -> tuple[ChatBooks, Draws]:
        """The books and draws of a recorded chat of ``arrivals`` in ``language``.

        A language of the stream's mix keeps its own books; a stream without a mix
        books every chat in its one entry; a language outside the mix gets books of
        its own beside the mix's.
        """
        key = (arrivals.ai_agent, language)
        found = self.books.get(key)
        if found is None:
            if language in arrivals.languages:
                books = arrivals.books[arrivals.languages.index(language)]
            elif not arrivals.languages:
                books = arrivals.books[0]
            else:
                books = ChatBooks(arrivals.ai_agent, language, voluntary=arrivals.voluntary)
                arrivals.books.append(books)
            found = self.books[key] = (books, self.streams.draws(arrivals.stream, language))
        return found


def _above(draw: Sampler, floor: float) -> float:
    """A draw of ``draw`` above ``floor`` (rejection); ``floor`` when none comes."""
    for _ in range(_CONDITIONED_DRAWS):
        value = draw()
        if value > floor:
            return value
    return floor
