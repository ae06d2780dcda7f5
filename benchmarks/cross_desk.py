"""An acknowledgment typed on the CLI, seen by another desk: how long until the desk knows.

    python benchmarks/cross_desk.py [--samples 12] [--postgres auto|URL]

A "desk" in this process watches the database the way the TUI does (services.desk_state's
change watcher, polled every tui.app.WATCH_INTERVAL; on a move it reads the alerts again) while
`watchdesk alert ack` runs as a separate process, as an officer at another terminal would. The
figure is the time from the acknowledgment's commit (its `acked_at`, written by the CLI's
clock) to the desk reading the alert as acknowledged. Target ≤ 1 s, on both backends.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends import add_option, backends  # noqa: E402 - the script folder is on sys.path
from engine import _staff  # noqa: E402

from watchdesk.clock import SystemClock  # noqa: E402
from watchdesk.config import parse_config  # noqa: E402
from watchdesk.core.enums import AlertState  # noqa: E402
from watchdesk.services.alert_factory import raise_alert  # noqa: E402
from watchdesk.services.alerts import get_alert  # noqa: E402
from watchdesk.services.desk_state import change_watcher  # noqa: E402
from watchdesk.services.runtime import open_runtime  # noqa: E402
from watchdesk.tui.app import WATCH_INTERVAL  # noqa: E402


def run(backend: str, url: str, folder: Path, samples: int) -> list[float]:
    config_file = folder / f"{backend}.toml"
    config_file.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    rt = open_runtime(parse_config({"database": {"url": url}}), clock=SystemClock())
    _staff(rt)
    with rt.db.write() as session:
        ids = [raise_alert(session, rt.now(), source_key="manual", dedup_key=f"bench-{i}", title=f"Bench {i}")[0].id
               for i in range(samples)]
    seen: dict[int, float] = {}
    stop = threading.Event()

    def desk() -> None:
        watcher = change_watcher(rt)
        last = watcher.version()
        while not stop.is_set():
            time.sleep(WATCH_INTERVAL)  # the desk's own poll timer, not a wait for time to pass
            version = watcher.version()
            if version == last:
                continue
            last = version
            now = time.time()
            for alert_id in ids:
                if alert_id not in seen and get_alert(rt, alert_id).state == AlertState.ACKNOWLEDGED:
                    seen[alert_id] = now
        watcher.close()

    watching = threading.Thread(target=desk, daemon=True)
    watching.start()
    env = {**os.environ, "WATCHDESK_CONFIG": str(config_file), "WATCHDESK_PIN": "246810", "LANGUAGE": "en"}
    latencies = []
    for alert_id in ids:
        subprocess.run([sys.executable, "-m", "watchdesk", "alert", "ack", str(alert_id), "--as", "lan"],
                       env=env, check=True, capture_output=True, timeout=60)
        acked_at = get_alert(rt, alert_id).acked_at
        deadline = time.time() + 10
        while alert_id not in seen and time.time() < deadline:
            time.sleep(0.01)
        if alert_id in seen and acked_at is not None:
            latencies.append(seen[alert_id] - acked_at.timestamp())
    stop.set()
    watching.join()
    rt.db.dispose()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=12)
    add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, backends(Path(tmp), args.postgres, "cross") as urls:
        for backend, url in urls:
            got = run(backend, url, Path(tmp), args.samples)
            missed = args.samples - len(got)
            print(f"{backend:<10} CLI ack → seen by another desk: median {statistics.median(got) * 1000:.0f} ms, "
                  f"worst {max(got) * 1000:.0f} ms over {len(got)} acks (poll every {WATCH_INTERVAL} s)"
                  + (f"; {missed} NOT seen within 10 s" if missed else "") + "   target ≤ 1 s")


if __name__ == "__main__":
    main()
