"""boto3 CloudWatch clients that speak each wire protocol with botocore's own code.

botocore picks JSON for CloudWatch; nothing in its configuration selects another protocol.
As the reference's test recipe says, a copy of the service model whose "protocols" names only
query (what boto3 <= 1.42.6 sent) or only CBOR, under AWS_DATA_PATH, makes the same client
send that protocol. A fresh botocore Session reads AWS_DATA_PATH when it is created.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import boto3
import botocore
import botocore.session
from botocore.config import Config

PROTOCOLS = ("json", "query", "cbor")
PROTOCOL_NAMES = {"query": "query", "json": "json", "cbor": "smithy-rpc-v2-cbor"}
MODEL = Path(botocore.__file__).parent / "data/cloudwatch/2010-08-01/service-2.json.gz"


def model_dir(base: Path, protocol: str) -> Path | None:
    """A data path whose CloudWatch model speaks only `protocol` (None: botocore's default)."""
    if protocol == "json":
        return None
    root = base / protocol
    target = root / "cloudwatch" / "2010-08-01" / "service-2.json"
    if not target.exists():
        model = json.loads(gzip.decompress(MODEL.read_bytes()))
        model["metadata"]["protocol"] = PROTOCOL_NAMES[protocol]
        model["metadata"]["protocols"] = [PROTOCOL_NAMES[protocol]]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(model))
    return root


def cloudwatch_client(
    endpoint_url: str,
    access_key_id: str,
    secret_access_key: str,
    protocol: str = "json",
    data_root: Path | None = None,
    region: str = "us-east-1",
    *,
    parameter_validation: bool = True,
    session_token: str | None = None,
    **config: object,
):  # type: ignore[no-untyped-def]
    """A client for `protocol`. `parameter_validation=False` turns botocore's client-side
    checks off, so that what reaches the server (and what it answers) is under test;
    `config` goes to botocore's Config as is (e.g. signature_version)."""
    session = botocore.session.Session()
    data_path = model_dir(data_root, protocol) if data_root else None
    if data_path is not None:
        session.set_config_variable("data_path", str(data_path))
    client = boto3.Session(botocore_session=session).client(
        "cloudwatch",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        aws_session_token=session_token,
        config=Config(
            retries={"max_attempts": 1}, parameter_validation=parameter_validation, **config
        ),
    )
    assert client.meta.service_model.resolved_protocol == PROTOCOL_NAMES[protocol], (
        client.meta.service_model.resolved_protocol,
        os.environ.get("AWS_DATA_PATH"),
    )
    return client
