import io
import json
import logging

import pytest

from config import logging as hw_logging


@pytest.fixture
def stream():
    buffer = io.StringIO()
    hw_logging.configure("INFO", "json", service="test", stream=buffer)
    yield buffer
    hw_logging.configure("INFO", "json", service="test")
    hw_logging.clear()


def last_line(buffer: io.StringIO) -> dict:
    return json.loads(buffer.getvalue().strip().splitlines()[-1])


def test_lines_are_json_with_bound_context(stream) -> None:
    with hw_logging.bound(request_id="r-1", tenant_id="t-1"):
        logging.getLogger("x").info("hello", extra={"status": 200})
    line = last_line(stream)
    assert line["message"] == "hello"
    assert line["request_id"] == "r-1"
    assert line["tenant_id"] == "t-1"
    assert line["status"] == 200
    assert line["service"] == "test"
    assert line["level"] == "INFO"


def test_fields_named_like_secrets_are_masked(stream) -> None:
    logging.getLogger("x").info(
        "oops", extra={"secret_access_key": "SEKRIT", "auth_token": "TOKEN123"}
    )
    assert "SEKRIT" not in stream.getvalue()
    assert "TOKEN123" not in stream.getvalue()
    assert last_line(stream)["secret_access_key"] == "***"
