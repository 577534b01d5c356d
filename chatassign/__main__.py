"""``python -m chatassign``."""

from __future__ import annotations

from chatassign.cli import main

main()
