"""The Sources screen's `t`: test the selected source, store nothing, show what it found."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import func, select

from tests.feeds.conftest import DEMO
from tests.tui.conftest import settle
from tests.tui.screen_text import screen_text
from watchdesk.store.models import Alert, Event
from watchdesk.tui.screens.sources import SourceTrialView


async def test_t_tests_the_selected_source_and_shows_the_result(tmp_path: Path, clock) -> None:  # noqa: ANN001
    from watchdesk.config import parse_config
    from watchdesk.services.runtime import open_runtime
    from watchdesk.tui.app import make_app

    config = parse_config({"sources": [{"key": "kgm", "kind": "html", "url": (DEMO / "canhbaoattt.html").as_uri(),
                                        "mapping": {"item": ".news-item"}, "to_verify": True}]})
    rt = open_runtime(config, db_path=str(tmp_path / "trial.db"), clock=clock)

    def counts() -> tuple[int, int]:
        with rt.db.read() as s:
            return s.exec(select(func.count()).select_from(Event)).one(), s.exec(select(func.count()).select_from(Alert)).one()

    app = make_app(rt, run_engine=False, watch=False, ask_sign_in=False, blink=False, start="sources")
    async with app.run_test(size=(130, 40)) as pilot:
        await settle(pilot, app)
        assert "kgm ?" in screen_text(app) and "To verify" in screen_text(app)
        before = counts()
        await pilot.press("t")
        await settle(pilot, app)
        assert isinstance(app.screen, SourceTrialView)
        shown = screen_text(app)
        assert "found 5 items" in shown and "critical  Cảnh báo lỗ hổng bảo mật nghiêm trọng trong FortiOS" in shown
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, SourceTrialView)
        assert counts() == before
    rt.db.dispose()
