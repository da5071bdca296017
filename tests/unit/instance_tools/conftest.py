"""Fixtures for the instance tools: a fake stack/watch server and an instance root using it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from instance_fakes import (
    RESOURCE,
    STACK_ID,
    STACK_NAME,
    TENANT_ID,
    FakeServer,
    Instance,
)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def instance(tmp_path: Path, server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> Instance:
    root = tmp_path / "instance"
    root.mkdir()
    monkeypatch.setenv("HEATWATCH_INSTANCE_ROOT", str(root))
    # botocore must not pick up anything of the developer's own AWS setup.
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    made = Instance(root, server)
    made.write_credentials()
    endpoints = {
        "heat_url": server.url,
        "watch_url": server.url,
        "region": "us-east-1",
        "stack_id": STACK_ID,
        "stack_name": STACK_NAME,
        "tenant_id": TENANT_ID,
        "resource_name": RESOURCE,
    }
    made.write("/etc/cfn/cfn-endpoints", json.dumps(endpoints))
    return made
