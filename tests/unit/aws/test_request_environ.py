"""Reading a WSGI environ into an AwsRequest's path and headers (web/aws/request.py)."""

from __future__ import annotations

import pytest

from web.aws.request import headers_from_environ, path_as_sent


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        # gunicorn and uWSGI: the request target as it came, query string dropped.
        ({"RAW_URI": "/a%2Fb?x=1", "PATH_INFO": "/a/b"}, "/a%2Fb"),
        ({"REQUEST_URI": "/v1/%7Euser", "PATH_INFO": "/v1/~user"}, "/v1/%7Euser"),
        # granian: only the decoded PATH_INFO, encoded again as AWS clients encode a path.
        ({"PATH_INFO": "/"}, "/"),
        ({"PATH_INFO": ""}, "/"),
        (
            {"PATH_INFO": "/service/GraniteServiceVersion20100801/operation/PutMetricData"},
            "/service/GraniteServiceVersion20100801/operation/PutMetricData",
        ),
        ({"PATH_INFO": "/stacks/my stack/x:y"}, "/stacks/my%20stack/x%3Ay"),
        ({"PATH_INFO": "/a-b_c.d~e"}, "/a-b_c.d~e"),  # unreserved characters stay as they are
        ({"SCRIPT_NAME": "/watch", "PATH_INFO": "/v1/"}, "/watch/v1/"),
        # PEP 3333: each byte of the path is one latin-1 character ("é" in UTF-8 is 2 bytes).
        ({"PATH_INFO": "/caf\u00c3\u00a9"}, "/caf%C3%A9"),
        # A server that decoded the path as UTF-8 instead gives the same encoding.
        ({"PATH_INFO": "/caf\u00e9\u20ac"}, "/caf%C3%A9%E2%82%AC"),
    ],
)
def test_path_as_sent(environ: dict, expected: str) -> None:
    assert path_as_sent(environ) == expected


def test_headers_from_environ_lowercases_names_and_keeps_content_headers() -> None:
    environ = {
        "HTTP_X_AMZ_TARGET": "GraniteServiceVersion20100801.ListMetrics",
        "HTTP_HOST": "127.0.0.1:8003",
        "CONTENT_TYPE": "application/x-amz-json-1.0",
        "CONTENT_LENGTH": "2",
        "HTTP_CONTENT_LENGTH": "2",  # some servers copy it; counted once
        "PATH_INFO": "/",
    }
    assert dict(headers_from_environ(environ)) == {
        "x-amz-target": "GraniteServiceVersion20100801.ListMetrics",
        "host": "127.0.0.1:8003",
        "content-type": "application/x-amz-json-1.0",
        "content-length": "2",
    }
