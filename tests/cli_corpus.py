"""A corpus of bad inputs people really give the command line: the files (made in a folder
per test session), and a way to run `leadflow` in-process and see what a user sees."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from leadflow.cli import main
from tests.replaying import EXAMPLES

SAMPLE = EXAMPLES / "events.sample.jsonl"


@dataclass
class Ran:
    code: int
    out: str
    err: str


def run_cli(argv: Sequence[str], cwd: Path | None = None) -> Ran:
    """`leadflow ARGV` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        code = main(list(argv))
    return Ran(code, out.getvalue(), err.getvalue())


def build(root: Path) -> Path:
    """Write the corpus into ROOT; return ROOT."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("policy.yaml", "team.yaml", "scenario.yaml", "scenario-no-surge.yaml",
                 "policy-no-surge.yaml"):  # fmt: skip
        shutil.copy(EXAMPLES / name, root / name)
    sample = SAMPLE.read_bytes()
    lines = sample.splitlines(keepends=True)
    files: dict[str, bytes] = {
        "events.jsonl": sample,
        "empty.jsonl": b"",
        "blank.jsonl": b"\n   \n\t\n",
        "binary.jsonl": bytes(range(256)) * 40,
        "latin1.jsonl": b"".join(lines[:5]) + b'{"event_id":"x","type":"caf\xe9"}\n'
        + b"".join(lines[5:]),
        "utf16.jsonl": sample.decode().encode("utf-16"),
        "bom.jsonl": b"\xef\xbb\xbf" + sample,
        "array.json": json.dumps([json.loads(x) for x in lines[:3]], indent=2).encode(),
        "pretty.jsonl": json.dumps(json.loads(lines[9]), indent=2).encode(),
        "events.csv": b"event_id,type,at,lead_id\ne1,lead.upserted,2026-01-06T10:00:00Z,L1\n",
        "numbers.jsonl": b"1\n2\n3\n",
        "strings.jsonl": b'"a"\n"b"\n',
        "nulls.jsonl": b"null\n" * 3,
        "huge-line.jsonl": b'{"event_id":"' + b"x" * 200_000 + b'"}\n' + lines[0],
        "deep.jsonl": b"[" * 50_000 + b"]" * 50_000 + b"\n" + lines[0],
        "nan.jsonl": b'{"event_id":"n","type":"lead.upserted","at":"2026-01-06T10:00:00Z",'
        b'"lead_id":"L","score":NaN}\n' + lines[0],
        "year-typo.jsonl": sample.replace(
            b'"e9","type":"lead.engaged","at":"2026', b'"e9","type":"lead.engaged","at":"2062'
        ),
        "crlf.jsonl": sample.replace(b"\n", b"\r\n"),
        "no-newline.jsonl": sample.rstrip(b"\n"),
        "events.jsonl.gz": gzip.compress(sample),
        "renamed-gzip.jsonl": gzip.compress(sample),
        "cut.jsonl.gz": gzip.compress(sample * 20)[:600],
        "garbage.gz": b"\x1f\x8b" + b"not really gzip" * 10,
        "policy-latin1.yaml": (EXAMPLES / "policy.yaml").read_bytes().replace(
            b"Sales & Marketing SLA", b"Ventes & March\xe9 SLA"
        ),
        "policy-binary.yaml": b"\x00\x01\x02" * 100,
        "policy-empty.yaml": b"",
        "policy-list.yaml": b"- a\n- b\n",
        "policy-broken.yaml": b"version: 1\nagreement: [unclosed\n",
        "policy-utf16.yaml": (EXAMPLES / "policy.yaml").read_text().encode("utf-16"),
        "scenario-latin1.yaml": (EXAMPLES / "scenario.yaml").read_bytes() + b"# caf\xe9\n",
        "scenario-dupes.yaml": (EXAMPLES / "scenario.yaml").read_bytes(),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    (root / "a-folder").mkdir(exist_ok=True)
    (root / "a-file").write_text("not a folder\n")
    return root


def digest(root: Path) -> dict[str, bytes]:
    """Every file's bytes under ROOT (to show that nothing changed)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def env_without_leadflow() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
