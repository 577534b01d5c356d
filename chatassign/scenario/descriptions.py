"""Plain-text descriptions of every scenario key, for the JSON Schema (editors show them).

Keyed by the dotted path docs/scenarios.md uses (``users.<user>.role``, ``[]`` for a
list item), and written from its table; tests/test_schema_agreement.py fails when a
key of ``chatassign schema`` has none here.
"""

from __future__ import annotations

KEY_DESCRIPTIONS: dict[str, str] = {
    "name": ("Text (default: the file name): shown above every table and report."),
    "description": ("Text (default: none): free text, not used by the simulator."),
    "plan": (
        "Free, lite, pro, total or enterprise (required): the subscription; it gates methods "
        "(balanced on every plan, random from lite, round robin from pro, voluntary from "
        "total) and transfers (lite)."
    ),
    "roles": (
        "Mapping <role> → list of permissions (default: {}): permissions: "
        "livechats.view_manage_assigned (a live agent: receives chats) and "
        "livechats.transfer_takeover (may take over chats); viewer: [] is a role with none."
    ),
    "users": ("Mapping <user> → user (default: {}): the people of the workspace."),
    "users.<user>.role": ("A role name (required): role: agent."),
    "users.<user>.teams": (
        "List of team names (default: []): teams: [billing, tech]; a live agent on no team is"
        " never auto-assigned (a warning)."
    ),
    "users.<user>.speed": (
        "Number > 0 (default: 1): work done per unit time in the simulator: speed: 1.2 "
        "finishes a chat in 1/1.2 of the time."
    ),
    "teams": ("Mapping <team> → team (default: {}): billing: {teamspaces: [support]}."),
    "teams.<team>.teamspaces": (
        "List of teamspace names (default: []): the teamspaces whose chats the team takes."
    ),
    "teams.<team>.role": (
        "A role name (default: none): every holder of this role is a member too (role: supervisor)."
    ),
    "teamspaces": (
        "Mapping <teamspace> → teamspace (default: {}): each has its own assignment rules."
    ),
    "teamspaces.<teamspace>.assignment": (
        "Mapping (default: balanced, cap 10): assignment: {method: round-robin, "
        "max_auto_assigned: 3}."
    ),
    "teamspaces.<teamspace>.assignment.method": (
        "Balanced, random, round-robin or voluntary (default: balanced): how chats are "
        "placed; must be allowed by the plan."
    ),
    "teamspaces.<teamspace>.assignment.max_auto_assigned": (
        'Integer ≥ 1 (default: 10): the "auto-assigned chats" cap: automatic methods give an '
        "agent no more open chats than this."
    ),
    "ai_agents": (
        "Mapping <ai_agent> → AI agent (default: {}): every chat starts with an AI agent."
    ),
    "ai_agents.<ai_agent>.teamspace": ("A teamspace name (required): whose rules place its chats."),
    "ai_agents.<ai_agent>.languages": (
        "List of language codes (default: []): the languages it speaks, e.g. [en, es]."
    ),
    "ai_agents.<ai_agent>.handoff": ("Mapping (required): where a Human Handoff goes."),
    "ai_agents.<ai_agent>.handoff.target": (
        "Target (required): exactly one form: {agent: alice} (one agent, whatever method and "
        "cap), {teamspace: true} (every live agent of the teamspace's teams) or {users: "
        "[...], teams: [...]} (their union)."
    ),
    "ai_agents.<ai_agent>.handoff.target.agent": (
        "A user name (default: none): a direct handoff to one live agent."
    ),
    "ai_agents.<ai_agent>.handoff.target.teamspace": (
        "True or false (default: false): any live agent of the teamspace."
    ),
    "ai_agents.<ai_agent>.handoff.target.users": (
        "List of user names (default: []): these agents."
    ),
    "ai_agents.<ai_agent>.handoff.target.teams": (
        "List of team names (default: []): the live agents of these teams."
    ),
    "ai_agents.<ai_agent>.handoff.by_language": (
        "Mapping <language> → target (default: {}): a target for chats in that language, e.g."
        " by_language: {es: {users: [lucia]}}; other languages use target."
    ),
    "ai_agents.<ai_agent>.handoff.by_language.<language>.agent": (
        "A user name (default: none): as target.agent."
    ),
    "ai_agents.<ai_agent>.handoff.by_language.<language>.teamspace": (
        "True or false (default: false): as target.teamspace."
    ),
    "ai_agents.<ai_agent>.handoff.by_language.<language>.users": (
        "List of user names (default: []): as target.users."
    ),
    "ai_agents.<ai_agent>.handoff.by_language.<language>.teams": (
        "List of team names (default: []): as target.teams."
    ),
    "ai_agents.<ai_agent>.handoff.availability_check": (
        "True or false (default: true): on: a handoff when nobody of the target is online is "
        "refused (unavailable) and the chat stays with the AI agent; off: it waits in the "
        "queue."
    ),
    "options": ("Mapping (default: both defaults): engine choices the product leaves open."),
    "options.cap_counts": (
        "All_open or auto_only (default: all_open): whether the cap counts every open chat of"
        " the agent or only the automatically assigned ones."
    ),
    "options.on_away": (
        "Keep or requeue (default: keep): whether an agent who goes away keeps their chats or"
        " they return to the front of the queue."
    ),
    "workload": ("Mapping (default: none): the traffic a simulation runs."),
    "workload.horizon": (
        "Duration (required, at most 366 days): how long a replication runs: horizon: 8h; "
        "handoffs stop there."
    ),
    "workload.starts_at": (
        "[YYYY-MM-DD] HH:MM[:SS] [time zone] (default: none, times are offsets from 0): the "
        "clock time of time 0, e.g. 09:00 or 2026-03-02 09:00 Europe/Berlin; shifts and "
        "schedules may then be written in clock time (from: 09:00, until: 11:00), each the "
        "first such time at or after the start. The date and zone are labels."
    ),
    "workload.warmup": (
        "Duration (default: 0): chats handed off before this are left out of every statistic:"
        " warmup: 30m."
    ),
    "workload.seed": (
        "Integer (default: 0): the seed; replication r draws each purpose from its own stream"
        " derived from (seed, r)."
    ),
    "workload.replications": (
        "Integer ≥ 1 (default: 1): independent days; results are means with 95 % intervals."
    ),
    "workload.arrivals": (
        "Mapping <ai_agent> → arrival stream (required): the customers reaching each AI agent."
    ),
    "workload.arrivals.<ai_agent>.rate": (
        "Rate, or a schedule (required): a Poisson stream: rate: 120/h, or piecewise [{until:"
        " 2h, rate: 60/h}, {rate: 100/h}]."
    ),
    "workload.arrivals.<ai_agent>.rate[].until": (
        "Duration, or a clock time such as 11:00 with workload.starts_at (default: to the end):"
        " where this piece of the schedule ends; only the last piece may leave it out, and the"
        " pieces must be in order."
    ),
    "workload.arrivals.<ai_agent>.rate[].rate": ("Rate (required): the rate until then."),
    "workload.arrivals.<ai_agent>.handoff_probability": (
        "Number in [0, 1] (default: 1): the share of the AI agent's chats handed to a human."
    ),
    "workload.arrivals.<ai_agent>.ai_time": (
        "Distribution (default: constant(0s)): time with the AI before the handoff: ai_time: "
        "exponential(mean=2m)."
    ),
    "workload.arrivals.<ai_agent>.handle_time": (
        "Distribution (default: the workload's handle_time): the work of this AI agent's "
        "chats: handle_time: exponential(mean=6m)."
    ),
    "workload.arrivals.<ai_agent>.patience": (
        "Distribution (default: the workload's patience): how long this AI agent's customers "
        "wait before leaving: patience: exponential(mean=2m)."
    ),
    "workload.arrivals.<ai_agent>.languages": (
        "Mapping <language> → share, or → {share, handle_time, patience} (default: none: "
        "chats carry no language and go to target): the language mix of handoffs; shares sum "
        "to 1: languages: {en: 0.8, es: {share: 0.2, handle_time: exponential(mean=9m)}}."
    ),
    "workload.arrivals.<ai_agent>.languages.<language>.share": (
        "Number in [0, 1] (required): the language's share, in the mapping form."
    ),
    "workload.arrivals.<ai_agent>.languages.<language>.handle_time": (
        "Distribution (default: the AI agent's handle time): the work of this language's chats."
    ),
    "workload.arrivals.<ai_agent>.languages.<language>.patience": (
        "Distribution (default: the AI agent's patience): the patience of this language's "
        "customers."
    ),
    "workload.arrivals.<ai_agent>.escalation": (
        "Mapping (default: none): a share of this AI agent's chats the first agent transfers "
        "to other teams (plan lite or above): escalation: {probability: 0.2, after: "
        "exponential(mean=3m), to: {teams: [tier2]}, handle_time: lognormal(mean=10m, "
        "sd=6m)}."
    ),
    "workload.arrivals.<ai_agent>.escalation.probability": (
        "Number in [0, 1] (required): the share of handed-off chats the first agent escalates."
    ),
    "workload.arrivals.<ai_agent>.escalation.after": (
        "Distribution (required): the work the first agent does before the transfer; a chat "
        "whose own work ends first is closed, not escalated."
    ),
    "workload.arrivals.<ai_agent>.escalation.to": ("Mapping (required): where the chat goes."),
    "workload.arrivals.<ai_agent>.escalation.to.teams": (
        "List of team ids (required, at least one): the receiving teams, linked to the AI "
        "agent's teamspace and holding a live agent; the engine's transfer-to-team rules "
        "place the chat there (the teamspace's method and cap), or it queues."
    ),
    "workload.arrivals.<ai_agent>.escalation.handle_time": (
        "Distribution (default: the AI agent's handle time): the new work at the receiving team."
    ),
    "workload.handle_time": (
        "Distribution (required): the work a chat needs from an agent at speed 1 and one open"
        " chat, for every AI agent and language that does not set its own: handle_time: "
        "lognormal(mean=8m, sd=5m)."
    ),
    "workload.concurrency_slowdown": (
        "List of numbers ≥ 1 (default: [1.0]): at j open chats each progresses at speed / "
        "slowdown[j−1] (the last value repeats): [1.0, 1.25, 1.6]."
    ),
    "workload.patience": (
        "Distribution (default: none (nobody leaves)): how long a waiting customer stays "
        "before abandoning, unless the AI agent or language sets its own: patience: "
        "exponential(mean=4m)."
    ),
    "workload.service_level_threshold": (
        "Duration (default: 60s): a chat assigned within this counts towards the service level."
    ),
    "workload.shifts": (
        "Mapping <user> → list of intervals (default: {} (everyone online all day)): when "
        "each listed user is online: alice: [{from: 0h, to: 4h}, {from: 4h30m, to: 8h}]."
    ),
    "workload.shifts.<user>[].from": (
        "Duration, or a clock time such as 13:30 with workload.starts_at (required): start of "
        "an online interval, from time 0."
    ),
    "workload.shifts.<user>[].to": (
        "Duration, or a clock time with workload.starts_at (required): its end; intervals are "
        "in order and do not overlap."
    ),
    "workload.voluntary": (
        "Mapping (default: instant pickup, limit 3): how agents claim chats in a voluntary "
        "teamspace."
    ),
    "workload.voluntary.pickup_delay": (
        "Distribution (required): how quickly an agent claims a visible chat: pickup_delay: "
        "exponential(mean=45s)."
    ),
    "workload.voluntary.self_limit": (
        "Integer ≥ 1 (default: 3): an agent claims only while holding fewer chats than this."
    ),
    "workload.run_to_completion": (
        "True or false (default: false): keep the clock running after the horizon until every"
        " handed-off chat has ended."
    ),
}
