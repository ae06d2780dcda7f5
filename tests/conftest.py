"""Shared fixtures: a real SQLite file under tmp_path (or a fresh PostgreSQL database), a fake clock, a runtime."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from watchdesk import i18n
from watchdesk.clock import FakeClock
from watchdesk.config import Config, parse_config
from watchdesk.core.records import Actor
from watchdesk.services.officers import add_officer, bootstrap_supervisor, sign_in
from watchdesk.services.runtime import Runtime, open_runtime
from tests.support.postgres import Cluster, start_cluster, unavailable_reason

TEST_PIN = "246810"
"""The PIN of the fixtures' leads and supervisors, and of CLI runs ($WATCHDESK_PIN, $WATCHDESK_NEW_PIN)."""


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's config or data directories."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.delenv("WATCHDESK_CONFIG", raising=False)
    monkeypatch.delenv("WATCHDESK_DB", raising=False)
    monkeypatch.delenv("WATCHDESK_AS", raising=False)
    # CLI runs act like a script with its PINs in the environment; identity tests unset them.
    monkeypatch.setenv("WATCHDESK_PIN", TEST_PIN)
    monkeypatch.setenv("WATCHDESK_NEW_PIN", TEST_PIN)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Every test starts in English whatever ran before it in this process (a CLI run with
    `language = "vi"` switches the process's language; files share worker processes)."""
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture(autouse=True)
def _quick_pin_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its smallest in this process (PINs are checked the same way, only faster)."""
    monkeypatch.setattr("watchdesk.services.officers._HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


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


# Every test that takes `rt` (or `backend`) runs twice in the plain `pytest` run: on a SQLite file
# and on PostgreSQL, except a `sqlite_only` one (about SQLite's file). `--backend postgresql` runs
# them on PostgreSQL alone.
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames or metafunc.config.getoption("--backend") == "postgresql":
        return
    if metafunc.definition.get_closest_marker("sqlite_only") is None:
        metafunc.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database behind `rt`: the parameter of the plain run, else the --backend option (a
    `sqlite_only` test stays on SQLite whatever --backend says)."""
    if request.node.get_closest_marker("sqlite_only") is not None:
        return "sqlite"
    return str(getattr(request, "param", request.config.getoption("--backend")))


@pytest.fixture
def rt(request: pytest.FixtureRequest, backend: str, db_path: Path, clock: FakeClock, config: Config) -> Iterator[Runtime]:
    if backend == "postgresql":
        url = request.getfixturevalue("pg_database")
        config = config.model_copy(update={"database": config.database.model_copy(update={"url": url})})
        runtime = open_runtime(config, clock=clock)
    else:
        runtime = open_runtime(config, db_path=str(db_path), clock=clock)
    yield runtime
    runtime.db.dispose()


def target_of(rt: Runtime) -> str:
    """What `--db` / `WATCHDESK_DB` / a worker process is given to reach `rt`'s database: its file or its URL."""
    return str(rt.db.path) if rt.db.is_sqlite else rt.db.url


@pytest.fixture
def db_target(rt: Runtime) -> str:
    return target_of(rt)


# -- PostgreSQL ------------------------------------------------------------------------------

_CLUSTER = pytest.StashKey[Cluster]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend", choices=("sqlite", "postgresql"), default="sqlite",
        help="the database behind the `rt` fixture (default sqlite; postgresql: a fresh database per test "
        "in the throwaway cluster). `db_url` tests run on both whatever this says.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs against the throwaway PostgreSQL cluster")
    config.addinivalue_line("markers", "sqlite_only: about SQLite's file (WAL, backup API, PRAGMAs, integrity_check, "
                            "the checkpoint file, rt.db.path), or not on PostgreSQL yet (said where marked); `rt` stays on SQLite")


@pytest.fixture(scope="session")
def pg_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """A throwaway cluster for the whole session (tests/support/postgres.py), removed at the end.

    Without PostgreSQL's binaries its tests are skipped, saying why; in CI (CI=true) they fail
    instead: CI must not pass by silently leaving the second backend out."""
    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    cluster = start_cluster()
    request.config.stash[_CLUSTER] = cluster
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_database(pg_cluster: Cluster) -> Iterator[str]:
    """The URL of a fresh, empty database in the cluster (owned by its superuser), dropped after the test."""
    name = pg_cluster.create_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The test runs twice: on a SQLite file under tmp_path and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watchdesk.db'}"
    return str(request.getfixturevalue("pg_database"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    cluster = config.stash.get(_CLUSTER, None)
    if cluster is not None:
        terminalreporter.write_line(
            f"PostgreSQL test cluster ({cluster.bindir}): started in {cluster.started_in:.2f} s, "
            f"stopped and removed in {cluster.stopped_in:.2f} s"
        )


@pytest.fixture
def supervisor(rt: Runtime) -> Actor:
    bootstrap_supervisor(rt, "minh", "Nguyễn Văn Minh", TEST_PIN)
    return sign_in(rt, "minh", TEST_PIN)


@pytest.fixture
def staff(rt: Runtime, supervisor: Actor) -> dict[str, Actor]:
    """A small desk: supervisor minh, lead lan, officers hung and thu."""
    add_officer(rt, supervisor, "lan", "Trần Thị Lan", "lead", phone="0912000001", email="lan@example.vn", pin=TEST_PIN)
    add_officer(rt, supervisor, "hung", "Lê Văn Hùng", "officer", phone="0912000002", email="hung@example.vn")
    add_officer(rt, supervisor, "thu", "Phạm Thị Thu", "officer", phone="0912000003", email="thu@example.vn")
    return {h: sign_in(rt, h, TEST_PIN) for h in ("minh", "lan", "hung", "thu")}
