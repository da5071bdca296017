"""cfn-init: files with modes, commands in order with tests, config sets, the metadata source."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from instance_fakes import METADATA_PATH, Instance, Reply

from instance_tools import cfn_init


def init(**configs: Any) -> dict[str, Any]:
    return {"AWS::CloudFormation::Init": configs}


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def log_lines(instance: Instance) -> list[str]:
    log = instance.path("/order.log")
    return log.read_text().split() if log.exists() else []


def append(word: str) -> str:
    return f"echo {word} >> order.log"  # commands run in the instance root by default


def test_files_are_written_with_content_and_modes(instance: Instance, capsys):
    config = {
        "files": {
            "/etc/app/app.conf": {"content": "port=80\n", "mode": "000600", "owner": "app"},
            "/etc/app/settings.json": {"content": {"debug": False, "workers": 4}},
            "/usr/local/bin/tool": {
                "content": base64.b64encode(b"#!/bin/sh\necho tool\n").decode(),
                "encoding": "base64",
                "mode": "0755",
            },
        }
    }
    instance.serve_metadata(init(config=config))

    assert cfn_init.main([]) == 0

    conf = instance.path("/etc/app/app.conf")
    assert conf.read_text() == "port=80\n"
    assert mode_of(conf) == 0o600
    settings = instance.path("/etc/app/settings.json")
    assert json.loads(settings.read_text()) == {"debug": False, "workers": 4}
    assert mode_of(settings) == 0o644  # the default
    tool = instance.path("/usr/local/bin/tool")
    assert tool.read_bytes() == b"#!/bin/sh\necho tool\n"
    assert mode_of(tool) == 0o755
    err = capsys.readouterr().err
    assert "file /etc/app/app.conf: owner 'app' ignored" in err
    assert "error" not in err


def test_commands_run_in_name_order_with_test_env_and_cwd(instance: Instance):
    instance.path("/srv/www").mkdir(parents=True)
    commands = {
        "30_env": {
            "command": "echo $GREETING >> order.log",
            "env": {"GREETING": "hello"},
        },
        "10_first": {"command": append("first")},
        "20_skipped": {"command": append("skipped"), "test": "test -e /nonexistent-marker"},
        "25_tested": {"command": append("tested"), "test": ["true"]},
        "40_cwd": {"command": ["sh", "-c", "pwd > where.txt"], "cwd": "/srv/www"},
    }
    instance.serve_metadata(init(config={"commands": commands}))

    assert cfn_init.main([]) == 0

    assert log_lines(instance) == ["first", "tested", "hello"]
    where = instance.path("/srv/www/where.txt").read_text().strip()
    assert Path(where).resolve() == instance.path("/srv/www").resolve()


def test_files_come_before_commands(instance: Instance):
    config = {
        "commands": {"check": {"command": "cp etc/flag copied"}},
        "files": {"/etc/flag": {"content": "set"}},
    }
    instance.serve_metadata(init(config=config))

    assert cfn_init.main([]) == 0

    assert instance.path("/copied").read_text() == "set"


def test_a_failing_command_stops_cfn_init(instance: Instance, capsys):
    commands = {
        "1": {"command": append("one")},
        "2": {"command": "exit 3"},
        "3": {"command": append("three")},
    }
    instance.serve_metadata(init(config={"commands": commands}))

    assert cfn_init.main([]) == 1

    assert log_lines(instance) == ["one"]
    assert "cfn-init: error: command '2' failed with exit code 3" in capsys.readouterr().err


def test_ignore_errors_carries_on(instance: Instance, capsys):
    commands = {
        "1": {"command": "exit 3", "ignoreErrors": "true"},
        "2": {"command": ["/no/such/program"], "ignoreErrors": True},
        "3": {"command": append("three")},
    }
    instance.serve_metadata(init(config={"commands": commands}))

    assert cfn_init.main([]) == 0

    assert log_lines(instance) == ["three"]
    err = capsys.readouterr().err
    assert "command 1 failed with exit code 3 (ignored)" in err
    assert "command 2 failed with exit code 127 (ignored)" in err


def test_config_sets_run_in_order_with_references(instance: Instance):
    metadata = init(
        configSets={"default": [{"ConfigSet": "base"}, "app"], "base": ["one", "two"]},
        one={"commands": {"c": {"command": append("one")}}},
        two={"commands": {"c": {"command": append("two")}}},
        app={"commands": {"c": {"command": append("app")}}},
        config={"commands": {"c": {"command": append("config")}}},
    )
    instance.serve_metadata(metadata)

    assert cfn_init.main([]) == 0
    assert log_lines(instance) == ["one", "two", "app"]

    instance.path("/order.log").unlink()
    assert cfn_init.main(["-c", "base,base"]) == 0
    assert log_lines(instance) == ["one", "two", "one", "two"]


def test_without_config_sets_the_single_config_runs(instance: Instance):
    instance.serve_metadata(init(config={"commands": {"c": {"command": append("config")}}}))

    assert cfn_init.main(["-c", "default"]) == 0

    assert log_lines(instance) == ["config"]


@pytest.mark.parametrize(
    ("metadata", "argv", "words"),
    [
        ({}, [], "the metadata has no AWS::CloudFormation::Init object"),
        (init(other={}), [], "neither a 'default' configSet nor 'config'"),
        (init(config={}), ["-c", "nope"], "unknown configSet 'nope'"),
        (init(configSets={"a": ["missing"]}), ["-c", "a"], "config 'missing' is not in"),
        (
            init(configSets={"a": [{"ConfigSet": "b"}], "b": [{"ConfigSet": "a"}]}),
            ["-c", "a"],
            "configSet 'a' includes itself (a -> b)",
        ),
        (init(config={"files": {"etc/x": {"content": ""}}}), [], "must be absolute"),
        (init(config={"files": {"/x": {"mode": "rw"}}}), [], "mode 'rw' is not an octal"),
        (init(config={"files": {"/x": {}}}), [], "needs 'content' or 'source'"),
        (init(config={"commands": {"c": {"command": 7}}}), [], "must be a string or a list"),
        (init(config={"commands": {"c": {"command": "true", "cwd": "/nope"}}}), [], "not a dir"),
    ],
)
def test_bad_metadata_is_a_clear_error(instance: Instance, capsys, metadata, argv, words):
    instance.serve_metadata(metadata)

    assert cfn_init.main(argv) == 1

    assert words in capsys.readouterr().err


@pytest.mark.parametrize("path", ["/../escaped", "/etc/../../escaped", "/"])
def test_file_paths_cannot_leave_the_instance_root(instance: Instance, capsys, path):
    instance.serve_metadata(init(config={"files": {path: {"content": "x"}}}))

    assert cfn_init.main([]) == 1

    assert "leads outside the instance root" in capsys.readouterr().err
    assert not (instance.root.parent / "escaped").exists()


def test_symbolic_links_cannot_lead_out_either(instance: Instance, tmp_path: Path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, instance.path("/etc/link"))
    instance.serve_metadata(init(config={"files": {"/etc/link/passwd": {"content": "x"}}}))

    assert cfn_init.main([]) == 1

    assert "leads outside the instance root" in capsys.readouterr().err
    assert list(outside.iterdir()) == []


def test_package_sections_are_skipped_with_a_warning(instance: Instance, capsys):
    config = {
        "packages": {"yum": {"httpd": []}},
        "services": {"sysvinit": {"httpd": {"enabled": "true"}}},
        "commands": {"c": {"command": append("ran")}},
    }
    instance.serve_metadata(init(config=config))

    assert cfn_init.main([]) == 0

    err = capsys.readouterr().err
    assert "config config: 'packages' skipped" in err
    assert "config config: 'services' skipped" in err
    assert log_lines(instance) == ["ran"]


def test_file_source_is_downloaded(instance: Instance):
    instance.server.route("GET", "/files/index.html", Reply(200, b"<h1>hi</h1>"))
    url = f"{instance.server.url}/files/index.html"
    instance.serve_metadata(init(config={"files": {"/var/www/index.html": {"source": url}}}))

    assert cfn_init.main([]) == 0

    assert instance.path("/var/www/index.html").read_bytes() == b"<h1>hi</h1>"


def test_unreachable_api_falls_back_to_the_boot_copy(instance: Instance, capsys):
    instance.server.route("GET", METADATA_PATH, Reply(503, {"message": "down"}))
    instance.write_boot_metadata(init(config={"commands": {"c": {"command": append("boot")}}}))

    assert cfn_init.main([]) == 0

    assert log_lines(instance) == ["boot"]
    assert "HTTP 503: down; using the metadata delivered at boot" in capsys.readouterr().err


def test_auth_errors_do_not_fall_back(instance: Instance, capsys):
    instance.server.route("GET", METADATA_PATH, Reply(403, {"message": "bad key"}))
    instance.write_boot_metadata(init(config={"commands": {"c": {"command": append("boot")}}}))

    assert cfn_init.main([]) == 1

    assert log_lines(instance) == []
    assert "rejected our credentials (HTTP 403): bad key" in capsys.readouterr().err


def test_local_uses_only_the_boot_copy(instance: Instance):
    instance.write_boot_metadata(init(config={"commands": {"c": {"command": append("boot")}}}))

    assert cfn_init.main(["--local"]) == 0

    assert log_lines(instance) == ["boot"]
    assert instance.server.requests == []


def test_no_api_and_no_boot_copy_is_an_error(instance: Instance, capsys):
    instance.server.route("GET", METADATA_PATH, Reply(502, b"bad gateway"))

    assert cfn_init.main([]) == 1

    assert "boot metadata" in capsys.readouterr().err


def test_missing_credentials_is_an_error_not_a_fallback(instance: Instance, capsys):
    instance.path("/etc/cfn/cfn-credentials").unlink()
    instance.write_boot_metadata(init(config={}))

    assert cfn_init.main([]) == 1

    assert "cfn-credentials not found" in capsys.readouterr().err


def test_empty_config_set_option_is_a_usage_error(instance: Instance):
    with pytest.raises(SystemExit) as exit_info:
        cfn_init.main(["-c", " , "])

    assert exit_info.value.code == 2
