"""The ``chatassign`` command (also ``python -m chatassign``).

Kept light: Ctrl-C, SIGTERM and SIGHUP are handled from the first instant, before the
command line's heavier imports, so a stop at any moment ends with a message and exit
code 128 + the signal's number (130, 143, 129) rather than a traceback.
"""

from __future__ import annotations

import contextlib
import signal
import sys


def main() -> None:
    """The console-script entry point."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupted)
    from chatassign.cli import main as run_command_line

    run_command_line()


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Ctrl-C, what ``timeout``, CI runners and container stops send, and a closed terminal."""


def _interrupted(signum: int, frame: object) -> None:
    """A stop signal: say so, ignore further ones while clean-up runs, exit 128 + signum.

    SystemExit unwinds like any exception: worker processes are stopped and output
    files, which are written atomically, are never left half-written.
    """
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    name = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no stderr: the code says it
        sys.stderr.write(f"{name}; no unfinished output was written\n")
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
