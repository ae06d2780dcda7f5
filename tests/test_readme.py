"""The README's runnable samples do what it says: each ```sh runnable block runs, in order, in a
fresh home (a temporary desk), and prints what the block shows.

In such a block a line `$ command` is run by bash; the lines after it, up to the next `$`, are
what it must print (stdout and stderr), with the home folder written `~`. A line `…` stands for
any number of lines. A command followed by no lines is only run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```sh runnable\n(.*?)^```", re.M | re.S)
ANY = "…"

# What the README's reader already has beside the commands: the officers file it imports.
OFFICERS_CSV = "handle,name,role,phone,email\nhung,Đỗ Quang Huy,officer,,\nthu,Trần Thị Thu,officer,,\nmai,Lê Mai,officer,,\n"


@dataclass
class Sample:
    command: str
    shows: list[str]
    line: int


def samples(text: str) -> list[Sample]:
    found: list[Sample] = []
    for block in FENCE.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        for offset, line in enumerate(block.group(1).splitlines()):
            if line.startswith("$ "):
                found.append(Sample(line[2:], [], first + offset))
            elif found and found[-1].line >= first:
                found[-1].shows.append(line.rstrip())
            else:
                raise AssertionError(f"README.md line {first + offset}: output before any '$ ' command")
    return found


def matches(shown: list[str], printed: list[str]) -> bool:
    """`printed` is `shown`, where a line '…' in `shown` stands for any number of lines."""
    if not shown:
        return not printed
    if shown[0] == ANY:
        return any(matches(shown[1:], printed[i:]) for i in range(len(printed) + 1))
    return bool(printed) and printed[0] == shown[0] and matches(shown[1:], printed[1:])


def test_the_samples_are_found() -> None:
    found = samples(README.read_text(encoding="utf-8"))
    commands = [s.command.split("#")[0].split() for s in found]
    assert ["watchdesk", "config", "init"] in commands and any(c[:3] == ["watchdesk", "roster", "check"] for c in commands)
    assert all(s.shows for s in found if s.command.startswith("watchdesk roster check"))


def test_matching_a_sample() -> None:
    assert matches(["a", ANY, "z"], ["a", "b", "c", "z"]) and matches(["a", ANY], ["a"])
    assert not matches(["a", "z"], ["a", "b", "z"]) and not matches(["a"], ["a", "b"])


def test_runnable_samples_print_what_the_readme_shows(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "officers.csv").write_text(OFFICERS_CSV, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "WATCHDESK_", "LC_", "LANG"))}
    env.update(HOME=str(home), LANG="C.UTF-8", PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               WATCHDESK_PIN="246810", WATCHDESK_NEW_PIN="246810", COLUMNS="120")
    failures = []
    for sample in samples(README.read_text(encoding="utf-8")):
        done = subprocess.run(["bash", "-c", sample.command], cwd=home, env=env, capture_output=True, text=True, timeout=120)
        printed = (done.stdout + done.stderr).replace(str(home), "~").rstrip("\n").splitlines()
        printed = [line.rstrip() for line in printed]
        if sample.shows and not matches(sample.shows, printed):
            failures.append(f"README.md line {sample.line}: $ {sample.command}\n  shows:\n    "
                            + "\n    ".join(sample.shows) + "\n  printed:\n    " + "\n    ".join(printed))
    assert not failures, "\n\n".join(failures)
