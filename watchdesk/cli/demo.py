"""`watchdesk demo`: the desk on bundled demo data in a temporary database."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from watchdesk.cli.common import echo
from watchdesk.cli.main import cli
from watchdesk.i18n import _
from watchdesk.services.errors import ServiceError


@cli.command("demo")
@click.option("--keep", "keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the demo database in this (new or empty) folder instead of a temporary one.")
@click.option("--lang", type=click.Choice(["vi", "en", ""]), default="",
              help="Language of the desk (default: watchdesk's own --lang, else the system's).")
@click.pass_context
def demo_cmd(ctx: click.Context, keep: Path | None, lang: str) -> None:
    """Open the desk on demo data: the first night of Tết 2026, six officers on a roster,
    alerts in every state and one escalating live, sources reading the bundled warnings.

    Nothing touches your own database or config. Sign in as 'hung' (officer), 'lan' (lead)
    or 'minh' (supervisor); none has a PIN. Quit with ctrl+q.
    """
    from watchdesk.i18n import set_language

    lang = lang or getattr(ctx.obj, "lang", "")  # `watchdesk --lang vi demo` as well as `watchdesk demo --lang vi`
    set_language(lang)
    if keep is not None:
        if keep.exists() and any(keep.iterdir()):
            raise ServiceError(_("{keep}: the folder is not empty; give a new or empty folder to --keep.").format(keep=keep))
        _run(keep, lang)
        echo(f"demo database kept at {keep / 'demo.db'}")
        return
    with tempfile.TemporaryDirectory(prefix="watchdesk-demo-") as folder:
        _run(Path(folder), lang)


def _run(folder: Path, lang: str) -> None:
    from watchdesk.demo.build import build_demo
    from watchdesk.tui.app import run_desk

    rt, _clock = build_demo(folder, lang)
    try:
        run_desk(rt)
    finally:
        rt.db.dispose()
