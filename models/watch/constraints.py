"""Coral's model-constraint failures (§1.6): one line per broken constraint, and the
ValidationError that lists them, `N validation error(s) detected: line; line`.

Enum, length and range constraints come from the service model; every operation words them
the same way, so the validators build their lines here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from models.errors import ConstraintViolationError


def _failed(value: Any, coral: str, constraint: str) -> str:
    return f"Value '{value}' at '{coral}' failed to satisfy constraint: {constraint}"


def enum_line(value: Any, coral: str, allowed: Iterable[str]) -> str | None:
    """The line for `value` outside `allowed` (None when absent or allowed)."""
    allowed = list(allowed)
    if value is None or value in allowed:
        return None
    return _failed(value, coral, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def length_line(value: Any, coral: str, maximum: int, minimum: int = 0) -> str | None:
    if not isinstance(value, str):
        return None
    if len(value) > maximum:
        return _failed(value, coral, f"Member must have length less than or equal to {maximum}")
    if len(value) < minimum:
        return _failed(value, coral, f"Member must have length greater than or equal to {minimum}")
    return None


def minimum_line(value: Any, coral: str, minimum: int) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value < minimum:
        return _failed(value, coral, f"Member must have value greater than or equal to {minimum}")
    return None


def raise_violations(lines: Sequence[str | None]) -> None:
    """ValidationError listing every line given (None entries are constraints that held)."""
    found = [line for line in lines if line]
    if found:
        noun = "error" if len(found) == 1 else "errors"
        raise ConstraintViolationError(
            f"{len(found)} validation {noun} detected: " + "; ".join(found)
        )
