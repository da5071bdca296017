"""The shared instance files module: the instance root, credentials and endpoints files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from instance_tools import _instance
from instance_tools._cli import ToolError
from instance_tools._metadata import MISSING, lookup


def test_absolute_paths_move_under_the_instance_root(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(_instance.ROOT_ENV, str(tmp_path))
    assert _instance.on_instance("/etc/cfn/x") == tmp_path / "etc/cfn/x"
    assert _instance.on_instance("relative/x") == Path("relative/x")

    monkeypatch.delenv(_instance.ROOT_ENV)
    assert _instance.on_instance("/etc/cfn/x") == Path("/etc/cfn/x")


def test_confine_resolves_dots(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(_instance.ROOT_ENV, str(tmp_path))
    assert _instance.confine("/a/../b") == tmp_path.resolve() / "b"
    with pytest.raises(ToolError, match="outside the instance root"):
        _instance.confine("/a/../../b")


def test_credentials_file_format(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(_instance.ROOT_ENV, str(tmp_path))
    location = tmp_path / "etc/cfn/cfn-credentials"
    location.parent.mkdir(parents=True)
    location.write_text("# comment\n\n AWSAccessKeyId = AKID \nAWSSecretKey=a=b\n")

    credentials = _instance.read_credentials()

    assert credentials == _instance.Credentials("AKID", "a=b")
    assert "a=b" not in repr(credentials)  # the secret stays out of logs


def test_write_credentials_creates_the_file_with_mode_0400(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(_instance.ROOT_ENV, str(tmp_path))

    written = _instance.write_credentials("/etc/cfn/new", _instance.Credentials("AK", "SK"))

    assert written == tmp_path / "etc/cfn/new"
    assert written.read_text() == "AWSAccessKeyId=AK\nAWSSecretKey=SK\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o400


def test_endpoints_must_be_a_json_object(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(_instance.ROOT_ENV, str(tmp_path))
    location = tmp_path / "etc/cfn/cfn-endpoints"
    location.parent.mkdir(parents=True)
    location.write_text("[1]")
    with pytest.raises(ToolError, match="must hold a JSON object"):
        _instance.read_endpoints()

    location.write_text("{not json")
    with pytest.raises(ToolError, match="is not valid JSON"):
        _instance.read_endpoints()

    location.write_text('{"region": "r1", "heat_url": ""}')
    endpoints = _instance.read_endpoints()
    assert endpoints.require("region") == "r1"
    with pytest.raises(ToolError, match="has no 'heat_url'"):
        endpoints.require("heat_url")


def test_lookup_tells_missing_from_null():
    data = {"a": {"b": None, "c": [10, 20]}}
    assert lookup(data, ["a", "b"]) is None
    assert lookup(data, ["a", "x"]) is MISSING
    assert lookup(data, ["a", "c", "1"]) == 20
    assert lookup(data, ["a", "c", "2"]) is MISSING
    assert lookup(data, []) == data
