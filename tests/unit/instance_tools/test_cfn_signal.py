"""cfn-signal against a real local HTTP server standing in for a wait condition handle."""

from __future__ import annotations

import socket

import pytest
from instance_fakes import RESOURCE, FakeServer, Instance, Reply

from instance_tools import cfn_signal

HANDLE = "/v1/waitcondition/handle-1?Signature=abc"


def handle_url(server: FakeServer) -> str:
    return f"{server.url}{HANDLE}"


def test_success_puts_the_heat_cfntools_body_without_credentials(instance: Instance, capsys):
    instance.server.route("PUT", HANDLE, Reply(200, {}))

    assert cfn_signal.main([handle_url(instance.server)]) == 0

    [request] = instance.server.requests
    assert request.method == "PUT"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers  # the URL is pre-signed
    assert request.json() == {
        "Status": "SUCCESS",
        "Reason": "Configuration Complete",
        "UniqueId": RESOURCE,
        "Data": "Application has completed configuration.",
    }
    assert capsys.readouterr() == ("", "")  # quiet on success


def test_options_set_status_reason_id_and_data(instance: Instance):
    instance.server.route("PUT", HANDLE, Reply(200, {}))
    argv = ["-s", "FALSE", "-r", "disk full", "-i", "node-7", "-d", '{"a": 1}']

    assert cfn_signal.main([*argv, handle_url(instance.server)]) == 0

    assert instance.server.requests[0].json() == {
        "Status": "FAILURE",
        "Reason": "disk full",
        "UniqueId": "node-7",
        "Data": '{"a": 1}',
    }


@pytest.mark.parametrize(
    ("argv", "status", "reason"),
    [
        (["-e", "3"], "FAILURE", "Configuration failed with exit code 3"),
        (["-e", "3", "-r", "yum failed"], "FAILURE", "yum failed (exit code 3)"),
        (["--exit-code", "0", "-s", "false"], "SUCCESS", "Configuration Complete"),
        (["-s", "false"], "FAILURE", "Configuration failed"),
        (["--exit", "2"], "FAILURE", "Configuration failed with exit code 2"),
    ],
)
def test_exit_code_wins_over_success_and_is_quoted_in_the_reason(
    instance: Instance, argv, status, reason
):
    instance.server.route("PUT", HANDLE, Reply(200, {}))

    assert cfn_signal.main([*argv, handle_url(instance.server)]) == 0

    body = instance.server.requests[0].json()
    assert (body["Status"], body["Reason"]) == (status, reason)


def test_transient_failures_are_retried_until_success(instance: Instance, capsys):
    instance.server.route(
        "PUT",
        HANDLE,
        Reply(503, {"message": "starting"}),
        Reply(503, {"message": "starting"}),
        Reply(200, {}),
    )

    argv = ["--retry-delay", "0", handle_url(instance.server)]
    assert cfn_signal.main(argv) == 0

    assert len(instance.server.requests) == 3
    bodies = {request.body for request in instance.server.requests}
    assert len(bodies) == 1  # the same signal each time
    err = capsys.readouterr().err
    assert err.count("retry") == 2
    assert "HTTP 503: starting" in err


def test_too_many_requests_is_retried(instance: Instance):
    instance.server.route("PUT", HANDLE, Reply(429, b"slow down", {"Retry-After": "0"}), Reply(204))

    assert cfn_signal.main(["--retry-delay", "0", handle_url(instance.server)]) == 0
    assert len(instance.server.requests) == 2


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (400, "HTTP 400: bad Status"),
        (403, "rejected our credentials (HTTP 403)"),
        (404, "not found (HTTP 404)"),
    ],
)
def test_client_errors_are_not_retried(instance: Instance, capsys, status, words):
    instance.server.route("PUT", HANDLE, Reply(status, {"message": "bad Status"}))

    assert cfn_signal.main(["--retry-delay", "0", handle_url(instance.server)]) == 1

    assert len(instance.server.requests) == 1
    err = capsys.readouterr().err
    assert err.startswith("cfn-signal: error: signal: ")
    assert words in err


def test_gives_up_after_the_retries(instance: Instance, capsys):
    instance.server.route("PUT", HANDLE, Reply(500, b"boom"))

    argv = ["--retries", "2", "--retry-delay", "0", handle_url(instance.server)]
    assert cfn_signal.main(argv) == 1

    assert len(instance.server.requests) == 3
    assert "cfn-signal: error: signal: HTTP 500: boom" in capsys.readouterr().err


def test_server_down_is_a_clear_error(instance: Instance, capsys):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    argv = ["--retries", "1", "--retry-delay", "0", f"http://127.0.0.1:{port}/handle"]
    assert cfn_signal.main(argv) == 1

    err = capsys.readouterr().err
    assert f"cannot reach http://127.0.0.1:{port}: connection failed" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["not-a-url"], "invalid URL 'not-a-url'"),
        (["ftp://example.com/handle"], "invalid URL"),
        (["http://host:port/handle"], "bad port"),
        (["-s", "maybe", "http://127.0.0.1/h"], "expected true or false"),
        (["-e", "x", "http://127.0.0.1/h"], "expected an integer"),
        (["--retries", "-1", "http://127.0.0.1/h"], "expected a number >= 0"),
        ([], "the following arguments are required: url"),
    ],
)
def test_bad_usage_exits_2_with_a_message(instance: Instance, capsys, argv, words):
    with pytest.raises(SystemExit) as exit_info:
        cfn_signal.main(argv)

    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err
    assert instance.server.requests == []


def test_unique_id_falls_back_to_the_hostname_without_endpoints(instance: Instance):
    instance.path("/etc/cfn/cfn-endpoints").unlink()
    instance.server.route("PUT", HANDLE, Reply(200, {}))

    assert cfn_signal.main([handle_url(instance.server)]) == 0

    assert instance.server.requests[0].json()["UniqueId"] == socket.gethostname()
