"""The root `watchdesk` group and the foundation's commands (db, backup, log, officer, contact).

Other command groups live in their own modules and are registered at the bottom.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from watchdesk import __version__
from watchdesk.cli.common import (
    State,
    actor_option,
    choose_language,
    ask_new_pin,
    echo,
    emit_json,
    json_option,
    new_pin_option,
    os_account,
    pass_state,
    person_errors,
    resolve_actor,
    table,
)
from watchdesk.cli.values import LIMIT
from watchdesk.core.humane import word
from watchdesk.core.text import clean_line
from watchdesk.i18n import _, ngettext
from watchdesk.services.errors import ServiceError

# No module-level import of the store here (nor in any command module): plain `watchdesk`
# paints the desk before SQLAlchemy is imported; each command imports what it uses.


class Root(click.Group):
    """Turns the errors a person can meet into one sentence on stderr and exit status 2.

    The other layers' command modules are imported the first time a subcommand is looked up
    (or --help lists them), not for plain `watchdesk`, which goes straight to the desk."""

    _registered = False

    def _register_all(self) -> None:
        if not Root._registered:
            Root._registered = True
            from watchdesk.cli import registry  # noqa: F401 - command groups attach themselves on import

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._register_all()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._register_all()
        return super().list_commands(ctx)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            _usage_sentence(exc)
            raise click.exceptions.Exit(2) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a subcommand's arguments: one sentence, not click's usage block
            _usage_sentence(exc)
            ctx.exit(2)
        except Exception as exc:
            if not isinstance(exc, person_errors()):
                damaged = _damage_sentence(ctx, exc)
                if damaged is None:
                    raise
                exc = damaged
            echo(f"watchdesk: {exc}", err=True)
            ctx.exit(2)


def _usage_sentence(exc: click.UsageError) -> None:
    """'watchdesk alert ack: No such option '-1' (see 'watchdesk alert ack --help').' on stderr."""
    where = exc.ctx.command_path if exc.ctx is not None else "watchdesk"
    message = clean_line(exc.format_message(), max_length=300).rstrip(".")
    echo(_("{where}: {message} (see '{where} --help').").format(where=where, message=message), err=True)


def _damage_sentence(ctx: click.Context, exc: Exception) -> Exception | None:
    """A corrupt, unreadable or full database met outside a session (a raw read, a report's scan)
    is one sentence naming the file too, never a traceback."""
    store = sys.modules.get("watchdesk.store.db")
    if store is None:
        return None
    state = ctx.obj
    runtime = getattr(state, "_runtime", None)
    where = runtime.db.where if runtime is not None else (getattr(state, "db_path", None) or "the database")
    return store.damage_error(exc, where)


@click.group(name="watchdesk", cls=Root, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="PATH", help="Config file (else $WATCHDESK_CONFIG, ./watchdesk.toml, the user config dir).")
@click.option("--db", "db_path", metavar="PATH", envvar="WATCHDESK_DB", help="SQLite database file, or a postgresql:// URL (overrides the config).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None,
              help="Language of the desk and of every command's output (default: [desk] language, else the system's).")
@click.version_option(__version__, prog_name="watchdesk")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_path: str | None, lang: str | None) -> None:
    """watchdesk: the desk of a 24/7 cyber-security watch.

    With no command, starts the desk (the terminal app).
    """
    ctx.obj = State(config_path, db_path, lang or "")
    choose_language(ctx.obj)
    if ctx.invoked_subcommand is None:
        from watchdesk.cli.desk import start_desk

        start_desk(ctx.obj)


# -- init / db / backup -------------------------------------------------------------------
@cli.command("init")
@click.option("--handle", required=True, help="Handle of the first supervisor.")
@click.option("--name", "full_name", required=True, help="Full name of the first supervisor.")
@new_pin_option
@click.option("--os-user", default="", metavar="ACCOUNT", help="Bind the supervisor to this OS account ('-' for the one running init).")
@pass_state
def init_cmd(state: State, handle: str, full_name: str, new_pin: str | None, os_user: str) -> None:
    """Create the database and its first supervisor (who needs a PIN of at least 6 digits)."""
    from watchdesk.services.officers import bootstrap_supervisor

    pin = ask_new_pin(new_pin, handle, required=True)
    officer = bootstrap_supervisor(state.runtime, handle, full_name, pin, os_user=_account(os_user))
    echo(_("database ready at {path}; supervisor '{handle}' added.").format(path=state.runtime.db.where, handle=officer.handle))


def _account(option: str) -> str:
    """--os-user: '-' is the account running this command."""
    if option == "-":
        account = os_account()
        if not account:
            raise ServiceError(_("--os-user -: this system does not say which OS account runs watchdesk; give the account name."))
        return account
    return option


@cli.group("db")
def db_group() -> None:
    """The database: schema and upgrades, checks, moving a desk, the desk role's rights (PostgreSQL)."""


@db_group.command("upgrade")
@pass_state
def db_upgrade(state: State) -> None:
    """Apply pending schema migrations (opening the desk also does this)."""
    from watchdesk.config import load_config
    from watchdesk.store.db import Database
    from watchdesk.store.migrations import LATEST

    config = load_config(state.config_path)
    db = Database(config.database.resolved_url(state.db_path), upgrade=False)
    before = db.schema_version()
    applied = db.upgrade()
    if applied:
        echo(_("upgraded {path} from schema {before} to {latest} ({applied} applied).").format(path=db.where, before=before, latest=LATEST, applied=', '.join(map(str, applied))))
    else:
        echo(_("{path} is at schema {before}, the latest; nothing to do.").format(path=db.where, before=before))


@db_group.command("grant")
@click.argument("role")
@pass_state
def db_grant(state: State, role: str) -> None:
    """PostgreSQL: let ROLE, the login the desks and engines use, read and write the desk's tables
    but only read and append the audit log. Run it connected as the schema's owner."""
    from watchdesk.config import load_config
    from watchdesk.store.db import Database
    from watchdesk.store.postgresql import grant_desk

    config = load_config(state.config_path)
    db = Database(config.database.resolved_url(state.db_path), upgrade=False)
    if db.is_sqlite:
        raise ServiceError(_("{path} is a SQLite file: its rights are the file's own (chmod); 'db grant' is for PostgreSQL.").format(path=db.where))
    with db.write() as session:
        grant_desk(session, role)
    echo(_("'{role}' may now read and write the desk's tables on {path}, and only read and append its audit log; "
           "tables a later upgrade adds are granted too.").format(role=role, path=db.where))


@db_group.command("info")
@json_option
@pass_state
def db_info(state: State, as_json: bool) -> None:
    """Where the database is and its schema version."""
    from watchdesk.store.migrations import LATEST

    db = state.runtime.db
    info = {"path": db.where, "schema_version": db.schema_version(), "latest": LATEST}
    if as_json:
        emit_json(info)
    else:
        echo(_("{path}: schema {version} (latest {latest})").format(path=info['path'], version=info['schema_version'], latest=LATEST))


@db_group.command("check")
@json_option
@pass_state
def db_check(state: State, as_json: bool) -> None:
    """SQLite's full integrity check, the audit chain and its latest checkpoint, together.

    Exits 0 when all hold (and lifts a damage stop left by an engine), 1 naming what failed."""
    from watchdesk.config import load_config
    from watchdesk.services.runtime import open_runtime
    from watchdesk.store import checkpoint
    from watchdesk.store.db import DatabaseDamaged, database_file, integrity_of

    config = load_config(state.config_path)
    try:
        # Opened without upgrading or syncing contacts: a check writes nothing to the file it checks.
        rt = open_runtime(config, db_path=state.db_path, upgrade=False)
    except DatabaseDamaged as exc:  # too damaged to read its schema: SQLite's own check still names the pages
        path = database_file(config.database.resolved_url(state.db_path))
        integrity = integrity_of(Path(path) if path else None, quick=False, limit=20)
        report = {"ok": False, "path": path, "integrity": {"ok": integrity.ok, "problems": list(integrity.problems)},
                  "chain": None, "lines": [("ok    " if integrity.ok else "FAIL  ") + integrity.sentence(path) + ".",
                                           f"FAIL  {exc}"]}
        anchors = checkpoint.anchors_for(config.audit.checkpoint_file, Path(path) if path else None)
        if anchors is not None and anchors.mark.exists():  # said whether or not the file still opens
            report["lines"].append(f"note  writes are stopped: the database was {checkpoint.read_mark(anchors.mark)}")
        if as_json:
            emit_json({**report, "damage_stop_lifted": False})
        else:
            echo("\n".join(report["lines"]))
        sys.exit(1)
    report = _db_check(rt.db)
    anchors = rt.db.anchors
    lifted = report["ok"] and anchors is not None and checkpoint.clear_mark(anchors)
    if as_json:
        emit_json({**report, "damage_stop_lifted": bool(lifted)})
    else:
        for line in report["lines"]:
            echo(line)
        if lifted:
            echo(_("the damage stop is lifted ({mark} removed): desks and serve may write again.").format(mark=anchors.mark))
    sys.exit(0 if report["ok"] else 1)


@db_group.command("resume")
@actor_option
@pass_state
def db_resume(state: State, as_handle: str) -> None:
    """Accept a lost tail (a deleted -wal, a restored backup) and let the desk write again.

    Supervisors only; refused unless SQLite checks the file clean and the chain holds in itself.
    The loss is written into the audit log and the old checkpoint stays as its record."""
    from watchdesk.config import load_config
    from watchdesk.services.damage import resume
    from watchdesk.services.runtime import open_runtime

    rt = open_runtime(load_config(state.config_path), db_path=state.db_path, upgrade=False)
    state._runtime = rt
    echo(resume(rt, resolve_actor(state, as_handle)))


@db_group.command("copy")
@click.argument("source")
@click.argument("target")
@json_option
def db_copy(source: str, target: str, as_json: bool) -> None:
    """Copy a desk's whole history from SOURCE (a SQLite file) into TARGET, an empty database
    (a postgresql:// URL, or a new SQLite file).

    Refused while an engine runs on SOURCE, when its audit chain does not hold or TARGET holds
    anything; the chain is checked again on TARGET. SOURCE is only read."""
    from watchdesk.clock import SystemClock
    from watchdesk.config_file import sqlite_url
    from watchdesk.store.checkpoint import anchors_for
    from watchdesk.store.copy import copy_database
    from watchdesk.store.db import Database

    def url_of(given: str) -> str:
        return given if "://" in given else sqlite_url("", "", given)

    if "://" not in source and not Path(source).expanduser().is_file():
        raise ServiceError(_("{source}: no such database file; give the path of the desk's SQLite file.").format(source=source))
    src = Database(url_of(source), upgrade=False)
    src.anchors = anchors_for("", src.path, src.url)  # its own checkpoints: a lost tail is caught before it moves
    dst = Database(url_of(target), upgrade=True)
    done = copy_database(src, dst, SystemClock().now())
    if as_json:
        emit_json({"rows": done.rows, "events": done.events, "head_hash": done.head_hash, "seconds": round(done.seconds, 3)})
        return
    rows = sum(done.rows.values())
    echo(_("copied {rows} rows ({events} audit events) in {seconds:.1f} s; the chain holds on both sides, head {head}…").format(
        rows=rows, events=done.events, seconds=done.seconds, head=done.head_hash[:16]))

def _db_check(db: Any) -> dict[str, Any]:
    from watchdesk.store import audit, checkpoint

    chain = audit.verify(db)
    if db.is_sqlite:
        integrity = db.integrity(quick=False, limit=20)
        pages: dict[str, Any] | None = {"ok": integrity.ok, "problems": list(integrity.problems)}
        lines = [("ok    " if integrity.ok else "FAIL  ") + integrity.sentence(db.path) + "."]
        lines += [f"        {p}" for p in integrity.problems[1:]]
    else:  # the server checks its own pages: a supervisor's tool is pg_amcheck
        pages = None
        lines = [f"note  {db.where}: PostgreSQL checks its own pages (data checksums; run pg_amcheck for a full check)."]
    lines.append(("ok    " if chain.ok else "FAIL  ") + chain.sentence())
    mark = db.anchors.mark if db.anchors is not None and db.anchors.mark.exists() else None
    if mark is not None:
        lines.append(f"note  writes are stopped: the database was {checkpoint.read_mark(mark)}")
    ok = (pages is None or pages["ok"]) and chain.ok
    lines.append("the database checks clean." if ok else
                 f"{db.where} is NOT sound: keep a copy of it, and restore the latest backup ('watchdesk backup' makes them).")
    return {"ok": ok, "path": db.where, "integrity": pages, "chain": chain.to_json(), "lines": lines}


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def backup_cmd(state: State, path: Path) -> None:
    """Copy the database to PATH in one consistent step (safe while others write); never
    leaves a partial file behind."""
    from watchdesk.store.backup import backup

    done = backup(state.runtime.db, path)
    echo(ngettext("backup written to {path} ({pages} page, {seconds:.1f} s; audit head seq {head_seq}).",
                  "backup written to {path} ({pages} pages, {seconds:.1f} s; audit head seq {head_seq}).", done.pages).format(
        path=path, pages=done.pages, seconds=done.seconds, head_seq=done.head_seq))


# -- log ----------------------------------------------------------------------------------
@cli.group("log")
def log_group() -> None:
    """The audit log: verify, checkpoint, tail."""


@log_group.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False, path_type=Path), help="Check against this file from 'log checkpoint -o' instead of the latest automatic checkpoint.")
@json_option
@pass_state
def log_verify(state: State, checkpoint_file: Path | None, as_json: bool) -> None:
    """Check the hash chain and that it still reaches its latest checkpoint ([audit] checkpoint_file).

    Exits 0 when it holds, 1 naming the first bad seq (or the damaged page)."""
    from watchdesk.store import audit

    checkpoint: Any = audit.LATEST
    if checkpoint_file is not None:
        try:
            checkpoint = audit.read_checkpoint(checkpoint_file)
        except ValueError as exc:
            raise ServiceError(str(exc)) from None
    result = audit.verify(state.runtime.db, checkpoint)
    if as_json:
        emit_json(result.to_json())
    else:
        echo(result.sentence())
    sys.exit(0 if result.ok else 1)


@log_group.command("checkpoint")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the checkpoint to this file.")
@json_option
@pass_state
def log_checkpoint(state: State, output: Path | None, as_json: bool) -> None:
    """Print the head of the log (seq, hash, time) and append it to the checkpoint file now."""
    from dataclasses import asdict

    from watchdesk.store import audit
    from watchdesk.store.checkpoint import anchor

    db = state.runtime.db
    head = audit.head(db)
    if head is None:
        raise ServiceError(_("the audit log is empty; there is nothing to checkpoint yet."))
    if db.anchors is not None:
        from watchdesk.store.db import DatabaseDamaged

        try:
            anchor(db, db.anchors, "asked for by 'log checkpoint'")
        except DatabaseDamaged as exc:
            raise ServiceError(_("{exc} No checkpoint was written.").format(exc=exc)) from None
    if output:
        audit.write_checkpoint(head, output)
    if as_json:
        emit_json(asdict(head))
    else:
        echo(_("seq {seq}  hash {hash}  at {at} UTC").format(seq=head.seq, hash=head.hash, at=head.at))


@log_group.command("tail")
@click.option("-n", "limit", type=LIMIT, default=20, show_default=True, help="How many events.")
@click.option("--actor", default="", help="Only events by this handle.")
@click.option("--kind", default="", help="Only events of this kind ('alert.*' for a prefix).")
@json_option
@pass_state
def log_tail(state: State, limit: int, actor: str, kind: str, as_json: bool) -> None:
    """The most recent events, oldest first."""
    from watchdesk.store import audit

    events = audit.tail(state.runtime.db, limit, actor=actor, kind=kind)
    if as_json:
        emit_json(events)
        return
    from watchdesk.core.audit import canonical_json

    rows = [(e.seq, e.at[:19], e.actor, e.kind, f"{e.subject_type}:{e.subject_id}" if e.subject_type else "", canonical_json(e.payload)[:80]) for e in events]
    echo(table(rows, [_("seq"), _("at (UTC)"), _("actor"), _("kind"), _("subject"), _("payload")]))


# -- officers and contacts ----------------------------------------------------------------
@cli.group("officer")
def officer_group() -> None:
    """Officers of the desk."""


@officer_group.command("add")
@click.argument("handle")
@click.argument("full_name")
@click.option("--role", type=click.Choice(["officer", "lead", "supervisor"]), default="officer", show_default=True)
@click.option("--phone", default="")
@click.option("--email", default="")
@click.option("--chat", multiple=True, metavar="KIND=ID", help="Chat id, e.g. telegram=12345 (repeatable).")
@new_pin_option
@click.option("--os-user", default="", metavar="ACCOUNT", help="Bind to this OS account: its CLI acts as them without the PIN.")
@actor_option
@pass_state
def officer_add(state: State, handle: str, full_name: str, role: str, phone: str, email: str, chat: tuple[str, ...],
                new_pin: str | None, os_user: str, as_handle: str) -> None:
    """Add an officer (supervisors only); leads and supervisors get a PIN."""
    from watchdesk.services.officers import NEEDS_PIN, add_officer, is_demo

    chats = {}
    for item in chat:
        kind, sep, ident = item.partition("=")
        if not sep:
            raise ServiceError(_("--chat '{item}' must look like telegram=12345.").format(item=item))
        chats[kind] = ident
    actor = resolve_actor(state, as_handle)
    needed = role in {r.value for r in NEEDS_PIN} and not is_demo(state.runtime)
    pin = ask_new_pin(new_pin, handle, required=needed)
    officer = add_officer(state.runtime, actor, handle, full_name, role, phone, email, chats, pin=pin, os_user=_account(os_user))
    bound = f", bound to OS account '{officer.os_user}'" if officer.os_user else ""
    echo(_("added {role} '{handle}' ({full_name}){bound}.").format(role=word(officer.role), handle=officer.handle, full_name=officer.full_name, bound=bound))


@officer_group.command("edit")
@click.argument("handle")
@click.option("--os-user", default=None, metavar="ACCOUNT", help="Bind to this OS account ('' unbinds, '-' the account running this).")
@actor_option
@pass_state
def officer_edit(state: State, handle: str, os_user: str | None, as_handle: str) -> None:
    """Change an officer's OS-account binding (supervisors only)."""
    from watchdesk.services.officers import set_os_user

    if os_user is None:
        raise ServiceError(_("say what to change: --os-user ACCOUNT (or '' to unbind)."))
    officer = set_os_user(state.runtime, resolve_actor(state, as_handle), handle, _account(os_user))
    echo(f"'{officer.handle}' is bound to OS account '{officer.os_user}'." if officer.os_user else f"'{officer.handle}' is bound to no OS account.")


@officer_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@actor_option
@pass_state
def officer_import(state: State, path: Path, as_handle: str) -> None:
    """Import officers from CSV: handle,name,role,phone,email (all or nothing)."""
    from watchdesk.services.officers import import_officers_csv

    actor = resolve_actor(state, as_handle)
    added = import_officers_csv(state.runtime, actor, path)
    echo(ngettext("imported {n} officer from {path}.", "imported {n} officers from {path}.", len(added)).format(n=len(added), path=path))
    waiting = [o.handle for o in added if o.role.value in ("lead", "supervisor") and not o.has_pin]
    if waiting:
        echo(_("  {waiting}: leads and supervisors sign in once a supervisor sets their PIN ('watchdesk officer pin HANDLE').").format(waiting=', '.join(waiting)))


@officer_group.command("list")
@json_option
@pass_state
def officer_list(state: State, as_json: bool) -> None:
    """All officers."""
    from watchdesk.services.officers import list_officers

    officers = list_officers(state.runtime)
    if as_json:
        emit_json([{k: v for k, v in _officer_json(o).items()} for o in officers])
        return
    now = state.runtime.now()
    rows = [(o.handle, o.full_name, o.role.value, o.phone, o.email, _pin_state(o, now), o.os_user, "" if o.active else "inactive") for o in officers]
    echo(table(rows, [_("handle"), _("name"), _("role"), _("phone"), _("email"), _("pin"), _("os user"), _("status")]))


def _pin_state(o: Any, now: Any) -> str:
    """'yes', 'no', with the back-off when one runs and the wrong PINs since the last right one."""
    text = "yes" if o.has_pin else ""
    if o.locked_until is not None and o.locked_until > now:
        text += f", locked until {o.locked_until:%H:%M:%S} UTC"
    if o.pin_failures:
        text += f", {o.pin_failures} wrong"
    return text


def _officer_json(o: Any) -> dict[str, Any]:
    return {
        "id": o.id, "handle": o.handle, "full_name": o.full_name, "role": o.role.value, "phone": o.phone,
        "email": o.email, "chat_ids": o.chat_ids, "has_pin": o.has_pin, "active": o.active, "os_user": o.os_user,
        "pin_failures": o.pin_failures, "locked_until": o.locked_until.isoformat() if o.locked_until else None,
    }


@officer_group.command("pin")
@click.argument("handle")
@new_pin_option
@actor_option
@pass_state
def officer_pin(state: State, handle: str, new_pin: str | None, as_handle: str) -> None:
    """Set an officer's PIN (or clear an officer's with an empty entry): one's own with one's PIN
    or bound OS account, anyone's as a supervisor. A new PIN also lifts a back-off."""
    from watchdesk.services.officers import set_pin

    actor = resolve_actor(state, as_handle, first_pin=handle.strip().lower() == as_handle.strip().lower())
    if new_pin is None:
        try:
            new_pin = click.prompt("New PIN, at least 6 digits (empty to clear an officer's)", hide_input=True,
                                   confirmation_prompt=True, default="", show_default=False)
        except click.Abort:
            raise ServiceError(_("no new PIN given; give --pin or set $WATCHDESK_NEW_PIN.")) from None
    set_pin(state.runtime, actor, handle, new_pin)
    echo(f"PIN {'set' if new_pin else 'cleared'} for '{handle}'.")


@officer_group.command("unlock")
@click.argument("handle")
@actor_option
@pass_state
def officer_unlock(state: State, handle: str, as_handle: str) -> None:
    """Lift an officer's PIN back-off after wrong PINs (supervisors only; see 'log tail --kind officer.*')."""
    from watchdesk.services.officers import unlock

    officer = unlock(state.runtime, resolve_actor(state, as_handle), handle)
    echo(_("'{handle}' may try a PIN again.").format(handle=officer.handle))


@officer_group.command("deactivate")
@click.argument("handle")
@actor_option
@pass_state
def officer_deactivate(state: State, handle: str, as_handle: str) -> None:
    """Mark an officer inactive (kept in history; coverage checks flag their shifts)."""
    from watchdesk.services.officers import set_active

    set_active(state.runtime, resolve_actor(state, as_handle), handle, False)
    echo(_("'{handle}' is now inactive.").format(handle=handle))


@cli.group("contact")
def contact_group() -> None:
    """Outside escalation contacts (from the config)."""


@contact_group.command("list")
@json_option
@pass_state
def contact_list(state: State, as_json: bool) -> None:
    """VNCERT/CC, NCSC, hotlines and the unit's own contacts."""
    from watchdesk.services.contacts import list_contacts

    contacts = list_contacts(state.runtime)
    if as_json:
        emit_json(contacts)
        return
    rows = [(c.key, c.name, c.phone, c.hotline, c.email, "check!" if c.to_verify else "") for c in contacts]
    echo(table(rows, [_("key"), _("name"), _("phone"), _("hotline"), _("email"), _("verify")]))


@cli.group("config", invoke_without_command=True)
@click.option("--show-path", is_flag=True, help="Only say which file is in use.")
@pass_state
@click.pass_context
def config_cmd(ctx: click.Context, state: State, show_path: bool) -> None:
    """Check the config file and say which one is in use (`config init` writes a first one)."""
    from watchdesk.i18n import _, ngettext

    if ctx.invoked_subcommand is not None:
        return
    config = state.config()
    where = config.source_path or _("built-in defaults (no config file found)")
    if show_path:
        echo(where)
        return
    echo(_("config OK: {where}").format(where=where))
    sources = ngettext("{n} source", "{n} sources", len(config.sources)).format(n=len(config.sources))
    contacts = ngettext("{n} contact", "{n} contacts", len(config.contacts)).format(n=len(config.contacts))
    echo(_("desk '{name}', zone {zone}, {sources}, {contacts}.").format(
        name=config.desk.name, zone=config.desk.timezone, sources=sources, contacts=contacts))


@config_cmd.command("init")
@click.option("--to", "target", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write it (default: watchdesk.toml in the user config folder).")
@click.option("--force", is_flag=True, help="Replace a file that is already there.")
def config_init(target: Path | None, force: bool) -> None:
    """Write the commented example config (sources, policies, channels, contacts) to the user
    config folder, creating the folder; edit it, then check it with `watchdesk config`."""
    from importlib.resources import files

    from watchdesk.i18n import _, ngettext
    from watchdesk.locations import config_dir

    path = (target or config_dir() / "watchdesk.toml").expanduser()
    if path.exists() and not force:
        raise ServiceError(_("{path} already exists; edit it, or give --force to replace it with the example.").format(path=path))
    example = files("watchdesk.data").joinpath("config.example.toml").read_text(encoding="utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(example, encoding="utf-8")
    except OSError as exc:
        raise ServiceError(_("cannot write {path} ({why}); choose another place with --to.").format(
            path=path, why=exc.strerror or exc)) from None
    echo(_("wrote the example config to {path}; edit it, then run 'watchdesk config' to check it.").format(path=path))


def main() -> None:
    cli(prog_name="watchdesk")
