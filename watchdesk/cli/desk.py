"""Plain `watchdesk`: start the desk (the Textual app).

The config is read here, before the terminal is taken (a bad file or key ends in one sentence,
as for every command); the database is opened by the desk itself, in a thread worker after its
first frame, so the shell paints before SQLAlchemy and the store are imported.
"""

from __future__ import annotations

from typing import Any

from watchdesk.cli.common import State


def desk_app(state: State, **options: Any) -> Any:
    """The desk app the way `watchdesk` starts it: config read, language set, runtime not yet open.

    Options are DeskApp's (the benchmark and the tests pass run_engine, ask_sign_in …)."""
    from watchdesk.clock import SystemClock
    from watchdesk.i18n import set_language

    config = state.config()
    set_language(config.desk.language)
    # Imported after the language is set: bindings and labels are translated at import.
    from watchdesk.tui.app import DeskOpener, make_app

    clock = options.pop("clock", None) or SystemClock()
    opener = DeskOpener(config, clock, lambda: state.open_runtime(config, clock), state.database_path(config))
    return make_app(opener, **options)


def start_desk(state: State) -> None:
    """Run the desk until the operator quits; a database it could not open ends in its sentence."""
    from watchdesk.services.errors import ServiceError

    app = desk_app(state)
    app.run()
    if app.open_failure:
        raise ServiceError(app.open_failure)  # printed by the Root group, exit status 2
