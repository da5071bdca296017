"""A stack's template bound to its live resources: what Ref and Fn::GetAtt resolve to.

`LiveStack` implements the template package's ResolveContext over the stack's resource rows
and their plugins, so the engine resolves a resource's properties from the resources it
depends on, and the API resolves outputs, from the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from config.settings import Settings
from models.errors import NotFoundError
from models.orchestration import signing, stacks
from models.orchestration.compute.driver import ComputeDriver, get_driver
from models.orchestration.resources.base import EngineServices
from models.orchestration.resources.registry import PLUGINS, plugin_for
from models.orchestration.tables import Resource, Stack
from models.orchestration.templates import (
    Template,
    TemplateError,
    creation_order,
    dependency_graph,
    evaluate_conditions,
    parse_document,
    pseudo_parameters,
    resolve,
    resolve_metadata,
    resolve_outputs,
    resolve_parameters,
    resolve_properties,
    validate_references,
)
from models.orchestration.templates.model import ParameterValue, ResourceDef


class LiveStack:
    """ResolveContext for one stack and one version of its template."""

    def __init__(
        self,
        session: Session,
        stack: Stack,
        svc: EngineServices,
        document: Mapping[str, Any],
        parameters: Mapping[str, Any],
    ) -> None:
        self.session = session
        self.stack = stack
        self.svc = svc
        self.template: Template = parse_document(dict(document))
        self._given = dict(parameters)
        self._rows: dict[str, Resource] | None = None

    # --- ResolveContext ---

    @cached_property
    def resolved_parameters(self) -> Any:
        return resolve_parameters(self.template, self._given)

    @property
    def parameters(self) -> Mapping[str, ParameterValue]:
        return self.resolved_parameters.values

    @cached_property
    def pseudo_parameters(self) -> Mapping[str, ParameterValue]:
        return pseudo_parameters(
            stack_name=self.stack.name,
            stack_id=stack_arn(self.svc.settings.region, self.stack),
            region=self.svc.settings.region,
            account_id=self.stack.tenant_id,
        )

    @property
    def mappings(self) -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
        return self.template.mappings

    @cached_property
    def conditions(self) -> Mapping[str, bool]:
        return evaluate_conditions(self.template, self)

    def availability_zones(self, region: str) -> Sequence[str]:
        return ["nova"]

    def resource_ref(self, name: str) -> str:
        row = self._row(name)
        if row is None or row.action == "INIT":
            raise TemplateError(f'Resource "{name}" has no physical ID yet')
        return plugin_for(row.type).ref(self.svc, self.stack, row)

    def attribute(self, name: str, attribute: str) -> Any:
        row = self._row(name)
        if row is None or row.action == "INIT":
            raise TemplateError(f'Resource "{name}" does not exist yet')
        return plugin_for(row.type).attribute(self.svc, self.stack, row, attribute)

    # --- What the engine and the API ask ---

    def _row(self, name: str) -> Resource | None:
        return self.svc.load_resource(self.stack, name)

    def active_resources(self) -> dict[str, ResourceDef]:
        """Resources whose Condition (if any) holds."""
        return {
            name: definition
            for name, definition in self.template.resources.items()
            if definition.condition is None or self.conditions.get(definition.condition, False)
        }

    def dependencies(self) -> dict[str, frozenset[str]]:
        return dict(dependency_graph(self.template))

    def creation_order(self) -> list[str]:
        return list(creation_order(self.dependencies()))

    def resolve_properties(self, definition: ResourceDef) -> dict[str, Any]:
        return resolve_properties(definition, self)

    def resolve_metadata(self, definition: ResourceDef) -> dict[str, Any]:
        return resolve_metadata(definition, self)

    def resolve_value(self, value: Any) -> Any:
        return resolve(value, self)

    def outputs(self) -> list[dict[str, Any]]:
        return resolve_outputs(self.template, self)

    def shown_parameters(self, mask: str) -> dict[str, Any]:
        try:
            shown: dict[str, Any] = dict(self.resolved_parameters.for_display())
        except TemplateError:
            shown = {}
        shown.update(
            {
                "AWS::StackName": self.stack.name,
                "AWS::StackId": stack_arn(self.svc.settings.region, self.stack),
                "AWS::Region": self.svc.settings.region,
                "OS::stack_name": self.stack.name,
                "OS::stack_id": self.stack.id,
                "OS::project_id": self.stack.tenant_id,
            }
        )
        return shown


def stack_arn(region: str, stack: Stack) -> str:
    return f"arn:openstack:heat:{region}:{stack.tenant_id}:stacks/{stack.name}/{stack.id}"


# --- Validation before anything is created -------------------------------------------------


def validate_template(template: Template, parameters: Mapping[str, Any] | None) -> None:
    """400-worthy problems: references, unknown resource types, cycles, parameters."""
    for name, definition in template.resources.items():
        plugin_for(definition.type, name)

    def attribute_exists(type_name: str, attribute: str) -> bool:
        plugin = PLUGINS.get(type_name)
        return plugin is None or attribute in plugin.attributes

    validate_references(template, attribute_exists=attribute_exists)
    dependency_graph(template)
    if parameters is not None:
        resolve_parameters(template, parameters)


# --- Services for the API process (no engine queue, nothing to send) -----------------------


@dataclass
class SettingsServices:
    """The part of EngineServices that needs only settings and the stack's session: the
    compute driver, signed URLs, and reading sibling resources. Workers extend it."""

    settings: Settings
    session: Session | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @cached_property
    def compute(self) -> ComputeDriver:
        return get_driver(self.settings.compute_driver, self.settings)

    def signal_url(self, stack: Stack, resource_name: str) -> str:
        return signing.signal_url(
            self.settings.heat_url, self.settings.secret_key, stack.tenant_id, stack.id,
            resource_name,
        )  # fmt: skip

    def load_resource(self, stack: Stack, name: str) -> Resource | None:
        if self.session is None:
            return None
        try:
            return stacks.find_resource(self.session, stack, name)
        except NotFoundError:
            return None


@dataclass
class ReadOnlyServices(SettingsServices):
    """EngineServices for reading a stack outside the engine (outputs, attributes).

    `secret_lookup` decrypts a stack key's secret for `Fn::GetAtt [Key, SecretAccessKey]`
    in an output: the API passes it only when the stack's owner asks (stack show)."""

    secret_lookup: Callable[[str], str | None] | None = None

    def secret_of(self, access_key_id: str) -> str | None:
        return self.secret_lookup(access_key_id) if self.secret_lookup else None

    def send_watch_task(self, name: str, args: list[Any]) -> str:
        raise RuntimeError("the API does not send engine work")

    def task_outcome(self, task_id: str) -> tuple[bool, Any]:
        raise RuntimeError("the API does not poll engine work")

    def issue_instance_key(
        self, stack: Stack, resource_name: str, kind: str = "instance"
    ) -> tuple[str, str]:
        raise RuntimeError("the API issues no keys")

    def revoke_instance_keys(self, stack: Stack, resource_names: list[str] | None) -> None:
        raise RuntimeError("the API revokes no keys")
