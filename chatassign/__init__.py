"""chatassign: a live-chat assignment engine and a discrete-event simulator around it."""

from __future__ import annotations

__version__ = "0.1.0"
