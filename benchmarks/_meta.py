"""What the generator records next to a stream (importable without numpy)."""

from __future__ import annotations

from pathlib import Path

GENERATOR_VERSION = 2


def meta_path(stream: Path) -> Path:
    return stream.with_name(stream.name + ".meta.json")
