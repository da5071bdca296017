"""AWS::IAM::User and AWS::IAM::AccessKey: a stack user and its keys.

A stack user is a name inside the stack; its access keys live in the identity store
(principal_kind "stack_user", scoped to the stack like instance keys: PutMetricData, the
stack's metadata, its signals). The secret is stored only encrypted. It is shown only where
a template asks for it with `Fn::GetAtt [Key, SecretAccessKey]` (an output, or a property of
another resource such as UserData), and only to the stack's owner: it is decrypted when read
and never copied into the orchestration store, events or resource attributes.
"""

from __future__ import annotations

from typing import Any

from models.orchestration.resources.base import EngineServices, Prop, ResourcePlugin
from models.orchestration.tables import Resource, Stack


class User(ResourcePlugin):
    type_name = "AWS::IAM::User"
    properties_schema = {
        "Path": Prop("String"),
        "Groups": Prop("List"),
        "LoginProfile": Prop("Map"),
        "Policies": Prop("List"),
        "UserName": Prop("String"),
    }

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        res.physical_id = res.properties.get("UserName") or f"{stack.name}-{res.name}"


class AccessKey(ResourcePlugin):
    type_name = "AWS::IAM::AccessKey"
    properties_schema = {
        "UserName": Prop("String", required=True),
        "Serial": Prop("Integer"),
        "Status": Prop("String", default="Active"),
    }
    attributes = ("UserName", "SecretAccessKey")

    def create(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        key_id, _secret = svc.issue_instance_key(
            stack, f"user:{res.properties['UserName']}", kind="stack_user"
        )
        res.physical_id = key_id  # Ref of an AccessKey is its id, as in CloudFormation

    def delete(self, svc: EngineServices, stack: Stack, res: Resource) -> None:
        svc.revoke_instance_keys(stack, [f"user:{res.properties['UserName']}"])

    def attribute(self, svc: EngineServices, stack: Stack, res: Resource, name: str) -> Any:
        if name == "UserName":
            return res.properties["UserName"]
        if name == "SecretAccessKey":
            return svc.secret_of(res.physical_id or "")
        return super().attribute(svc, stack, res, name)
