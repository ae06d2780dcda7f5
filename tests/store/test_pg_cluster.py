"""The throwaway PostgreSQL cluster the tests start (tests/support/postgres.py): loopback only, not root, fresh databases."""

from __future__ import annotations

import psutil
import psycopg
import pytest

from tests.support.postgres import Cluster

pytestmark = pytest.mark.postgresql


def test_the_cluster_listens_on_loopback_only_and_runs_unprivileged(pg_cluster: Cluster) -> None:
    with psycopg.connect(pg_cluster.dsn()) as conn:
        settings = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'fsync', 'port')").fetchall())
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        backend_user = psutil.Process(pid).username()  # while the connection, and so its backend, lives
    assert settings == {"listen_addresses": "127.0.0.1", "fsync": "off", "port": str(pg_cluster.port)}
    assert backend_user != "root"
    assert str(pg_cluster.root).startswith("/var/tmp/")


def test_each_test_gets_a_fresh_empty_database(pg_cluster: Cluster, pg_database: str) -> None:
    name = pg_database.rsplit("/", 1)[1]
    with psycopg.connect(pg_cluster.dsn(name)) as conn:
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE left_behind (x int)")
    with psycopg.connect(pg_cluster.dsn()) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() == (1,)
