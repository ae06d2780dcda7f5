"""Feed fixtures: a loopback HTTP server and runtimes whose config names its URLs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.feed_server import FeedServer
from watchdesk.clock import FakeClock
from watchdesk.config import parse_config
from watchdesk.services.runtime import Runtime, open_runtime

DEMO = Path(__file__).resolve().parents[2] / "watchdesk" / "demo" / "feeds"


def demo_bytes(name: str) -> bytes:
    return (DEMO / name).read_bytes()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def make_rt(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Runtime]]:
    """make_rt(sources=[{...}], watch={...}, alerts={...}) -> a Runtime on a fresh database file."""
    opened: list[Runtime] = []

    def build(sources: list[dict[str, Any]] = (), db_name: str = "feeds.db", **sections: Any) -> Runtime:  # type: ignore[assignment]
        config = parse_config({"sources": list(sources), **sections})
        runtime = open_runtime(config, db_path=str(tmp_path / db_name), clock=clock)
        opened.append(runtime)
        return runtime

    yield build
    for runtime in opened:
        runtime.db.dispose()
