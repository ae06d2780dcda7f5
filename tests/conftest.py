"""Shared fixtures: a real SQLite file under tmp_path, a fake clock, a runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchdesk.clock import FakeClock
from watchdesk.config import Config, parse_config
from watchdesk.core.records import Actor
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
from watchdesk.services.runtime import Runtime, open_runtime


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's config or data directories."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.delenv("WATCHDESK_CONFIG", raising=False)
    monkeypatch.delenv("WATCHDESK_DB", raising=False)
    monkeypatch.delenv("WATCHDESK_PIN", raising=False)
    monkeypatch.delenv("WATCHDESK_AS", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    # 02:00 on the first day of Tết 2026, Hanoi time.
    return FakeClock("2026-02-17T02:00:00+07:00")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "watchdesk.db"


@pytest.fixture
def config() -> Config:
    return parse_config({})


@pytest.fixture
def rt(db_path: Path, clock: FakeClock, config: Config) -> Runtime:
    runtime = open_runtime(config, db_path=str(db_path), clock=clock)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def supervisor(rt: Runtime) -> Actor:
    bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh")
    return sign_in(rt, "minh", None)


@pytest.fixture
def staff(rt: Runtime, supervisor: Actor) -> dict[str, Actor]:
    """A small desk: supervisor minh, lead lan, officers hung and thu."""
    add_officer(rt, supervisor, "lan", "Trần Thị Lan", "lead", phone="0912000001", email="lan@example.vn")
    add_officer(rt, supervisor, "hung", "Lê Văn Hùng", "officer", phone="0912000002", email="hung@example.vn")
    add_officer(rt, supervisor, "thu", "Phạm Thị Thu", "officer", phone="0912000003", email="thu@example.vn")
    return {h: sign_in(rt, h, None) for h in ("minh", "lan", "hung", "thu")}
