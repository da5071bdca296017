"""What a resource plugin is, and what the engine lends it.

Every plugin call returns quickly: `create` starts the work (boots an instance, sends a task)
and `check_create_complete` is polled on later engine steps, so no worker ever waits on an
instance booting or a WaitCondition's timeout (Heat's handle_create/check_create_complete).
Plugins keep their own state in `resource.data` (JSON) and set `resource.physical_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from config.settings import Settings
from models.errors import InvalidInputError
from models.orchestration.compute.driver import ComputeDriver
from models.orchestration.tables import Resource, Stack


class ResourceFailure(Exception):
    """The resource cannot reach its goal (CREATE_FAILED / DELETE_FAILED with this reason)."""


class PropertyError(InvalidInputError):
    """A property that does not fit its type; the message names resource and property."""


class EngineServices(Protocol):
    """Adapters the engine hands to plugins (so plugins stay testable without Celery)."""

    settings: Settings
    compute: ComputeDriver
    now: datetime

    def signal_url(self, stack: Stack, resource_name: str) -> str: ...

    def send_watch_task(self, name: str, args: list[Any]) -> str:
        """Send a task to the watch queue; its id, to poll with `task_outcome`."""
        ...

    def task_outcome(self, task_id: str) -> tuple[bool, Any]:
        """(finished, result or the error text)."""
        ...

    def issue_instance_key(
        self, stack: Stack, resource_name: str, kind: str = "instance"
    ) -> tuple[str, str]:
        """A new access key for one instance (or stack user): (id, secret). The secret goes
        only into that instance's boot data; nothing else stores it in clear."""
        ...

    def secret_of(self, access_key_id: str) -> str | None:
        """The secret of one of this stack's keys, decrypted for a template that asked."""
        ...

    def revoke_instance_keys(self, stack: Stack, resource_names: list[str] | None) -> None:
        """Revoke the keys of those instances (None: every instance of the stack)."""
        ...

    def load_resource(self, stack: Stack, name: str) -> Resource | None:
        """Another (current) resource of the same stack."""
        ...


@dataclass(frozen=True)
class Prop:
    type: str  # String | Number | Integer | Boolean | List | Map | Any
    required: bool = False
    default: Any = None


class ResourcePlugin:
    type_name: ClassVar[str]
    properties_schema: ClassVar[Mapping[str, Prop]] = {}
    attributes: ClassVar[tuple[str, ...]] = ()
    # Properties that can change without replacing the resource.
    update_in_place: ClassVar[frozenset[str]] = frozenset()

    def validate(self, name: str, props: Mapping[str, Any]) -> dict[str, Any]:
        """Check the resolved properties against the schema; defaults filled in."""
        checked: dict[str, Any] = {}
        for key in props:
            if key not in self.properties_schema:
                raise PropertyError(f'Resource "{name}": unknown property "{key}"')
        for key, spec in self.properties_schema.items():
            value = props.get(key, spec.default)
            if value is None:
                if spec.required:
                    raise PropertyError(f'Resource "{name}": property "{key}" is required')
                continue
            checked[key] = _coerce(name, key, spec.type, value)
        return checked

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        """Start creating (quickly); the default has nothing to do."""

    def check_create_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        return True

    def update(
        self, svc: EngineServices, stack: Stack, res: Resource, new_props: dict[str, Any]
    ) -> None:
        """Apply `new_props` in place (only called when every change is in update_in_place)."""
        res.properties = new_props

    def check_update_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        return True

    def delete(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        """Start deleting (quickly)."""

    def check_delete_complete(self, svc: EngineServices, stack: Stack, res: Resource) -> bool:
        return True

    def ref(self, svc: EngineServices, stack: Stack, res: Resource) -> str:
        return res.physical_id or res.name

    def attribute(self, svc: EngineServices, stack: Stack, res: Resource, name: str) -> Any:
        if name not in self.attributes:
            raise InvalidInputError(
                f'Resource "{res.name}" ({self.type_name}) has no attribute "{name}"'
            )
        return (res.data or {}).get("attributes", {}).get(name)

    def signal(
        self, svc: EngineServices, stack: Stack, res: Resource, payload: dict[str, Any]
    ) -> list[str]:
        """Act on a signal; the names of resources the engine must then converge (polling
        their check_update_complete), e.g. the group a scaling policy resized."""
        raise InvalidInputError(f'Resource "{res.name}" ({self.type_name}) takes no signals')


def _coerce(resource: str, key: str, kind: str, value: Any) -> Any:
    def bad() -> PropertyError:
        return PropertyError(
            f'Resource "{resource}": property "{key}": {value!r} is not a valid {kind}'
        )

    if kind == "String":
        if isinstance(value, (bool, dict, list)):
            raise bad()
        return str(value)
    if kind in ("Number", "Integer"):
        try:
            number = float(value) if kind == "Number" else int(str(value))
        except (TypeError, ValueError):
            raise bad() from None
        return number
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise bad()
    if kind == "List":
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            raise bad()
        return value
    if kind == "Map":
        if not isinstance(value, dict):
            raise bad()
        return value
    return value
