"""Logging, exit codes and error reporting shared by the instance tools.

Decisions:
- Quiet by default: only warnings and errors reach stderr. The tools run from cron, from
  user-data scripts and as daemons, where output on success is noise (`-v` shows the rest).
- Every message is prefixed with the tool's name (`cfn-signal: error: ...`) so a line in a
  cloud-init log says which tool wrote it. Daemons (cfn-hup, cfn-push-stats --period) add a
  timestamp, because their lines are read long after they were written.
- One handler sits on the `instance_tools` logger and looks `sys.stderr` up at each write,
  so calling `main()` twice in a process (tests do) neither doubles lines nor writes to a
  stream that was swapped out. Nothing is configured at import time.
- Exit codes: 0 success, 1 the work failed (network, server, bad files), 2 bad usage
  (argparse's own code, also used for values argparse cannot check, such as a bad URL).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

LOGGER_NAME = "instance_tools"


class ToolError(Exception):
    """A failure to report in one line and turn into exit code 1 (no traceback)."""


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of the write."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        # StreamHandler assigns the stream in __init__ and setStream; we always use the
        # current sys.stderr instead.
        pass


def setup_logging(prog: str, verbose: bool = False, timestamps: bool = False) -> logging.Logger:
    """Configure the `instance_tools` logger for one run of `prog`."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = next((h for h in logger.handlers if isinstance(h, _CurrentStderrHandler)), None)
    if handler is None:
        handler = _CurrentStderrHandler()
        logger.addHandler(handler)
    prefix = "%(asctime)s " if timestamps else ""
    handler.setFormatter(_ToolFormatter(f"{prefix}{prog}: %(levelname)s: %(message)s"))
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    return logger


class _ToolFormatter(logging.Formatter):
    """`cfn-signal: error: ...`: lower-case levels, like argparse's own messages."""

    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)
        record.levelname = record.levelname.lower()
        return super().format(record)
