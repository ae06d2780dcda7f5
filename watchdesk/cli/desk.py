"""Plain `watchdesk`: start the desk (the Textual app).

The config file is found and its TOML read here, before the terminal is taken (a missing file or
bad TOML ends in one sentence, as for every command); the shell's few keys come from it without
pydantic (watchdesk/config_file.py). The desk itself, in a thread worker after its first frame,
validates the config and opens the database, so the shell paints before pydantic, SQLAlchemy and
the store are imported; an invalid key closes the desk at once and ends in its sentence.
"""

from __future__ import annotations

from typing import Any

from watchdesk.cli.common import State


def desk_app(state: State, **options: Any) -> Any:
    """The desk app the way `watchdesk` starts it: config file read, language set, config not yet
    validated, runtime not yet open.

    Options are DeskApp's (the benchmark and the tests pass run_engine, ask_sign_in …)."""
    from watchdesk.clock import SystemClock
    from watchdesk.config_file import ShellSettings, load_toml
    from watchdesk.i18n import set_language

    data, where = load_toml(state.config_path)
    shell = ShellSettings.from_data(data, state.db_path)
    set_language(state.lang or shell.language)
    # Imported after the language is set: bindings and labels are translated at import.
    from watchdesk.tui.app import DeskOpener, make_app

    clock = options.pop("clock", None) or SystemClock()

    def open_runtime() -> Any:  # in the desk's opening worker
        from watchdesk.config import config_of

        return state.open_runtime(config_of(data, where), clock)

    return make_app(DeskOpener(shell, clock, open_runtime), **options)


def start_desk(state: State) -> None:
    """Run the desk until the operator quits; a database it could not open ends in its sentence."""
    from watchdesk.services.errors import ServiceError

    app = desk_app(state)
    app.run()
    if app.open_failure:
        raise ServiceError(app.open_failure)  # printed by the Root group, exit status 2
