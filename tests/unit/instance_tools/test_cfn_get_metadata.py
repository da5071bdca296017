"""cfn-get-metadata: signed GET of a resource's metadata, printed as JSON."""

from __future__ import annotations

import json
import socket

import pytest
from instance_fakes import (
    METADATA_PATH,
    STACK_ID,
    STACK_NAME,
    TENANT_ID,
    Instance,
    Reply,
    assert_sigv4,
)

from instance_tools import cfn_get_metadata

METADATA = {
    "AWS::CloudFormation::Init": {"config": {"files": {"/etc/motd": {"content": "hi"}}}},
    "Servers": [{"Name": "a"}, {"Name": "b"}],
    "Port": 8080,
}


def test_prints_the_metadata_from_a_signed_request(instance: Instance, capsys):
    instance.serve_metadata(METADATA)

    assert cfn_get_metadata.main([]) == 0

    out, err = capsys.readouterr()
    assert json.loads(out) == METADATA
    assert err == ""
    [request] = instance.server.requests
    assert (request.method, request.path) == ("GET", METADATA_PATH)
    assert_sigv4(request, "cloudformation")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("AWS::CloudFormation::Init.config.files", {"/etc/motd": {"content": "hi"}}),
        ("Servers.1.Name", "b"),
        ("Port", 8080),
    ],
)
def test_key_prints_one_part_as_json(instance: Instance, capsys, key, value):
    instance.serve_metadata(METADATA)

    assert cfn_get_metadata.main(["-k", key]) == 0

    assert json.loads(capsys.readouterr().out) == value


def test_missing_key_is_an_error(instance: Instance, capsys):
    instance.serve_metadata(METADATA)

    assert cfn_get_metadata.main(["--key", "Servers.7"]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert "cfn-get-metadata: error: key 'Servers.7' not found" in err


def test_local_prints_the_boot_copy_without_network(instance: Instance, capsys):
    instance.write_boot_metadata({"at": "boot"})
    instance.path("/etc/cfn/cfn-credentials").unlink()

    assert cfn_get_metadata.main(["--local"]) == 0

    assert json.loads(capsys.readouterr().out) == {"at": "boot"}
    assert instance.server.requests == []


def test_other_stack_resource_and_explicit_keys(instance: Instance, capsys):
    path = f"/v1/{TENANT_ID}/stacks/other/id-2/resources/Db%20Server/metadata"
    instance.serve_metadata({"db": True}, path=path)
    argv = ["-s", "other/id-2", "-r", "Db Server", "--access-key", "AKIDCLI"]

    assert cfn_get_metadata.main([*argv, "--secret-key", "s3cret"]) == 0

    assert json.loads(capsys.readouterr().out) == {"db": True}
    assert_sigv4(instance.server.requests[0], "cloudformation", "AKIDCLI")


@pytest.mark.parametrize("stack", [STACK_NAME, STACK_ID])
def test_own_stack_by_name_or_id_is_completed(instance: Instance, stack):
    instance.serve_metadata({})

    assert cfn_get_metadata.main(["--stack", stack]) == 0

    assert instance.server.requests[0].path == METADATA_PATH


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "the server rejected our credentials (HTTP 401): signature mismatch"),
        (403, "the server rejected our credentials (HTTP 403)"),
        (404, "not found (HTTP 404)"),
        (500, "HTTP 500"),
    ],
)
def test_server_errors_are_clear(instance: Instance, capsys, status, words):
    instance.server.route("GET", METADATA_PATH, Reply(status, {"message": "signature mismatch"}))

    assert cfn_get_metadata.main([]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("cfn-get-metadata: error: metadata of 'Server' in stack 'web': ")
    assert words in err


def test_answer_without_metadata_is_an_error(instance: Instance, capsys):
    instance.server.route("GET", METADATA_PATH, Reply(200, {"data": {}}))

    assert cfn_get_metadata.main([]) == 1

    assert "the answer has no 'metadata' object" in capsys.readouterr().err


def test_missing_credentials_file(instance: Instance, capsys):
    instance.path("/etc/cfn/cfn-credentials").unlink()

    assert cfn_get_metadata.main([]) == 1

    err = capsys.readouterr().err
    assert f"credentials file {instance.root}/etc/cfn/cfn-credentials not found" in err
    assert instance.server.requests == []


def test_credentials_file_without_keys(instance: Instance, capsys):
    instance.write("/etc/cfn/cfn-credentials", "# rotated soon\nAWSAccessKeyId=AKID\n")

    assert cfn_get_metadata.main([]) == 1

    assert "has no AWSSecretKey" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["-s", "stranger"], "stack 'stranger' is not this instance's stack; give it as NAME/ID"),
        (["-s", "a/"], "bad stack 'a/'"),
        (["--access-key", "AKID"], "--access-key and --secret-key go together"),
        (["-u", "localhost:8004"], "invalid URL 'localhost:8004'"),
        (["-k", "a..b"], "bad key 'a..b'"),
    ],
)
def test_bad_arguments_are_errors(instance: Instance, capsys, argv, words):
    assert cfn_get_metadata.main(argv) == 1

    assert words in capsys.readouterr().err
    assert instance.server.requests == []


def test_server_down(instance: Instance, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    assert cfn_get_metadata.main(["--url", f"http://127.0.0.1:{port}"]) == 1

    assert f"cannot reach http://127.0.0.1:{port}" in capsys.readouterr().err


def test_missing_endpoints_file(instance: Instance, capsys):
    instance.path("/etc/cfn/cfn-endpoints").unlink()

    assert cfn_get_metadata.main([]) == 1

    assert "endpoints file" in capsys.readouterr().err
