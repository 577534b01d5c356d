"""The one writer of every file a command writes, and the guard on stdout.

Every file option (``--output``, ``--trace``, ``--report`` and the JSON beside it,
the sweep journal) is checked by :func:`output_file` when the command line is read,
before any simulation starts, and written by :func:`open_output`:

* a regular file or a new path: written to a temporary file in the same folder,
  then renamed over the target; a symlink is followed (the link stays, the file it
  points to gets the content), an existing file keeps its permission bits;
* a character device or a FIFO (``/dev/null``, ``/dev/stdout``, a named pipe), and
  anything under ``/dev/`` or ``/proc/``: written straight to it, never replaced;
* a folder, an empty path, a missing folder, a read-only file or folder, a block
  device or a socket: a :class:`UsageError` (exit 2) naming the option and the path.

A write that fails later (disk full, a reader gone) is an :class:`OutputError`
(exit 1) and leaves no temporary file. Stdout goes through :class:`GuardedStdout`,
so a full, closed or broken stdout is one error too, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from chatassign.errors import BrokenPipeOutputError, OutputError, UsageError

REPORTS_DIR = Path("reports")
"""Where ``--output`` and ``--report`` put a bare file name."""

_STRAIGHT_PREFIXES = ("/dev/", "/proc/")
"""Paths that name a stream (``/dev/stdout``, ``/proc/self/fd/1``): never renamed over."""


@dataclass(frozen=True, slots=True)
class OutputFile:
    """A checked place to write: where it was asked for, and how it is written."""

    option: str
    """The option that named it (``--output``), for messages."""
    path: Path
    """The path as the user will recognise it (``reports/day.json``)."""
    target: Path
    """Where the content goes: ``path`` with symlinks followed."""
    straight: bool
    """Written straight to (a device, a FIFO), not through a renamed temporary file."""

    def beside(self, name: str, *, option: str | None = None) -> OutputFile:
        """The file ``name`` in the same folder as this one, checked like it."""
        return output_file(option or self.option, str(self.path.with_name(name)), bare=False)

    def with_suffix(self, suffix: str, *, option: str | None = None) -> OutputFile:
        """This path with another suffix (``day.html`` → ``day.json``), checked like it."""
        return self.beside(self.path.with_suffix(suffix).name, option=option)


def output_file(
    option: str, text: str | os.PathLike[str], *, suffix: str | None = None, bare: bool = True
) -> OutputFile:
    """Check that ``option``'s path can be written; a UsageError saying why not.

    ``bare``: a bare file name (no folder) goes under ``reports/``, which is created.
    ``suffix`` (``.html``) is required of the name when given.
    """
    raw = os.fspath(text)
    if not raw.strip():
        raise UsageError(f"{option}: the path is empty; give a file name")
    if "\x00" in raw:
        raise UsageError(f"{option}: the path holds a NUL character")
    path = Path(raw)
    if suffix is not None and path.suffix.lower() != suffix:
        raise UsageError(f"{option} {raw}: this file is HTML; give a name ending in {suffix}")
    if bare and not _has_folder(raw):
        path = _under_reports(option) / path
    shown = f"{option} {path}"
    if raw.startswith(_STRAIGHT_PREFIXES) and os.path.exists(raw):
        return _special(option, path, shown)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return _new_file(option, path, shown)
    except OSError as error:
        raise UsageError(f"{shown}: cannot use this path ({_reason(error)})") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise UsageError(f"{shown}: this is a folder; give a file name")
    if stat.S_ISREG(mode):
        target = Path(os.path.realpath(path))
        # Root may write anything: a file nobody may write is still read-only by intent.
        if not os.access(target, os.W_OK) or not mode & 0o222:
            raise UsageError(f"{shown}: the file is read-only")
        _check_folder(target.parent, shown)
        return OutputFile(option, path, target, straight=False)
    return _special(option, path, shown)


def _has_folder(raw: str) -> bool:
    return "/" in raw or "\\" in raw or Path(raw).is_absolute()


def _under_reports(option: str) -> Path:
    try:
        REPORTS_DIR.mkdir(exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"{option}: a bare file name goes under {REPORTS_DIR}/, which cannot be made "
            f"here ({_reason(error)}); give a path such as ./out.json"
        ) from None
    return REPORTS_DIR


def _special(option: str, path: Path, shown: str) -> OutputFile:
    mode = os.stat(path).st_mode
    if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISREG(mode)):
        raise UsageError(f"{shown}: not a file, a character device or a FIFO")
    if not os.access(path, os.W_OK):
        raise UsageError(f"{shown}: not writable")
    return OutputFile(option, path, path, straight=True)


def _new_file(option: str, path: Path, shown: str) -> OutputFile:
    target = Path(os.path.realpath(path))  # a dangling symlink: the file it names
    folder = target.parent
    if not folder.is_dir():
        missing = path.parent if not path.parent.is_dir() else folder
        raise UsageError(f"{shown}: no such folder {missing}")
    _check_folder(folder, shown)
    return OutputFile(option, path, target, straight=False)


def _check_folder(folder: Path, shown: str) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{shown}: cannot write in the folder {folder} (read-only or no access)")


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


# ---------------------------------------------------------------- writing


@contextlib.contextmanager
def open_output(out: OutputFile) -> Iterator[TextIO]:
    """A text handle whose content reaches ``out`` when the block completes.

    A file appears only complete (all or nothing): an error or an interrupt leaves the
    target as it was and no temporary file. A device or FIFO is written as it goes.
    A failed write raises OutputError.
    """
    try:
        if out.straight:
            with open(out.target, "w", encoding="utf-8", newline="") as handle:
                yield handle
        else:
            with _replacing(out.target) as handle:
                yield handle
    except OSError as error:
        if error.filename is not None and error.filename not in (str(out.target), str(out.path)):
            raise
        raise OutputError(f"{out.option} {out.path}: cannot write ({_reason(error)})") from None


@contextlib.contextmanager
def _replacing(target: Path) -> Iterator[TextIO]:
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.chmod(temp, _mode_for(target))
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _mode_for(target: Path) -> int:
    """An existing file's permission bits; a new one's: 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def write_output(out: OutputFile, text: str) -> None:
    """Write ``text`` to ``out`` (a file: all or nothing)."""
    with open_output(out) as handle:
        handle.write(text)


# ---------------------------------------------------------------- stdout


class GuardedStdout:
    """Stdout whose write failures are OutputErrors (a broken pipe: BrokenPipeOutputError).

    Installed as ``sys.stdout`` by the command line, so every writer (Rich, Typer,
    ``sys.stdout.write``) fails the same way: one message, exit 1, no traceback.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.error: OutputError | None = None
        """The failure, once stdout has failed: every later write raises it again."""

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)

    def write(self, text: str) -> int:
        """Write to the real stdout."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not text:  # a probe (Click writes "" to learn the stream's kind): nothing to do
            return 0
        with self._guard():
            return self._stream.write(text)

    def flush(self) -> None:
        """Flush the real stdout; nothing once it has failed (the failure was raised)."""
        if self.error is not None:
            return
        with self._guard():
            self._stream.flush()

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        if self.error is not None:
            raise self.error
        try:
            yield
        except OSError as error:
            _silence_stdout()
            if error.errno == errno.EPIPE:
                self.error = BrokenPipeOutputError("stdout was closed by its reader")
            else:
                self.error = OutputError(f"cannot write to stdout ({_reason(error)})")
            raise self.error from None
        except UnicodeEncodeError:
            raise  # a bug to fix where the text is made, not a stdout failure
        except ValueError:  # the stream was closed from inside this process
            self.error = OutputError("cannot write to stdout (it is closed)")
            raise self.error from None


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null, so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)


def guard_standard_streams() -> GuardedStdout:
    """Make stdout fail cleanly; a closed fd 0, 1 or 2 is held by /dev/null first.

    A closed stdout (``>&-``) would otherwise hand fd 1 to the next file opened, and
    results would land in it; here fd 1 is held read-only, so writing it fails as
    "cannot write to stdout" while every file still opens on its own descriptor.
    """
    for fd, flags in ((0, os.O_RDONLY), (1, os.O_RDONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            held = os.open(os.devnull, flags)
            if held != fd:
                os.dup2(held, fd)
                os.close(held)
            if fd == 1:
                sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            elif fd == 2:
                sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        # Text that cannot be encoded (a lone surrogate) is escaped, never a traceback.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    current = sys.stdout
    if isinstance(current, GuardedStdout):
        return current
    guarded = GuardedStdout(current)
    sys.stdout = guarded
    return guarded


__all__ = [
    "REPORTS_DIR",
    "GuardedStdout",
    "OutputFile",
    "guard_standard_streams",
    "open_output",
    "output_file",
    "write_output",
]
