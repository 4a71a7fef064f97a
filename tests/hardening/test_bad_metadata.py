"""Broken ``*.dist-info`` trees of ``fixtures/bad/dist-info`` (and generated ones).

freeze never stops on one broken distribution: it exits 0, writes what it
could read, and prints one ``warning:`` line naming the directory or file and
what is wrong (as pip does). RECORD problems are met by ``check --verify-files``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

import envsnap.environment.metadata as metadata_module
from hardening.corpus import (
    assert_error,
    assert_no_traceback,
    fake_target,
    invoke,
    lines_of,
    site_packages,
)

if TYPE_CHECKING:
    from pathlib import Path

HEADER_END = " top-level, "

# case -> (fragments of the one warning line, the pins freeze still writes)
CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "no-metadata": (("nometa-1.0.dist-info: no METADATA file: skipped",), ()),
    "metadata-latin1": (
        ("latin-1.0.dist-info/METADATA: not UTF-8 (byte 56); undecodable bytes replaced",),
        ("latin==1.0",),
    ),
    "no-name": (("noname-1.0.dist-info: metadata has no Name: skipped",), ()),
    "no-version": (("noversion-1.0.dist-info: metadata has no Version: skipped",), ()),
    "invalid-version": (("badver-1.0.dist-info: invalid version '1.0-foo bar': skipped",), ()),
    "missing-dependency": (("needy requires ghost>=2, but it is not installed",), ("needy==1.0",)),
    "two-dist-info": (
        ("twice-2.0.dist-info: twice is installed twice: also at ", "twice-1.0.dist-info"),
        ("twice==1.0",),
    ),
    "empty-dir": (("empty-1.0.dist-info: no METADATA file: skipped",), ()),
    "direct-url-invalid-json": (
        ("durl-1.0.dist-info/direct_url.json: invalid direct_url.json (Expecting ",),
        ("durl==1.0",),
    ),
    "direct-url-not-object": (
        ("durl-1.0.dist-info/direct_url.json: invalid direct_url.json (a JSON list",),
        ("durl==1.0",),
    ),
    "direct-url-no-url": (
        ("direct_url.json: invalid direct_url.json (Missing required value in 'url'): ignored",),
        ("durl==1.0",),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_freeze_warns_and_goes_on(
    case: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fragments, pins = CASES[case]
    venv = fake_target(monkeypatch, tmp_path, case)
    result = invoke("freeze", "-p", str(venv))
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    warnings = lines_of(result.stderr, "warning: ")
    assert len(warnings) == 1, result.stderr
    for fragment in fragments:
        assert fragment in warnings[0]
    assert str(site_packages(venv)) in warnings[0] or "requires" in warnings[0]
    written = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert written == list(pins)


def test_invalid_requires_dist_lines_are_skipped_one_warning_each(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    venv = fake_target(monkeypatch, tmp_path, "invalid-requires-dist")
    result = invoke("freeze", "-p", str(venv))
    assert_no_traceback(result)
    assert result.exit_code == 0
    warnings = lines_of(result.stderr, "warning: ")
    assert [w.split(": ", 2)[2].split(" skipped")[0] for w in warnings] == [
        "invalid Requires-Dist 'scikit-learn (>=1.0.*)'",
        "invalid Requires-Dist 'okdep; python_version >>> \"3\"'",
    ]
    assert all("badreq-1.0.dist-info:" in w for w in warnings)
    assert result.stdout.splitlines()[1:] == ["# top-level", "badreq==1.0", "# transitive"]


def test_direct_url_unknown_keys_are_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PEP 610 readers ignore keys they do not know; the archive origin is kept."""
    venv = fake_target(monkeypatch, tmp_path, "direct-url-unknown-keys")
    result = invoke("freeze", "-p", str(venv), "-q")  # -q: errors and warnings only
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines()[2] == (
        "durl @ https://example.invalid/durl-1.0.tar.gz"
        "#sha256=4112601f8679f6493b7e2adb4dddfb4390332dfa388278fdb12f20063caceebd"
    )


def test_symlink_loop_in_site_packages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    venv = fake_target(monkeypatch, tmp_path, "missing-dependency")
    site = site_packages(venv)
    (site / "loop-1.0.dist-info").symlink_to(site / "loop-1.0.dist-info")
    (site / "a-link").symlink_to(site / "b-link")
    (site / "b-link").symlink_to(site / "a-link")
    result = invoke("freeze", "-p", str(venv))
    assert_no_traceback(result)
    assert result.exit_code == 0
    warnings = lines_of(result.stderr, "warning: ")
    assert warnings[0] == (
        f"warning: {site}/loop-1.0.dist-info/METADATA: cannot read: "
        "Too many levels of symbolic links: skipped"
    )
    assert "needy==1.0" in result.stdout.splitlines()


def _restrict(path: Path) -> None:
    path.chmod(0)


def test_unreadable_metadata_chmod_000(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """chmod 000 stops a normal user; root reads through it (and so does envsnap)."""
    venv = fake_target(monkeypatch, tmp_path, "missing-dependency")
    metadata = site_packages(venv) / "needy-1.0.dist-info" / "METADATA"
    _restrict(metadata)
    try:
        result = invoke("freeze", "-p", str(venv))
    finally:
        metadata.chmod(0o644)
    assert_no_traceback(result)
    assert result.exit_code == 0
    if os.geteuid() == 0:  # root: permissions do not apply, the file is read
        assert "needy==1.0" in result.stdout.splitlines()
    else:
        assert f"warning: {metadata}: cannot read: Permission denied: skipped" in result.stderr
        assert "needy==1.0" not in result.stdout.splitlines()


def test_unreadable_metadata_permission_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The non-root case, whoever runs the tests: opening METADATA raises PermissionError."""
    venv = fake_target(monkeypatch, tmp_path, "missing-dependency")
    metadata = site_packages(venv) / "needy-1.0.dist-info" / "METADATA"
    real_open = metadata_module.open_regular_fd

    def guarded(path: str | os.PathLike[str]) -> tuple[int, int]:
        if os.fspath(path) == os.fspath(metadata):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path)

    monkeypatch.setattr(metadata_module, "open_regular_fd", guarded)
    result = invoke("freeze", "-p", str(venv))
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert lines_of(result.stderr, "warning: ") == [
        f"warning: {metadata}: cannot read: Permission denied: skipped"
    ]
    assert result.stdout.splitlines()[1:] == ["# top-level", "# transitive"]


FIFTY_MB = 50 * 1024 * 1024


@pytest.mark.parametrize("where", ["body", "header"])
def test_fifty_megabyte_metadata(
    where: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A 50 MB METADATA: a long description body, or one endless header line.

    The header case took 197 s before the header read was made linear (it
    searched the whole buffer for the blank line after every 16 KiB read).
    """
    venv = fake_target(monkeypatch, tmp_path)
    info = site_packages(venv) / "big-1.0.dist-info"
    info.mkdir()
    with (info / "METADATA").open("wb") as handle:
        handle.write(b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\n")
        if where == "body":
            handle.write(b"\n")
        handle.write(b"Description: " if where == "header" else b"")
        handle.write(b"x" * FIFTY_MB + b"\n")
    result = invoke("freeze", "-p", str(venv), "-q")  # -q: errors and warnings only
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines()[1:] == ["# top-level", "big==1.0", "# transitive"]


# --------------------------------------------------------------- RECORD (check --verify-files)


def _freeze_then_verify(venv: Path, tmp_path: Path) -> tuple[str, object]:
    lock = tmp_path / "requirements.txt"
    frozen = invoke("freeze", "-p", str(venv), "-o", str(lock))
    assert frozen.exit_code == 0, frozen.stderr
    return str(lock), invoke("check", str(lock), "-p", str(venv), "--verify-files")


def test_record_missing_is_not_verifiable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    venv = fake_target(monkeypatch, tmp_path, "record-missing")
    _, result = _freeze_then_verify(venv, tmp_path)
    assert_no_traceback(result)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.stdout  # type: ignore[attr-defined]


def test_record_malformed_rows_are_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Rows without a known hash are not verifiable (PEP 376); the good row still is."""
    venv = fake_target(monkeypatch, tmp_path, "record-malformed")
    _, result = _freeze_then_verify(venv, tmp_path)
    assert_no_traceback(result)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.stdout  # type: ignore[attr-defined]
    (site_packages(venv) / "rec" / "__init__.py").write_text("VALUE = 2\n", encoding="utf-8")
    _, changed = _freeze_then_verify(venv, tmp_path)
    assert_no_traceback(changed)  # type: ignore[arg-type]
    assert changed.exit_code == 1  # type: ignore[attr-defined]
    assert "rec/__init__.py" in changed.stdout  # type: ignore[attr-defined]


def test_record_field_over_csv_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A RECORD field over csv's 128 KiB limit used to escape as a csv.Error traceback."""
    venv = fake_target(monkeypatch, tmp_path, "record-missing")
    record = site_packages(venv) / "rec-1.0.dist-info" / "RECORD"
    record.write_text("rec/big.py,sha256=" + "A" * 140_000 + ",1\n", encoding="utf-8")
    _, result = _freeze_then_verify(venv, tmp_path)
    assert_error(
        result,  # type: ignore[arg-type]
        3,
        f"{record}: malformed RECORD (field larger than field limit",
        hint="reinstall the package",
    )


def test_record_listing_a_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A RECORD row naming a directory cannot be hashed: exit 3 naming it (record.py's choice)."""
    venv = fake_target(monkeypatch, tmp_path, "record-lists-directory")
    _, result = _freeze_then_verify(venv, tmp_path)
    directory = site_packages(venv) / "rec"
    assert_error(
        result,  # type: ignore[arg-type]
        3,
        f"error: {directory}: cannot read: Is a directory",
        hint="RECORD lists it as an installed file: reinstall the package",
    )


def test_every_dist_info_case_is_tested() -> None:
    from hardening.corpus import BAD  # noqa: PLC0415

    tested = {*CASES, "invalid-requires-dist", "direct-url-unknown-keys"}
    tested |= {"record-missing", "record-malformed", "record-lists-directory"}
    assert {p.name for p in (BAD / "dist-info").iterdir()} == tested
