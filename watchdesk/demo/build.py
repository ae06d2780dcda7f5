"""Build the demo desk: a config, a database in a folder of its own (never the user's),
the seeded last day of the watch, and sources reading the bundled warnings over file:// URLs."""

from __future__ import annotations

from pathlib import Path

from watchdesk.config import Config, parse_config
from watchdesk.demo.clock import DemoClock
from watchdesk.demo.seed import seed_desk
from watchdesk.services.runtime import Runtime, open_runtime
from watchdesk.store.checkpoint import anchors_for

FEEDS = Path(__file__).parent / "feeds"


def demo_config(language: str = "") -> Config:
    feeds = FEEDS.resolve()
    return parse_config({
        "desk": {"name": "watchdesk demo — Sở TT&TT (dữ liệu mẫu)", "language": language},
        # The demo pages nobody's desktop; the terminal bell and banner are enough.
        "channels": {"desktop": {"type": "desktop", "enabled": False}},
        "sources": [
            {"key": "khonggianmang", "name": "Cảnh báo ATTT (bản demo, RSS)", "kind": "rss",
             "url": (feeds / "khonggianmang.rss.xml").as_uri(), "interval": "10m"},
            {"key": "cisa-kev", "name": "CISA KEV (demo excerpt)", "kind": "json", "preset": "cisa-kev",
             "url": (feeds / "kev.json").as_uri(), "interval": "30m", "severity": "high"},
            {"key": "irlab", "name": "IRLab (nhập tay)", "kind": "manual"},
        ],
    }, where="the demo's built-in config")


def build_demo(folder: Path, language: str = "") -> tuple[Runtime, DemoClock]:
    """The demo runtime on `folder`/demo.db, seeded; its clock is live when this returns."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.db"
    if path.exists():
        raise FileExistsError(f"{path} exists; the demo starts from an empty folder.")
    clock = DemoClock()
    rt = open_runtime(demo_config(language), db_path=str(path), clock=clock)
    rt.db.anchors = anchors_for(str(folder / "checkpoints.jsonl"), rt.db.path)  # thrown away with the demo
    seed_desk(rt, clock)
    clock.go_live()
    return rt, clock
