"""Class-data sharing for the broker's JVM: dump once from a clean exit, then map it."""

from __future__ import annotations

from pathlib import Path

from streams.broker.cds import ARCHIVE, cds_flags, keep_archive


def test_without_an_archive_the_broker_dumps_one_and_tools_do_not(tmp_path: Path) -> None:
    jars, home = tmp_path / "jars", tmp_path / "home"
    jars.mkdir()
    assert cds_flags(jars, home, dump=True) == [f"-XX:ArchiveClassesAtExit={home / ARCHIVE}"]
    assert cds_flags(jars, home, dump=False) == []


def test_a_shared_archive_is_used_by_every_jvm(tmp_path: Path) -> None:
    jars, home = tmp_path / "jars", tmp_path / "home"
    jars.mkdir()
    (jars / ARCHIVE).write_bytes(b"archive")
    for dump in (True, False):
        assert cds_flags(jars, home, dump=dump) == [
            "-Xshare:auto",
            f"-XX:SharedArchiveFile={jars / ARCHIVE}",
        ]


def test_only_a_clean_exit_shares_its_archive_and_only_once(tmp_path: Path) -> None:
    jars, home = tmp_path / "jars", tmp_path / "home"
    jars.mkdir()
    home.mkdir()
    (home / ARCHIVE).write_bytes(b"killed mid-dump")
    keep_archive(home, jars, clean_exit=False)
    assert not (jars / ARCHIVE).exists()
    assert not (home / ARCHIVE).exists()

    (home / ARCHIVE).write_bytes(b"first")
    keep_archive(home, jars, clean_exit=True)
    assert (jars / ARCHIVE).read_bytes() == b"first"
    (home / ARCHIVE).write_bytes(b"second")
    keep_archive(home, jars, clean_exit=True)
    assert (jars / ARCHIVE).read_bytes() == b"first"
    assert sorted(p.name for p in jars.iterdir()) == [ARCHIVE]  # no partial copies left


def test_a_stop_that_does_not_know_the_jars_still_stops(tmp_path: Path) -> None:
    """`leadflow kafka stop --dir D` without `--jars`: the default jars folder may not exist;
    the archive is a start-up speed-up only, so the stop goes on and cleans up."""
    jars, home = tmp_path / "home" / "jars", tmp_path / "home"
    home.mkdir()
    (home / ARCHIVE).write_bytes(b"dumped")
    keep_archive(home, jars, clean_exit=True)
    assert not jars.exists()
    assert not (home / ARCHIVE).exists()
