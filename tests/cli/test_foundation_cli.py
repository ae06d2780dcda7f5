"""The foundation's commands, as a script or cron job drives them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from watchdesk.cli import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(db_path: Path):
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None):
        return runner.invoke(cli, ["--db", str(db_path), *args], env=env, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def desk(run) -> None:
    assert run("init", "--handle", "minh", "--name", "Nguyễn Văn Minh").exit_code == 0


def test_init_then_officers(run, desk, tmp_path: Path) -> None:
    result = run("officer", "add", "lan", "Trần Thị Lan", "--role", "lead", "--phone", "0912", "--chat", "telegram=42", "--as", "minh")
    assert result.exit_code == 0, result.output
    listed = json.loads(run("officer", "list", "--json").output)
    assert [o["handle"] for o in listed] == ["lan", "minh"]
    lan = listed[0]
    assert lan == {"id": 2, "handle": "lan", "full_name": "Trần Thị Lan", "role": "lead", "phone": "0912", "email": "", "chat_ids": {"telegram": "42"}, "has_pin": True, "active": True,
                   "os_user": "", "pin_failures": 0, "locked_until": None}


def test_refused_action_names_who_may(run, desk) -> None:
    run("officer", "add", "hung", "Lê Văn Hùng", "--as", "minh")
    result = run("officer", "add", "x", "X", "--as", "hung")
    assert result.exit_code == 2
    assert "hung is an officer and may not edit officers; only supervisors may." in result.output


def test_csv_import_is_all_or_nothing(run, desk, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes("\ufeffhandle,name,role,phone,email\nlan,Trần Thị Lan,lead,0912,lan@x.vn\nhung,Lê Văn Hùng,officer,,\n".encode())
    bad = tmp_path / "bad.csv"
    bad.write_text("thu,Phạm Thị Thu,officer\nbinh,Đỗ Văn Bình,captain\n", encoding="utf-8")
    result = run("officer", "import", str(bad), "--as", "minh")
    assert result.exit_code == 2
    assert f"{bad}, line 2: role 'captain' is not allowed; use officer, lead or supervisor." in result.output
    assert [o["handle"] for o in json.loads(run("officer", "list", "--json").output)] == ["minh"]
    assert run("officer", "import", str(good), "--as", "minh").exit_code == 0
    assert {o["handle"] for o in json.loads(run("officer", "list", "--json").output)} == {"minh", "lan", "hung"}


def test_pin_from_environment(run, desk) -> None:
    run("officer", "add", "lan", "Trần Thị Lan", "--role", "supervisor", "--as", "minh")
    changed = run("officer", "pin", "lan", "--as", "lan", input="135790\n135790\n", env={"WATCHDESK_NEW_PIN": None})
    assert changed.exit_code == 0, changed.output
    denied = run("officer", "add", "x", "X Y", "--as", "lan", env={"WATCHDESK_PIN": "000000"})
    assert denied.exit_code == 2 and "wrong PIN for 'lan'." in denied.output
    ok = run("officer", "add", "x", "X Y", "--as", "lan", env={"WATCHDESK_PIN": "135790"})
    assert ok.exit_code == 0, ok.output


def test_log_verify_checkpoint_tail(run, desk, db_path: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "head.json"
    assert run("log", "checkpoint", "-o", str(checkpoint)).exit_code == 0
    verified = run("log", "verify", "--checkpoint", str(checkpoint), "--json")
    assert verified.exit_code == 0 and json.loads(verified.output)["ok"] is True
    tail = json.loads(run("log", "tail", "-n", "2", "--json").output)
    assert [e["kind"] for e in tail] == ["contact.synced", "officer.added"]
    assert set(tail[0]) == {"seq", "at", "actor", "kind", "subject_type", "subject_id", "payload", "hash"}

    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER event_no_update")
    conn.execute("UPDATE event SET body = json_set(body, '$.actor', 'ghost') WHERE seq = 2")
    conn.commit()
    broken = run("log", "verify")
    assert broken.exit_code == 1
    assert broken.output.startswith("audit log BROKEN at seq 2:")


def test_backup_and_db_commands(run, desk, tmp_path: Path) -> None:
    target = tmp_path / "copy.db"
    assert run("backup", str(target)).exit_code == 0
    again = run("backup", str(target))
    assert again.exit_code == 2 and "already exists" in again.output
    assert "the latest; nothing to do" in run("db", "upgrade").output
    info = json.loads(run("db", "info", "--json").output)
    assert info["schema_version"] == info["latest"]


def test_contacts_are_shipped(run) -> None:
    contacts = json.loads(run("contact", "list", "--json").output)
    assert [c["key"] for c in contacts] == ["vncert", "ncsc", "attt-hotline"]
    assert contacts[1]["phone"] == "024.3209.1616" and contacts[1]["hotline"] == "0389.942.878"


def test_bad_config_is_one_sentence(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[desk]\ntimezone = "Hanoi"\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "watchdesk", "--config", str(config), "officer", "list"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == f"watchdesk: {config}: key 'desk.timezone' must be an IANA time zone such as 'Asia/Ho_Chi_Minh' (got 'Hanoi')."
    assert "Traceback" not in out.stderr


def test_version_and_help() -> None:
    out = subprocess.run([sys.executable, "-m", "watchdesk", "--version"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "watchdesk, version" in out.stdout
    runner = CliRunner()
    for group in (["log"], ["officer"], ["db"], ["contact"], ["alert"]):
        assert runner.invoke(cli, [*group, "--help"]).exit_code == 0


def test_a_file_that_is_not_a_database_is_one_sentence(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("lịch trực Tết — this is a text file, not a database " * 20, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "watchdesk", "--db", str(junk), "officer", "list"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == f"watchdesk: {junk}: cannot use this database file (file is not a database); check the path and its permissions."
