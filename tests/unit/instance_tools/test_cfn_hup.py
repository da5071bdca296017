"""cfn-hup: hooks fire only on changes at their path; credentials rotate; polls survive errors."""

from __future__ import annotations

import socket
import stat
from typing import Any

import pytest
from instance_fakes import (
    ACCESS_KEY,
    CREDENTIALS_PATH,
    METADATA_PATH,
    STACK_ID,
    STACK_NAME,
    TENANT_ID,
    Instance,
    Reply,
    assert_sigv4,
)

from instance_tools import cfn_hup

INIT_V1 = {"config": {"files": {"/etc/app.conf": {"content": "v1"}}}}
INIT_V2 = {"config": {"files": {"/etc/app.conf": {"content": "v2"}}}}
NO_NEW_KEY = Reply(204)


def configure(instance: Instance, hooks: str, main: str = "interval=1\n") -> None:
    instance.write("/etc/cfn/cfn-hup.conf", f"[main]\nstack={STACK_NAME}\n{main}")
    instance.write("/etc/cfn/hooks.conf", hooks)


def hook(name: str, path: str, triggers: str = "post.update") -> str:
    return f"[{name}]\ntriggers={triggers}\npath={path}\naction=echo {name} >> hits.log\n"


def hits(instance: Instance) -> list[str]:
    log = instance.path("/hits.log")
    return log.read_text().split() if log.exists() else []


def serve(instance: Instance, *metadata: dict[str, Any]) -> None:
    instance.server.route("GET", CREDENTIALS_PATH, NO_NEW_KEY)
    instance.serve_metadata(*metadata)


def test_hook_runs_only_when_its_path_changes(instance: Instance, capsys):
    configure(instance, hook("reload", "Resources.Server.Metadata.AWS::CloudFormation::Init"))
    boot = {"AWS::CloudFormation::Init": INIT_V1, "Other": 1}
    instance.write_boot_metadata(boot)
    serve(
        instance,
        boot,  # as at boot: nothing to do
        {**boot, "Other": 2},  # a change elsewhere: not our hook's business
        {"AWS::CloudFormation::Init": INIT_V2, "Other": 2},  # our path changed
        {"AWS::CloudFormation::Init": INIT_V2, "Other": 3},
    )

    results = [cfn_hup.main(["--once"]) for _ in range(4)]

    assert results == [0, 0, 0, 0]
    assert hits(instance) == ["reload"]
    metadata_requests = instance.server.requests_to(METADATA_PATH)
    assert len(metadata_requests) == 4
    assert_sigv4(metadata_requests[0], "cloudformation")
    assert capsys.readouterr() == ("", "")


def test_add_update_and_remove_triggers(instance: Instance):
    path = "Resources.Server.Metadata.Feature"
    configure(
        instance,
        hook("added", path, "post.add")
        + hook("updated", path, "post.update")
        + hook("removed", path, "post.remove")
        + hook("any", "Resources.Server.Metadata", "post.add,post.update,post.remove"),
    )
    instance.write_boot_metadata({})
    serve(instance, {"Feature": 1}, {"Feature": {"on": True}}, {}, {})

    for _ in range(4):
        assert cfn_hup.main(["--once"]) == 0

    assert hits(instance) == ["added", "any", "updated", "any", "removed", "any"]


def test_without_a_boot_copy_the_first_look_is_the_baseline(instance: Instance):
    path = f"/v1/{TENANT_ID}/stacks/{STACK_NAME}/{STACK_ID}/resources/Database/metadata"
    configure(instance, hook("db", "Resources.Database.Metadata.version"))
    instance.server.route("GET", CREDENTIALS_PATH, NO_NEW_KEY)
    instance.serve_metadata({"version": 1}, {"version": 1}, {"version": 2}, path=path)

    for _ in range(3):
        assert cfn_hup.main(["--once"]) == 0

    assert hits(instance) == ["db"]


def test_credentials_are_rotated_atomically_with_mode_0400(instance: Instance):
    configure(instance, hook("reload", "Resources.Server.Metadata"))
    credentials_file = instance.path("/etc/cfn/cfn-credentials")
    credentials_file.chmod(0o600)
    credentials_file.write_text(
        f"# written by the compute driver\nAWSAccessKeyId={ACCESS_KEY}\nAWSSecretKey=old\n"
    )
    credentials_file.chmod(0o400)
    instance.write_boot_metadata({})
    instance.serve_metadata({})
    new_key = {"AccessKeyId": "AKIDROTATED000002", "SecretAccessKey": "rotated-secret"}
    instance.server.route("GET", CREDENTIALS_PATH, Reply(200, new_key), NO_NEW_KEY)

    assert cfn_hup.main(["--once"]) == 0

    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o400
    assert credentials_file.read_text() == (
        "AWSAccessKeyId=AKIDROTATED000002\n"
        "AWSSecretKey=rotated-secret\n"
        "# written by the compute driver\n"
    )
    assert [p.name for p in credentials_file.parent.iterdir() if p.name.startswith(".")] == []
    rotation, metadata = instance.server.requests
    assert rotation.path == CREDENTIALS_PATH
    assert_sigv4(rotation, "cloudformation", ACCESS_KEY)
    assert_sigv4(metadata, "cloudformation", "AKIDROTATED000002")  # the new key, at once

    assert cfn_hup.main(["--once"]) == 0  # 204: nothing to rotate

    assert_sigv4(instance.server.requests[2], "cloudformation", "AKIDROTATED000002")
    assert "AKIDROTATED000002" in credentials_file.read_text()


def test_a_failed_poll_is_logged_and_the_next_one_catches_up(instance: Instance, capsys):
    configure(instance, hook("reload", "Resources.Server.Metadata.Init"))
    instance.write_boot_metadata({"Init": INIT_V1})
    instance.server.route("GET", CREDENTIALS_PATH, NO_NEW_KEY)
    instance.server.route(
        "GET",
        METADATA_PATH,
        Reply(500, {"message": "engine busy"}),
        Reply(200, {"metadata": {"Init": INIT_V2}}),
    )

    assert cfn_hup.main(["--once"]) == 1
    assert hits(instance) == []
    assert "HTTP 500: engine busy" in capsys.readouterr().err

    assert cfn_hup.main(["--once"]) == 0
    assert hits(instance) == ["reload"]


def test_the_daemon_outlives_failed_polls(instance: Instance, monkeypatch, capsys):
    configure(instance, hook("reload", "Resources.Server.Metadata.Init"), main="interval=7\n")
    instance.write_boot_metadata({"Init": INIT_V1})
    instance.server.route("GET", CREDENTIALS_PATH, NO_NEW_KEY)
    instance.server.route(
        "GET", METADATA_PATH, Reply(503, b"restarting"), Reply(200, {"metadata": {"Init": INIT_V2}})
    )
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt  # how the test stops the daemon

    monkeypatch.setattr(cfn_hup.time, "sleep", fake_sleep)

    assert cfn_hup.main([]) == 0

    assert len(instance.server.requests_to(METADATA_PATH)) == 3
    assert hits(instance) == ["reload"]
    assert all(6 < seconds <= 7 for seconds in sleeps)
    err = capsys.readouterr().err
    assert "cfn-hup: error: metadata of 'Server' in stack 'web': HTTP 503: restarting" in err


def test_a_failed_action_is_reported_and_not_repeated(instance: Instance, capsys):
    configure(
        instance,
        "[broken]\ntriggers=post.update\npath=Resources.Server.Metadata\naction=exit 4\n",
    )
    instance.write_boot_metadata({"v": 1})
    serve(instance, {"v": 2})

    assert cfn_hup.main(["--once"]) == 1
    assert "hook broken: action exited with 4" in capsys.readouterr().err

    assert cfn_hup.main(["--once"]) == 0  # same metadata: the cache moved on


def test_hooks_d_files_and_runas(instance: Instance, capsys):
    configure(instance, "")
    instance.write(
        "/etc/cfn/hooks.d/app.conf",
        hook("app", "Resources.Server.Metadata.app") + "runas=root\n",
    )
    instance.write_boot_metadata({"app": 1})
    serve(instance, {"app": 2})

    assert cfn_hup.main(["--once"]) == 0

    assert hits(instance) == ["app"]
    assert "runas=root ignored" in capsys.readouterr().err


def test_server_down_fails_the_poll_without_a_traceback(instance: Instance, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(
        instance, hook("reload", "Resources.Server.Metadata"), f"url=http://127.0.0.1:{port}\n"
    )

    assert cfn_hup.main(["--once"]) == 1

    err = capsys.readouterr().err
    assert "credential rotation: cannot reach" in err
    assert f"cannot reach http://127.0.0.1:{port}: connection failed" in err
    assert "Traceback" not in err


def test_missing_credentials_fail_the_poll(instance: Instance, capsys):
    configure(instance, hook("reload", "Resources.Server.Metadata"))
    instance.path("/etc/cfn/cfn-credentials").unlink()

    assert cfn_hup.main(["--once"]) == 1

    assert "cfn-credentials not found" in capsys.readouterr().err
    assert instance.server.requests == []


@pytest.mark.parametrize(
    ("main_conf", "hooks", "words"),
    [
        (None, "", "cfn-hup.conf not found"),
        ("[other]\n", "", "has no [main] section"),
        ("[main]\ninterval=soon\n", "", "interval 'soon' must be a number of seconds"),
        ("[main]\n", "[h]\ntriggers=post.update\npath=Resources.S.Metadata\n", "needs action"),
        ("[main]\n", hook("h", "Resources.S.Meta"), "must be Resources.<Name>.Metadata"),
        ("[main]\n", hook("h", "Resources.S.Metadata", "post.change"), "post.change"),
        ("[main]\n", hook("h", "Resources.S.Metadata") * 2, "section 'h' already exists"),
        (
            "[main]\n" + hook("h", "Resources.S.Metadata"),
            hook("h", "Resources.S.Metadata"),
            "hook [h] is defined twice",
        ),
        ("[main]\nstack=stranger\n", "", "stack 'stranger' is not this instance's stack"),
    ],
)
def test_bad_configuration_stops_at_start(instance: Instance, capsys, main_conf, hooks, words):
    if main_conf is not None:
        instance.write("/etc/cfn/cfn-hup.conf", main_conf)
    instance.write("/etc/cfn/hooks.conf", hooks)

    assert cfn_hup.main(["--once"]) == 1

    assert words in capsys.readouterr().err
    assert instance.server.requests == []


def test_config_directory_option(instance: Instance):
    instance.write("/opt/hup/cfn-hup.conf", "[main]\n" + hook("h", "Resources.Server.Metadata"))
    instance.write_boot_metadata({"a": 1})
    serve(instance, {"a": 2})

    assert cfn_hup.main(["-c", "/opt/hup", "--once", "-f"]) == 0

    assert hits(instance) == ["h"]
