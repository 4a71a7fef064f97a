"""The requirements readers (strict and pip-api) and the dispatching read_lock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from envsnap.errors import InputError, LockFileError
from envsnap.formats import pip_requirements, requirements
from envsnap.lock import LockedPackage
from envsnap.origin import Origin
from envsnap.readers import default_lock_file, read_lock

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "requirements"
ENVSNAP_FILES = sorted(
    p for p in FIXTURES.glob("envsnap-*.txt") if not p.name.startswith("envsnap-bad-")
)


def test_fixture_set_is_there() -> None:
    assert [p.name for p in ENVSNAP_FILES] == [
        "envsnap-basic.txt",
        "envsnap-extras.txt",
        "envsnap-hashes.txt",
        "envsnap-origins.txt",
        "envsnap-top-level-only.txt",
    ]


@pytest.mark.parametrize("path", ENVSNAP_FILES, ids=lambda p: p.name)
def test_both_readers_give_the_same_lock(path: Path) -> None:
    strict = requirements.load(path)
    lenient = pip_requirements.load(path)
    assert strict == lenient
    assert strict.written_by_envsnap
    assert strict.problems == ()
    assert all(p.pinned for p in strict.packages)


def test_strict_basic_sections_reasons_lines() -> None:
    lock = requirements.load(FIXTURES / "envsnap-basic.txt")
    assert lock.python_version == "3.11.7"
    assert lock.complete
    assert [p.name for p in lock.top_level] == ["requests", "rich"]
    idna = lock.get("IDNA")
    assert idna == LockedPackage(
        name="idna",  # type: ignore[arg-type]
        display_name="idna",
        version=Version("3.10"),
        top_level=False,
        reason="via requests, rich",
        line=8,
    )


def test_strict_hashes_and_continuations() -> None:
    lock = requirements.load(FIXTURES / "envsnap-hashes.txt")
    alpha = lock.get("alpha")
    assert alpha is not None
    assert alpha.hashes == ("sha256:" + "0" * 64, "sha256:" + "1" * 64)
    mixed = lock.get("mixed-case-name")
    assert mixed is not None
    assert (mixed.display_name, mixed.line, mixed.reason) == ("Mixed.Case_Name", 7, "via alpha")
    assert lock.python_version == "3.12.4"


def test_strict_origins() -> None:
    lock = requirements.load(FIXTURES / "envsnap-origins.txt")
    assert lock.get("my-proj") == LockedPackage(
        name="my-proj",  # type: ignore[arg-type]
        display_name="My_Proj",
        version=None,
        origin=Origin(kind="directory", url=(FIXTURES / "proj").as_uri(), editable=True),
        top_level=True,
        line=3,
    )
    tool = lock.get("tool")
    assert tool is not None
    assert tool.origin == Origin(
        kind="vcs",
        url="https://example.invalid/org/tool.git",
        vcs="git",
        commit="0123456789abcdef0123456789abcdef01234567",
        subdirectory="src",
    )
    wheelie = lock.get("wheelie")
    assert wheelie is not None
    assert wheelie.origin == Origin(
        kind="archive",
        url="https://example.invalid/files/wheelie-1.0-py3-none-any.whl",
        archive_hash="sha256=abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
    )


def test_top_level_only_file_is_not_complete() -> None:
    lock = requirements.load(FIXTURES / "envsnap-top-level-only.txt")
    assert not lock.complete
    assert [p.name for p in lock.top_level] == ["alpha", "solo"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "envsnap-bad-unpinned.txt",
            "envsnap-bad-unpinned.txt:4: requests>=2.31 is not pinned as name==version",
        ),
        (
            "envsnap-bad-option.txt",
            "envsnap-bad-option.txt:3: option --index-url is not part of a file envsnap writes",
        ),
        ("hand-main.txt", "hand-main.txt:1: not a file envsnap wrote (no '# envsnap' header)"),
    ],
)
def test_strict_reader_refuses_outside_its_grammar(name: str, message: str) -> None:
    with pytest.raises(LockFileError) as info:
        requirements.load(FIXTURES / name)
    assert info.value.message == f"{FIXTURES}/{message}"
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("alpha==1.0\n", 2, "requirement before the '# top-level' section line"),
        ("# top-level\nalpha==1.0\nALPHA==1.0\n", 4, "alpha is listed twice"),
        (
            "# top-level\nalpha==1.0\n    # via x\n",
            4,
            "'# via' line outside the '# transitive' section",
        ),
        (
            "# top-level\nalpha==1.0 --hash=md5:00\n",
            3,
            "invalid --hash=md5:00 (expected --hash=sha256:HEX)",
        ),
        (
            "# top-level\n--hash=sha256:00 alpha==1.0\n",
            3,
            "--hash options must come after the requirement",
        ),
        (
            "# top-level\nalpha==1.0 ; python_version>'3'\n",
            3,
            "markers are not part of a file envsnap writes",
        ),
        ("# top-level\nalpha==\n", 3, "invalid requirement: "),
        ("# top-level\nalpha===1.0\n", 3, "alpha===1.0 is not pinned as name==version"),
        ("# top-level\n-e ./nowhere\n", 3, "-e ./nowhere: "),
    ],
)
def test_strict_reader_errors_name_the_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "requirements.txt"
    header = "# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 1 top-level, 0 transitive\n"
    path.write_text(header + text, encoding="utf-8")
    with pytest.raises(LockFileError) as info:
        requirements.load(path)
    assert info.value.message.startswith(f"{path}:{line}: {message}")


def test_pip_reader_hand_written_file() -> None:
    path = FIXTURES / "hand-main.txt"
    lock = pip_requirements.load(path)
    assert not lock.written_by_envsnap
    assert lock.python_version is None
    assert not lock.complete
    assert lock.index_options == (
        "--index-url http://127.0.0.1:9/simple/",
        "--extra-index-url http://127.0.0.1:9/extra/",
        "--find-links ./wheels",
    )
    assert [p.name for p in lock.packages] == [
        "alpha",
        "beta",
        "delta",
        "epsilon",
        "gamma",
        "my-proj",
        "omega",
        "solo",
    ]
    assert lock.problems == (
        f"{path}:9: delta>=2.0 is not pinned to one version",
        f"{path}:11: epsilon==1.* is not pinned to one version",
    )
    delta = lock.get("delta")
    assert delta is not None
    assert (delta.version, delta.specifier, delta.extras, delta.line) == (
        None,
        SpecifierSet(">=2.0"),
        ("fast",),
        9,
    )
    epsilon = lock.get("epsilon")
    assert epsilon is not None
    assert epsilon.marker == Marker('python_version >= "3"')
    # -c pins fill in an unpinned requirement; a constraint alone adds nothing
    omega = lock.get("omega")
    assert omega is not None
    assert (omega.version, omega.specifier) == (Version("2.0"), None)
    assert lock.get("unused") is None
    # from the -r include: no line of the main file
    gamma = lock.get("gamma")
    assert gamma is not None
    assert (gamma.line, gamma.hashes) == (None, ("sha256:" + "3" * 64,))
    solo = lock.get("solo")
    assert solo is not None
    assert solo.origin == Origin(
        kind="archive", url="https://example.invalid/files/solo-1.0-py3-none-any.whl"
    )
    assert solo.pinned
    my_proj = lock.get("my-proj")
    assert my_proj is not None
    assert my_proj.origin == Origin(
        kind="directory", url=(FIXTURES / "proj").as_uri(), editable=True
    )


def test_pip_reader_no_index() -> None:
    lock = pip_requirements.load(FIXTURES / "hand-no-index.txt")
    assert lock.index_options == ("--no-index", "--find-links ./wheels")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("hand-invalid.txt", "hand-invalid.txt:2: Invalid requirement: 'beta=1.0'"),
        (
            "hand-missing-include.txt",
            "hand-missing-include.txt:1: -r does-not-exist.txt: no such file",
        ),
    ],
)
def test_pip_reader_errors(name: str, message: str) -> None:
    with pytest.raises(LockFileError) as info:
        pip_requirements.load(FIXTURES / name)
    assert info.value.message == f"{FIXTURES}/{message}"


def test_pip_reader_line_numbers_follow_continuations(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text(
        "alpha==1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n\nbeta==2.0\n", encoding="utf-8"
    )
    lock = pip_requirements.load(path)
    assert [(p.name, p.line) for p in lock.packages] == [("alpha", 1), ("beta", 4)]


def test_read_lock_dispatch(tmp_path: Path) -> None:
    strict = read_lock(FIXTURES / "envsnap-basic.txt")
    assert strict.written_by_envsnap
    hand = read_lock(FIXTURES / "hand-no-index.txt")
    assert hand.index_options == ("--no-index", "--find-links ./wheels")
    with pytest.raises(LockFileError) as info:
        read_lock(tmp_path / "missing.txt")
    assert info.value.message == f"{tmp_path}/missing.txt: no such file"
    with pytest.raises(LockFileError) as info:
        read_lock(tmp_path)
    assert info.value.message == f"{tmp_path}: is a directory, not a lock file"
    broken = tmp_path / "pylock.toml"
    broken.write_text("not toml [", encoding="utf-8")
    with pytest.raises(LockFileError):
        read_lock(broken)


def test_default_lock_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        default_lock_file(tmp_path)
    assert (
        info.value.message
        == f"no lock file: neither pylock.toml nor requirements.txt in {tmp_path}"
    )
    assert info.value.hint is not None
    shutil.copy(FIXTURES / "envsnap-basic.txt", tmp_path / "requirements.txt")
    assert default_lock_file(tmp_path) == tmp_path / "requirements.txt"
    (tmp_path / "pylock.toml").write_text("", encoding="utf-8")
    assert default_lock_file(tmp_path) == tmp_path / "pylock.toml"


PINS = (
    "# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 6 top-level, 0 transitive\n"
    "# top-level\n"
    "Foo.Bar_baz==1.0\n"
    "a==1!2.0.post1+local.7\n"
    "b-c==01.00RC1\n"
    "d==2.0 --hash=sha256:00ff\n"
    "e==1.0.dev3 \\\n    --hash=sha256:aa\n"
    "Z==0\n"
)


def test_plain_pins_read_without_requirement_parse_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``name==version`` lines skip Requirement(); the Lock is the one it would give."""
    import re  # noqa: PLC0415

    path = tmp_path / "requirements.txt"
    path.write_text(PINS, encoding="utf-8")
    fast = requirements.load(path)
    assert fast == pip_requirements.load(path)
    assert [(p.display_name, p.version) for p in fast.packages] == [
        ("a", Version("1!2.0.post1+local.7")),
        ("b-c", Version("1.0rc1")),
        ("d", Version("2.0")),
        ("e", Version("1.0.dev3")),
        ("Foo.Bar_baz", Version("1.0")),
        ("Z", Version("0")),
    ]
    monkeypatch.setattr(requirements, "_PIN", re.compile(r"(?!)"))  # Requirement() for all
    assert requirements.load(path) == fast


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("alpha==1.*", "alpha==1.* is not pinned as name==version"),
        ("alpha==1..0", "invalid requirement: "),
        ("alpha==1.0==2", "invalid requirement: "),
        ("-alpha==1.0", "option -alpha==1.0 is not part of a file envsnap writes"),
    ],
)
def test_pins_that_are_not_plain_keep_their_errors(tmp_path: Path, pin: str, message: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(PINS.partition("# top-level")[0] + f"# top-level\n{pin}\n", encoding="utf-8")
    with pytest.raises(LockFileError) as info:
        requirements.load(path)
    assert info.value.message.startswith(f"{path}:3: {message}")


def test_a_json_snapshot_is_not_a_lock_file(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    snap.write_text('{"schema": "envsnap.snapshot/1"}\n', encoding="utf-8")
    with pytest.raises(LockFileError) as caught:
        read_lock(snap)
    assert caught.value.message == (
        f"{snap}: a JSON file, not a lock file (envsnap freeze --format json is a report)"
    )


def test_a_toml_lock_under_another_name_is_read_as_pylock(tmp_path: Path) -> None:
    other = tmp_path / "uv.toml"
    other.write_bytes((FIXTURES.parent / "pylock" / "uv-lock.toml").read_bytes())
    lock = read_lock(other)
    assert lock.format == "pylock"
    assert lock.complete
    assert lock.problems[-1] == (
        "uv.toml: read as a pylock file; PEP 751 names them pylock.toml or pylock.NAME.toml"
    )


def test_extras_on_top_level_lines_are_read() -> None:
    lock = requirements.load(FIXTURES / "envsnap-extras.txt")
    assert not lock.complete  # a top-level-only file: the only kind with extras
    assert [(p.name, p.extras, p.top_level) for p in lock.packages] == [
        ("flask", ("async", "dotenv"), True),
        ("requests", (), True),
        ("uvicorn", ("standard",), True),
    ]
