"""The ``chatassign`` command (also ``python -m chatassign``).

Kept light: Ctrl-C is handled from the first instant, before the command line's
heavier imports, so an interrupt at any moment ends with a message and exit code 130
rather than a traceback.
"""

from __future__ import annotations

import signal
import sys


def main() -> None:
    """The console-script entry point."""
    signal.signal(signal.SIGINT, _interrupted)
    from chatassign.cli import main as run_command_line

    run_command_line()


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C: say so, ignore any further Ctrl-C while clean-up runs, exit with 130.

    SystemExit unwinds like any exception: worker processes are stopped and output
    files, which are written atomically, are never left half-written.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stderr.write("interrupted; no unfinished output was written\n")
    raise SystemExit(130)


if __name__ == "__main__":
    main()
