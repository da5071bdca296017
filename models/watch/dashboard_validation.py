"""Dashboard names and bodies (cloudwatch-api.md §3.14). Pure: no storage, no clock.

AWS documents the shape of a body but not its validation texts (§6.1). Decisions:

- A body that is not JSON, or JSON that is not an object, is refused with
  `The field DashboardBody must be a valid JSON object`, the text real deployments quote.
  Strict JSON: NaN and Infinity are refused (AWS parses with a JavaScript-family parser), and
  so is nesting too deep for Python's parser, instead of crashing on it.
- Every other problem is collected (not just the first) and refused at once as
  `The dashboard body is invalid, there are N validation errors:` followed by the list as
  JSON, which is the form CloudFormation and Terraform users quote from AWS. The per-item
  texts follow the JSON-schema validator's ("Should be array", "Should have required
  property 'widgets'"), several of which are quoted from AWS too. The count is never
  singularised ("there are 1 validation errors"), as AWS's is not.
- DataPath is a JSON Pointer into the body ("/widgets/0/type"); problems with the body as
  a whole use "/".
- Checked: the top level (`widgets` required and an array; `periodOverride` "auto" or
  "inherit"; `start`/`end` strings); each widget (an object; `type` one of WIDGET_TYPES;
  `properties` an object, required; `x`, `y`, `width`, `height` integers in the grid's
  ranges); and per type the property a widget cannot render without (text: `markdown`;
  alarm: `alarms`; log: `query`; metric: `metrics`, optional because an alarm graph uses
  `annotations.alarms` instead, but when given an array of arrays of strings with an
  optional options object last). The rest of `properties` is open-ended and left alone.
- Warnings (the body is saved and the messages returned): keys AWS does not define at the
  top level or on a widget, which the console ignores, and a widget wider than the grid
  from its `x`, which the console moves. An empty `widgets` array is a valid, empty
  dashboard and gives no warning.
- The body's size is not checked here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from models.errors import InvalidInputError, InvalidParameterError

DASHBOARD_NAME_MAX = 255
WIDGET_TYPES = ("metric", "text", "log", "alarm", "explorer", "custom")
PERIOD_OVERRIDES = ("auto", "inherit")
GRID_COLUMNS = 24
MAX_WIDGET_HEIGHT = 1000

NOT_JSON_OBJECT = "The field DashboardBody must be a valid JSON object"

_NAME = re.compile(r"[A-Za-z0-9_-]+")
_NAME_PREFIX = re.compile(r"[A-Za-z0-9_.-]*")
_BODY_KEYS = frozenset({"widgets", "start", "end", "periodOverride", "variables"})
_WIDGET_KEYS = frozenset({"type", "x", "y", "width", "height", "properties"})
# Per widget type: the property it cannot render without, and the JSON type it must have.
_REQUIRED_PROPERTY: dict[str, tuple[str, type]] = {
    "text": ("markdown", str),
    "alarm": ("alarms", list),
    "log": ("query", str),
}
_TYPE_NAMES = {str: "string", list: "array", dict: "object"}


# --- Names ---------------------------------------------------------------------------------------


def validate_dashboard_name(name: str) -> None:
    """Raise InvalidParameterError unless `name` is 1 to 255 of `[A-Za-z0-9_-]`."""
    if not name:
        raise InvalidParameterError("The parameter DashboardName must not be empty.")
    if not _NAME.fullmatch(name):
        # Recorded from AWS [aws-rec], trailing newline included.
        raise InvalidParameterError(
            "The value for field DashboardName contains invalid characters. "
            "It can only contain alphanumerics, dash (-) and underscore (_).\n"
        )
    if len(name) > DASHBOARD_NAME_MAX:
        raise InvalidParameterError(
            f"The parameter DashboardName must be shorter than {DASHBOARD_NAME_MAX + 1} characters."
        )


def validate_dashboard_name_prefix(prefix: str | None) -> None:
    """ListDashboards' DashboardNamePrefix: absent, or up to 255 of `[A-Za-z0-9_.-]`."""
    if prefix is None:
        return
    if not _NAME_PREFIX.fullmatch(prefix):
        # Worded like the recorded DashboardName message [?]; the prefix also allows ".".
        raise InvalidParameterError(
            "The value for field DashboardNamePrefix contains invalid characters. "
            "It can only contain alphanumerics, dash (-), underscore (_) and period (.).\n"
        )
    if len(prefix) > DASHBOARD_NAME_MAX:
        raise InvalidParameterError(
            f"The parameter DashboardNamePrefix must be shorter than {DASHBOARD_NAME_MAX + 1} "
            "characters."
        )


# --- Bodies --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardValidationMessage:
    data_path: str  # JSON Pointer into the body; "/" for the body as a whole
    message: str


class DashboardBodyError(InvalidInputError):
    """A refused body: AWS's DashboardInvalidInputError (InvalidParameterInput, 400), whose
    `dashboardValidationMessages` member carries `messages`."""

    def __init__(self, message: str, messages: list[DashboardValidationMessage]) -> None:
        super().__init__(message)
        self.messages = messages


def validate_dashboard_body(body: str) -> list[DashboardValidationMessage]:
    """Warnings for a body that can be saved (often none); DashboardBodyError otherwise."""
    document = _load(body)
    checker = _Checker()
    checker.body(document)
    if checker.errors:
        listing = json.dumps(
            [{"dataPath": m.data_path, "message": m.message} for m in checker.errors], indent=2
        )
        raise DashboardBodyError(
            f"The dashboard body is invalid, there are {len(checker.errors)} validation "
            f"errors:\n{listing}",
            checker.errors,
        )
    return checker.warnings


def _load(body: str) -> dict[str, Any]:
    try:
        document = json.loads(body, parse_constant=_refuse_constant)
    except ValueError as error:  # JSONDecodeError, and _refuse_constant's
        raise DashboardBodyError(
            NOT_JSON_OBJECT, [DashboardValidationMessage("/", f"Invalid JSON: {error}")]
        ) from None
    except RecursionError:
        raise DashboardBodyError(
            NOT_JSON_OBJECT, [DashboardValidationMessage("/", "Invalid JSON: nested too deeply")]
        ) from None
    if not isinstance(document, dict):
        raise DashboardBodyError(
            NOT_JSON_OBJECT, [DashboardValidationMessage("/", "Should be object")]
        )
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


class _Checker:
    def __init__(self) -> None:
        self.errors: list[DashboardValidationMessage] = []
        self.warnings: list[DashboardValidationMessage] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(DashboardValidationMessage(path or "/", message))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(DashboardValidationMessage(path or "/", message))

    def body(self, document: dict[str, Any]) -> None:
        self.unknown_keys("", document, _BODY_KEYS)
        if "widgets" not in document:
            self.error("", "Should have required property 'widgets'")
        elif self.typed("/widgets", document["widgets"], list):
            for i, widget in enumerate(document["widgets"]):
                self.widget(f"/widgets/{i}", widget)
        for key in ("start", "end"):
            if key in document:
                self.typed(f"/{key}", document[key], str)
        if "periodOverride" in document:
            self.one_of("/periodOverride", document["periodOverride"], PERIOD_OVERRIDES)

    def widget(self, path: str, widget: Any) -> None:
        if not self.typed(path, widget, dict):
            return
        self.unknown_keys(path, widget, _WIDGET_KEYS)
        kind = widget.get("type")
        if "type" not in widget:
            self.error(path, "Should have required property 'type'")
        elif self.typed(f"{path}/type", kind, str):
            self.one_of(f"{path}/type", kind, WIDGET_TYPES)
        self.geometry(path, widget)
        if "properties" not in widget:
            self.error(path, "Should have required property 'properties'")
        elif self.typed(f"{path}/properties", widget["properties"], dict):
            self.properties(f"{path}/properties", kind, widget["properties"])

    def geometry(self, path: str, widget: dict[str, Any]) -> None:
        bounds = {
            "x": (0, GRID_COLUMNS - 1),
            "y": (0, None),
            "width": (1, GRID_COLUMNS),
            "height": (1, MAX_WIDGET_HEIGHT),
        }
        for key, (low, high) in bounds.items():
            if key not in widget:
                continue
            value = widget[key]
            if not _is_integer(value):
                self.error(f"{path}/{key}", "Should be integer")
            elif value < low:
                self.error(f"{path}/{key}", f"Should be >= {low}")
            elif high is not None and value > high:
                self.error(f"{path}/{key}", f"Should be <= {high}")
        # Without x the console places the widget itself; width defaults to 6 columns.
        x, width = widget.get("x"), widget.get("width", 6)
        in_range = _is_integer(x) and _is_integer(width) and x >= 0 and width >= 1
        if in_range and width <= GRID_COLUMNS and x + width > GRID_COLUMNS:
            # The console keeps the widget but moves it; the body is still valid.
            self.warn(f"{path}/x", f"The widget does not fit the {GRID_COLUMNS}-column grid")

    def properties(self, path: str, kind: Any, properties: dict[str, Any]) -> None:
        if kind in _REQUIRED_PROPERTY:
            key, expected = _REQUIRED_PROPERTY[kind]
            if key not in properties:
                self.error(path, f"Should have required property '{key}'")
            else:
                self.typed(f"{path}/{key}", properties[key], expected)
        elif kind == "metric" and "metrics" in properties:
            self.metrics(f"{path}/metrics", properties["metrics"])

    def metrics(self, path: str, metrics: Any) -> None:
        if not self.typed(path, metrics, list):
            return
        for i, row in enumerate(metrics):
            row_path = f"{path}/{i}"
            if not self.typed(row_path, row, list):
                continue
            if not row:
                self.error(row_path, "Should NOT have fewer than 1 items")
            # [namespace, name, dim, value, ..., {options}] or [{"expression": ...}]: strings,
            # and an options object only in the last place.
            for j, item in enumerate(row):
                if isinstance(item, dict) and j == len(row) - 1:
                    continue
                if not isinstance(item, str):
                    self.error(
                        f"{row_path}/{j}",
                        'Invalid metric field type, only "String" type is allowed',
                    )

    def typed(self, path: str, value: Any, expected: type) -> bool:
        if isinstance(value, expected):
            return True
        self.error(path, f"Should be {_TYPE_NAMES[expected]}")
        return False

    def one_of(self, path: str, value: Any, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            self.error(path, f"Should be equal to one of the allowed values: {', '.join(allowed)}")

    def unknown_keys(self, path: str, mapping: dict[str, Any], known: frozenset[str]) -> None:
        for key in mapping:
            if key not in known:
                self.warn(f"{path}/{_pointer_token(key)}", "Unknown property, ignored")


def _is_integer(value: Any) -> bool:
    # JSON has one number type: 6.0 is the integer 6. bool is an int subclass in Python only.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _pointer_token(key: str) -> str:
    # RFC 6901: "~" and "/" inside a key are escaped so the path stays unambiguous.
    return key.replace("~", "~0").replace("/", "~1")
