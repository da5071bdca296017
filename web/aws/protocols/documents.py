"""Shape-driven conversion between decoded JSON/CBOR documents and typed Python values.

awsJson1_0 and rpcv2Cbor carry the same tree of maps, arrays and scalars; they differ only
in how timestamps and blobs travel (and in CBOR's extra "absent" values). So one walker
serves both, and each codec passes the few leaf conversions that are its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from math import isfinite
from typing import Any

from botocore.model import Shape

from web.aws.protocols.common import NON_FINITE_WORDS, invalid


def _is_null(value: object) -> bool:
    return value is None


@dataclass(frozen=True)
class DocumentReader:
    """Turns a decoded request document into params typed per the input shape.

    Two walkers with the same rules. The fast one runs functions compiled once per shape
    and tracks no paths (building `MetricData.member.713.Dimensions.member.1.Value` for
    every value cost a third of a 1000-datum PutMetricData). When it meets anything it
    refuses, the request is read again by the path-tracking walker below, whose error
    names the member: errors are rare, and that walker is the one that decides them.
    """

    # (value, query-style path) -> tz-aware UTC datetime; raises InvalidParameterValue.
    timestamp: Callable[[Any, str], datetime]
    blob: Callable[[Any, str], bytes]
    # Values that mean "member not sent" (JSON null; CBOR null and undefined).
    is_absent: Callable[[object], bool] = field(default=_is_null)
    _compiled: dict[str, Callable[[Any], Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def read_document(self, shape: Shape, document: dict) -> dict[str, Any]:
        """The params of a whole request document (the codecs' entry point)."""
        try:
            return self._reader(shape)(document)  # type: ignore[no-any-return]
        except Exception:
            # Whatever the fast walker refused (a wrong type, a bad timestamp), the
            # path-tracking walker reads again: it decides the error and words it.
            return self.read_members(shape, document)

    def _reader(self, shape: Shape) -> Callable[[Any], Any]:
        found = self._compiled.get(shape.name)
        if found is None:
            found = self._compile(shape)
        return found

    def _compile(self, shape: Shape) -> Callable[[Any], Any]:
        kind = shape.type_name
        is_absent = self.is_absent
        if kind == "structure":
            # wire name -> (member name, reader). The walk goes over the members the
            # document holds, not every member the shape has: a datum sends 4-5 of 9.
            by_wire: dict[str, tuple[str, Callable[[Any], Any]]] = {}

            def read_structure(value: Any) -> dict[str, Any]:
                if not isinstance(value, dict):
                    raise _Refused
                params = {}
                for wire_name, item in value.items():
                    found = by_wire.get(wire_name)
                    # Names the shape does not know are ignored, as botocore's parsers do.
                    if found is not None and not is_absent(item):
                        params[found[0]] = found[1](item)
                return params

            self._compiled[shape.name] = read_structure  # before members: recursion ends
            by_wire.update(
                (member.serialization.get("name", name), (name, self._reader(member)))
                for name, member in shape.members.items()
            )
            return read_structure
        if kind == "list":
            member = self._reader(shape.member)
            if member is _fast_double:

                def reader(value: Any) -> Any:
                    # Values/Counts: up to 150 numbers a datum, 150,000 a request. A list of
                    # plain ints and floats converts in one C-level pass; anything else
                    # (bools, "NaN" words) goes through the per-item rule.
                    if not isinstance(value, list):
                        raise _Refused
                    if set(map(type, value)) <= _PLAIN_NUMBER_TYPES:
                        return list(map(float, value))
                    return [member(item) for item in value]

            else:

                def reader(value: Any) -> Any:
                    if not isinstance(value, list):
                        raise _Refused
                    return [member(item) for item in value]

        elif kind == "map":
            key, item = self._reader(shape.key), self._reader(shape.value)

            def reader(value: Any) -> Any:
                if not isinstance(value, dict):
                    raise _Refused
                return {key(k): item(v) for k, v in value.items()}

        elif kind in _FAST_SCALARS:
            reader = _FAST_SCALARS[kind]
        elif kind == "timestamp":
            timestamp = self.timestamp
            reader = lambda value: timestamp(value, "")  # noqa: E731
        elif kind == "blob":
            blob = self.blob
            reader = lambda value: blob(value, "")  # noqa: E731
        else:
            reader = _as_is  # no other types occur in CloudWatch input shapes
        self._compiled[shape.name] = reader
        return reader

    def read(self, shape: Shape, value: Any, path: str) -> Any:
        reader = getattr(self, f"_read_{shape.type_name}", None)
        if reader is None:
            # No other types occur in CloudWatch input shapes; pass through untouched.
            return value
        return reader(shape, value, path)

    def read_members(self, shape: Shape, document: dict, prefix: str = "") -> dict[str, Any]:
        params: dict[str, Any] = {}
        for name, member in shape.members.items():
            value = document.get(member.serialization.get("name", name))
            if not self.is_absent(value):
                params[name] = self.read(member, value, f"{prefix}{name}")
        return params

    def _read_structure(self, shape: Shape, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise invalid(value, path, "structure")
        return self.read_members(shape, value, f"{path}.")

    def _read_list(self, shape: Shape, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise invalid(value, path, "list")
        return [
            self.read(shape.member, item, f"{path}.member.{n}") for n, item in enumerate(value, 1)
        ]

    def _read_map(self, shape: Shape, value: Any, path: str) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise invalid(value, path, "map")
        return {
            self.read(shape.key, key, f"{path}.entry.{n}.key"): self.read(
                shape.value, item, f"{path}.entry.{n}.value"
            )
            for n, (key, item) in enumerate(value.items(), 1)
        }

    def _read_string(self, shape: Shape, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise invalid(value, path, "string")
        return value

    def _read_boolean(self, shape: Shape, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise invalid(value, path, "boolean")
        return value

    def _read_integer(self, shape: Shape, value: Any, path: str) -> int:
        # bool is an int subclass in Python but never a number on the wire.
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise invalid(value, path, "integer")

    _read_long = _read_integer

    def _read_double(self, shape: Shape, value: Any, path: str) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and value in NON_FINITE_WORDS:
            return NON_FINITE_WORDS[value]
        raise invalid(value, path, "number")

    _read_float = _read_double

    def _read_timestamp(self, shape: Shape, value: Any, path: str) -> datetime:
        return self.timestamp(value, path)

    def _read_blob(self, shape: Shape, value: Any, path: str) -> bytes:
        return self.blob(value, path)


class _Refused(Exception):
    """The fast reader met a value of the wrong type: read again, tracking paths."""


def _as_is(value: Any) -> Any:
    return value


def _fast_string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Refused
    return value


def _fast_boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Refused
    return value


def _fast_integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _Refused


def _fast_double(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value in NON_FINITE_WORDS:
        return NON_FINITE_WORDS[value]
    raise _Refused


# Exactly these types (bool is an int subclass, and is refused as a number).
_PLAIN_NUMBER_TYPES = frozenset({int, float})

# The same rules as DocumentReader's _read_<type> methods, without the path.
_FAST_SCALARS: dict[str, Callable[[Any], Any]] = {
    "string": _fast_string,
    "boolean": _fast_boolean,
    "integer": _fast_integer,
    "long": _fast_integer,
    "double": _fast_double,
    "float": _fast_double,
}


@dataclass(frozen=True)
class DocumentWriter:
    """Turns a handler's result into a JSON/CBOR-encodable document per the output shape.

    Each shape is compiled once into a function (cached per writer): a response of 1,440
    datapoints runs those functions instead of dispatching on the shape's type for every
    value, which took a third of GetMetricStatistics' time."""

    timestamp: Callable[[datetime | float], Any]  # a datetime (naive means UTC) or epoch seconds
    blob: Callable[[bytes], Any]
    double: Callable[[float], Any]
    _compiled: dict[str, Callable[[Any], Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def write(self, shape: Shape, value: Any) -> Any:
        return self._writer(shape)(value)

    def write_members(self, shape: Shape, value: dict[str, Any]) -> dict[str, Any]:
        # Keys the shape does not know are left out: handlers may return richer records.
        return self._writer(shape)(value)  # type: ignore[no-any-return]

    def _writer(self, shape: Shape) -> Callable[[Any], Any]:
        # Keyed by the shape's name, unique in a service model: a member reference's own
        # settings (its wire name) belong to the structure that holds it, not to its writer.
        found = self._compiled.get(shape.name)
        if found is None:
            found = self._compile(shape)
        return found

    def _compile(self, shape: Shape) -> Callable[[Any], Any]:
        kind = shape.type_name
        if kind == "structure":
            # member name -> (wire name, writer); the walk goes over the result's keys.
            fields: dict[str, tuple[str, Callable[[Any], Any]]] = {}

            def write_structure(value: dict[str, Any]) -> dict[str, Any]:
                document = {}
                for name, item in value.items():
                    found = fields.get(name)
                    if found is not None and item is not None:
                        document[found[0]] = found[1](item)
                return document

            # Cached before its members are compiled, so a shape that contains itself ends.
            self._compiled[shape.name] = write_structure
            fields.update(
                (name, (member.serialization.get("name", name), self._writer(member)))
                for name, member in shape.members.items()
            )
            return write_structure
        if kind == "list":
            member = self._writer(shape.member)
            writer: Callable[[Any], Any] = lambda value: [member(item) for item in value]  # noqa: E731
        elif kind == "map":
            key, item = self._writer(shape.key), self._writer(shape.value)
            writer = lambda value: {key(k): item(v) for k, v in value.items()}  # noqa: E731
        elif kind in ("double", "float"):
            double = self.double

            def writer(value: Any) -> Any:
                # A finite float, nearly every value, is what every codec writes unchanged;
                # only the others (ints, NaN, infinities) need the codec's rule.
                if type(value) is float and isfinite(value):
                    return value
                return double(float(value))

        elif kind in ("integer", "long"):
            writer = int
        elif kind == "boolean":
            writer = bool
        elif kind == "timestamp":
            writer = self.timestamp  # each codec's own takes datetimes and epoch seconds
        elif kind == "blob":
            blob = self.blob
            writer = lambda value: blob(bytes(value))  # noqa: E731
        else:
            writer = str
        self._compiled[shape.name] = writer
        return writer
