"""The core of the desk runs without the TUI: proven in a fresh interpreter and by import-linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_MODULES = [
    "watchdesk.core.enums", "watchdesk.core.text", "watchdesk.core.audit", "watchdesk.core.permissions",
    "watchdesk.core.records", "watchdesk.config", "watchdesk.clock", "watchdesk.store.db",
    "watchdesk.store.models", "watchdesk.store.audit", "watchdesk.services.officers",
    "watchdesk.services.alerts", "watchdesk.services.roster",
]
OPTIONAL = ["watchdesk.feeds", "watchdesk.services.ingest", "watchdesk.services.sources", "watchdesk.notify",
            "watchdesk.engine", "watchdesk.services.lifecycle", "watchdesk.services.escalation",
            "watchdesk.services.handover", "watchdesk.services.reports", "watchdesk.services.periods",
            "watchdesk.services.inbound", "watchdesk.inbound.server"]


def _present(name: str) -> bool:
    rel = Path(*name.split("."))
    return (ROOT / rel).is_dir() or (ROOT / rel.with_suffix(".py")).is_file()


def test_core_layers_never_import_textual() -> None:
    modules = CORE_MODULES + [m for m in OPTIONAL if _present(m)]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith(('textual.', 'watchdesk.tui')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"imported by the core: {out.stdout.strip()}"


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed in this environment")
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def test_no_import_cycles_in_the_layers_that_serve_every_front_end() -> None:
    """core, feeds, notify and services import one way: a cycle (a lazy import inside a function
    counts) means two modules that cannot be understood, or changed, apart."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("watchdesk")
    packages = ("watchdesk.core.", "watchdesk.feeds.", "watchdesk.notify.", "watchdesk.services.")
    modules = sorted(m for m in graph.modules if m.startswith(packages))
    cycles = sorted(
        f"{a} <-> {b}" for a in modules for b in graph.find_modules_directly_imported_by(a)
        if a < b and b.startswith(packages) and graph.chain_exists(importer=b, imported=a)
    )
    assert cycles == []


def test_no_sql_is_spoken_outside_store() -> None:
    """DESIGN.md: only store/ writes SQL. import-linter keeps the drivers out; this keeps out the
    store's own doors to them (the raw sqlite3 connection, driver-level SQL, the driver's cursor)."""
    import re

    door = re.compile(r"\.raw\(\)|exec_driver_sql|driver_connection|\.execute\(\s*[\"'](SELECT|INSERT|UPDATE|DELETE|PRAGMA)", re.I)
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "watchdesk").rglob("*.py"))
        if "store" not in path.relative_to(ROOT / "watchdesk").parts[:1]
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if door.search(line)
    ]
    assert found == [], f"SQL spoken outside watchdesk/store/: {found}"
