"""The requirements reader (its three outcomes) and the dispatching read_lock."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from envsnap.errors import EnvsnapError, InputError, LockFileError
from envsnap.lock import LockedPackage, Origin
from envsnap.lockfiles.readers import default_lock_file, read_lock
from envsnap.lockfiles.requirements import pip_api_parser, read
from envsnap.lockfiles.requirements.read import load

Refusal = Callable[..., EnvsnapError]
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requirements"
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
def test_both_grammars_give_the_same_lock(path: Path) -> None:
    strict = load(path)
    lenient = load(path, pip_api=True)
    assert strict == lenient
    assert strict.written_by_envsnap
    assert strict.problems == ()
    assert all(p.pinned for p in strict.packages)


def test_strict_basic_sections_reasons_lines() -> None:
    lock = load(FIXTURES / "envsnap-basic.txt")
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
    lock = load(FIXTURES / "envsnap-hashes.txt")
    alpha = lock.get("alpha")
    assert alpha is not None
    assert alpha.hashes == ("sha256:" + "0" * 64, "sha256:" + "1" * 64)
    mixed = lock.get("mixed-case-name")
    assert mixed is not None
    assert (mixed.display_name, mixed.line, mixed.reason) == ("Mixed.Case_Name", 7, "via alpha")
    assert lock.python_version == "3.12.4"


def test_strict_origins() -> None:
    lock = load(FIXTURES / "envsnap-origins.txt")
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
    lock = load(FIXTURES / "envsnap-top-level-only.txt")
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
    ],
)
def test_strict_reader_refuses_outside_its_grammar(name: str, message: str) -> None:
    with pytest.raises(LockFileError) as info:
        load(FIXTURES / name)
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
    tmp_path: Path, refusal: Refusal, text: str, line: int, message: str
) -> None:
    header = "# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 1 top-level, 0 transitive\n"
    refused = refusal(header + text)
    assert refused.message.startswith(f"{tmp_path}/requirements.txt:{line}: {message}")


def test_pip_reader_hand_written_file() -> None:
    path = FIXTURES / "hand-main.txt"
    lock = load(path)
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
    # from the -r include: its own file and line there (for annotations)
    gamma = lock.get("gamma")
    assert gamma is not None
    assert (gamma.file, gamma.line, gamma.hashes) == (
        FIXTURES / "hand-base.txt",
        3,
        ("sha256:" + "3" * 64,),
    )
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
    lock = load(FIXTURES / "hand-no-index.txt")
    assert lock.index_options == ("--no-index", "--find-links ./wheels")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "hand-invalid.txt",
            "hand-invalid.txt:2: Invalid requirement: 'beta=1.0': did you mean 'beta==1.0'?",
        ),
        (
            "hand-missing-include.txt",
            "hand-missing-include.txt:1: -r does-not-exist.txt: no such file",
        ),
    ],
)
def test_pip_reader_errors(name: str, message: str) -> None:
    with pytest.raises(LockFileError) as info:
        load(FIXTURES / name)
    assert info.value.message == f"{FIXTURES}/{message}"


def test_pip_reader_line_numbers_follow_continuations(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text(
        "alpha==1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n\nbeta==2.0\n", encoding="utf-8"
    )
    lock = load(path)
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
    fast = load(path)
    assert fast == load(path, pip_api=True)
    assert [(p.display_name, p.version) for p in fast.packages] == [
        ("a", Version("1!2.0.post1+local.7")),
        ("b-c", Version("1.0rc1")),
        ("d", Version("2.0")),
        ("e", Version("1.0.dev3")),
        ("Foo.Bar_baz", Version("1.0")),
        ("Z", Version("0")),
    ]
    monkeypatch.setattr(read, "_PIN", re.compile(r"(?!)"))  # Requirement() for all
    assert load(path) == fast


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("alpha==1.*", "alpha==1.* is not pinned as name==version"),
        ("alpha==1..0", "invalid requirement: "),
        ("alpha==1.0==2", "invalid requirement: "),
        ("-alpha==1.0", "option -alpha==1.0 is not part of a file envsnap writes"),
    ],
)
def test_pins_that_are_not_plain_keep_their_errors(
    tmp_path: Path, refusal: Refusal, pin: str, message: str
) -> None:
    refused = refusal(PINS.partition("# top-level")[0] + f"# top-level\n{pin}\n")
    assert refused.message.startswith(f"{tmp_path}/requirements.txt:3: {message}")


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


def _classes(path: Path) -> list[tuple[str, bool, str | None]]:
    return [(p.name, p.top_level, p.reason) for p in load(path).packages]


def test_pip_compile_file_with_hashes_and_via_lines() -> None:
    path = FIXTURES / "pip-compile-hashes.txt"
    lock = load(path)
    assert lock.index_options == ("--extra-index-url https://mirror.example.invalid/simple/",)
    assert lock.problems == ()
    assert not lock.complete  # the closure check decides, from the wheels
    assert all(p.pinned and p.hashes for p in lock.packages)
    assert _classes(path) == [
        ("babel", False, "via jinja2"),
        ("blinker", False, "via flask"),
        ("click", True, "requested"),  # -r and a package: top-level
        ("flask", True, "requested"),
        ("itsdangerous", False, "via flask"),
        ("jinja2", True, "requested"),
        ("markupsafe", False, "via flask, jinja2, werkzeug"),
        ("werkzeug", False, "via flask"),
    ]
    jinja2 = lock.get("jinja2")
    assert jinja2 is not None
    assert (jinja2.extras, jinja2.version, jinja2.line) == (("i18n",), Version("3.1.6"), 31)
    assert jinja2.hashes == (
        "sha256:0137fb05990d35f1275a587e9aee6d56da821fc83491a0fb838183be43f66d6d",
        "sha256:85ece4451f492d0c13c5dd7c13a64681a86afae63a5f347908daf103ce6d2f67",
    )


def test_uv_compiled_file_without_hashes() -> None:
    path = FIXTURES / "uv-compile.txt"
    lock = load(path)
    assert lock.problems == ()
    assert lock.index_options == ()
    assert all(p.pinned and not p.hashes for p in lock.packages)
    assert [p.name for p in lock.top_level] == ["click", "flask", "jinja2"]
    assert _classes(path)[-2:] == [
        ("markupsafe", False, "via flask, jinja2, werkzeug"),
        ("werkzeug", False, "via flask"),
    ]


def test_a_file_without_annotations_requests_every_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("requests==2.34.2\nurllib3==2.8.0\n", encoding="utf-8")
    assert _classes(path) == [("requests", True, "requested"), ("urllib3", True, "requested")]


def test_included_files_are_requested_too() -> None:
    lock = load(FIXTURES / "hand-main.txt")
    assert all(p.top_level and p.reason == "requested" for p in lock.packages)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "a==1  # via -r requirements.in\nb==1  # via a, c\nc==1  # via a, -r x.in\n",
            [("a", True, "requested"), ("b", False, "via a, c"), ("c", True, "requested")],
            id="line-style",
        ),
        pytest.param(
            "a==1\n    # via my-app (pyproject.toml)\nb==1\n    # via a\n",
            [("a", True, "declared"), ("b", False, "via a")],
            id="project-source",
        ),
        pytest.param(
            "a==1\n    # via -c constraints.txt\nb==1\n    # via\n    #   -c c.txt\n    #   a\n",
            [("a", True, "requested"), ("b", False, "via a")],
            id="constraints",
        ),
        pytest.param(
            "a==1\n    # via b\nb==1\n\n# The following packages are considered to be unsafe\n"
            "# pip==25.0\n",
            [("a", False, "via b"), ("b", True, "requested")],
            id="unannotated-line-in-annotated-file",
        ),
    ],
)
def test_via_annotations(
    tmp_path: Path, text: str, expected: list[tuple[str, bool, str | None]]
) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    assert _classes(path) == expected


PINNED_FILES = [FIXTURES / "pip-compile-hashes.txt", FIXTURES / "uv-compile.txt"]


@pytest.fixture
def pip_api_runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the reader hands to pip-api's parser (it is still called)."""
    parsed: list[Path] = []
    parse = pip_api_parser._parse

    def recorded(file: Path, *, where: str) -> list[object]:
        parsed.append(file)
        return parse(file, where=where)

    monkeypatch.setattr(pip_api_parser, "_parse", recorded)
    return parsed


@pytest.mark.parametrize("path", PINNED_FILES, ids=lambda p: p.name)
def test_fully_pinned_files_read_without_pip_api_give_the_same_lock(
    path: Path, pip_api_runs: list[Path]
) -> None:
    plain = load(path)
    assert pip_api_runs == []
    assert plain == load(path, pip_api=True)
    assert pip_api_runs == [path]
    assert read_lock(path) == plain


@pytest.mark.parametrize(
    "text",
    [
        "alpha==1.0\nbeta==2.0\n",
        'alpha[x,Y]==1.0 ; python_version >= "3"  # via -r req.in\n',
        "--index-url https://mirror.example.invalid/simple/\n-f ./wheels\n--no-index\n"
        "--trusted-host mirror.example.invalid\n--prefer-binary\nalpha===1.0\n",
        "alpha==1.0 \\\n    --hash=sha256:"
        + "a" * 64
        + " \\\n    --hash=sha512:"
        + "b" * 128
        + "\n",
        "alpha @ https://files.example.invalid/alpha-1.0-py3-none-any.whl\n",
        "alpha==1.0 --hash sha256:" + "a" * 64 + " --pre\n",
    ],
)
def test_fully_pinned_reading_agrees_with_pip_api(
    tmp_path: Path, text: str, pip_api_runs: list[Path]
) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    plain = load(path)
    assert pip_api_runs == []
    assert plain == load(path, pip_api=True)


def test_fully_pinned_reading_keeps_pins_whose_marker_is_false_here(
    tmp_path: Path, pip_api_runs: list[Path]
) -> None:
    # the venv restore builds (or check reads) may be another Python: it decides, not envsnap's
    path = tmp_path / "requirements.txt"
    path.write_text(
        'alpha==1.0\nbeta==2.0 ; python_version < "3"\n'
        # uv --universal: one name twice, disjoint markers
        "numpy==2.1.0 ; python_full_version >= '3.0'\n"
        "    # via -r requirements.in\n"
        "numpy==1.26.4 ; python_full_version < '3.0'\n"
        "    # via -r requirements.in\n",
        encoding="utf-8",
    )
    plain = read_lock(path)
    assert pip_api_runs == []
    pins = [(p.name, str(p.version), str(p.marker) if p.marker else None) for p in plain.packages]
    assert pins == [
        ("alpha", "1.0", None),
        ("beta", "2.0", 'python_version < "3"'),
        ("numpy", "2.1.0", 'python_full_version >= "3.0"'),
        ("numpy", "1.26.4", 'python_full_version < "3.0"'),
    ]  # fmt: skip
    assert [p.top_level for p in plain.packages] == [True, True, True, True]
    # through pip-api (files with includes, unpinned lines...) they are kept too
    assert load(path, pip_api=True).packages == plain.packages


@pytest.mark.parametrize(
    "text",
    [
        "alpha>=1.0\n",  # unpinned
        "alpha==1.*\n",
        "-r other.txt\n",
        "-c other.txt\nalpha==1.0\n",
        "./wheels/alpha-1.0-py3-none-any.whl\n",
    ],
)
def test_anything_else_is_read_through_pip_api(
    tmp_path: Path, text: str, pip_api_runs: list[Path]
) -> None:
    (tmp_path / "other.txt").write_text("alpha==1.0\n", encoding="utf-8")
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / "alpha-1.0-py3-none-any.whl").write_bytes(b"")
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    lock = load(path)
    assert pip_api_runs[-1] == path
    assert [p.name for p in lock.packages] == ["alpha"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alpha==1.0 --frobnicate\n", ":1: --frobnicate: not an option pip accepts"),
        ("--frobnicate\n", ":1: --frobnicate: not an option pip accepts"),
        ("alpha==1.0\nAlpha==2.0\n", ":2: alpha is listed twice (also on line 1)"),
        ('alpha==1.0\nalpha==2.0 ; python_version < "3"\n', ":2: alpha is listed twice"),
        ('alpha==1.0 ; python_version < "3"\nalpha==2.0\n', ":2: alpha is listed twice"),
        ('a==1 ; python_version < "3"\na==2 ; python_version >= "3"\na==3\n', ":3: a is listed"),
        ("foo bar==1.0\n", ":1: Invalid requirement: 'foo bar==1.0': Expected semicolon"),
        ("alpha==1.0 --hash=md5:" + "a" * 32 + "\n", ":1: Invalid --hash kind md5"),
        ("\ufeffalpha==1.0\n", ":1: the file starts with a byte-order mark (BOM)"),
    ],
)
def test_a_line_outside_pips_grammar_is_refused_at_its_line(
    tmp_path: Path, refusal: Refusal, text: str, message: str, pip_api_runs: list[Path]
) -> None:
    assert refusal(text).message.startswith(f"{tmp_path}/requirements.txt{message}")
    assert pip_api_runs == []


def test_read_lock_of_a_plain_pinned_file_does_not_import_pip_api() -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "import sys; from pathlib import Path; from envsnap.lockfiles.readers import read_lock; "
        f"lock = read_lock(Path({str(PINNED_FILES[0])!r})); "
        "print(len(lock.packages), 'pip_api' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "8 False\n"


def test_extras_on_top_level_lines_are_read() -> None:
    lock = load(FIXTURES / "envsnap-extras.txt")
    assert not lock.complete  # a top-level-only file: the only kind with extras
    assert [(p.name, p.extras, p.top_level) for p in lock.packages] == [
        ("flask", ("async", "dotenv"), True),
        ("requests", (), True),
        ("uvicorn", ("standard",), True),
    ]


def test_pip_reader_keeps_every_line_whose_marker_is_false_here(tmp_path: Path) -> None:
    # pip-api leaves them out on the Python running envsnap: the env at hand may be another
    wheel = tmp_path / "wheels" / "colorama-0.4.6-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"")
    (tmp_path / "inc.txt").write_text('tomli==2.2.1 ; python_version < "3"\n', encoding="utf-8")
    path = tmp_path / "requirements.txt"
    path.write_text(
        "-r inc.txt\n"
        'click==8.1.8 ; python_version < "3"\n'
        'click==8.5.1 ; python_version >= "3"\n'
        f'{wheel} ; sys_platform == "nowhere" --hash=sha256:{"a" * 64}\n'
        "-e ./proj\n",
        encoding="utf-8",
    )
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "proj"\n')
    lock = load(path)
    found = [
        (p.name, str(p.version), str(p.marker), p.line, p.file, p.hashes) for p in lock.packages
    ]
    assert found == [
        ("click", "8.1.8", 'python_version < "3"', 2, None, ()),
        ("click", "8.5.1", 'python_version >= "3"', 3, None, ()),
        ("colorama", "0.4.6", 'sys_platform == "nowhere"', 4, None, (f"sha256:{'a' * 64}",)),
        ("proj", "None", "None", 5, None, ()),
        ("tomli", "2.2.1", 'python_version < "3"', 1, tmp_path / "inc.txt", ()),
    ]


@pytest.mark.parametrize(
    "text",
    [
        'alpha==1.0\nalpha==2.0 ; python_version < "3"\n',
        'alpha==1.0 ; python_version < "3"\nAlpha==2.0\n',
    ],
)
def test_a_name_twice_needs_a_marker_on_every_line(
    tmp_path: Path, refusal: Refusal, text: str
) -> None:
    refused = refusal(text)
    assert refused.message.startswith(f"{tmp_path}/requirements.txt:2: alpha is listed twice")


def test_a_constraints_file_reads_back_its_editables(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    path = tmp_path / "constraints.txt"
    path.write_text(
        "# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 1 top-level, 0 transitive\n"
        "# editable: lib\n"
        "# top-level\n"
        f"lib @ {lib.as_uri()}\n"
        "    # declared\n",
        encoding="utf-8",
    )
    for lock in (load(path), load(path, pip_api=True)):
        (package,) = lock.packages
        assert package.origin == Origin(kind="directory", url=lib.as_uri(), editable=True)
        assert package.reason == "declared"


def test_a_local_repository_written_with_localhost_reads_as_file_url(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    commit = "c" * 40
    path.write_text(f"pkg @ git+file://localhost/src/repo@{commit}\n", encoding="utf-8")
    (package,) = read_lock(path).packages
    assert package.origin == Origin(kind="vcs", url="file:///src/repo", vcs="git", commit=commit)


@pytest.mark.parametrize(
    ("line", "meant"),
    [("rich=15.0.0", "rich==15.0.0"), ("rich=>13", "rich>=13"), ("rich[x] =< 14", "rich[x]<=14")],
)
def test_an_operator_typo_gets_what_was_meant(
    tmp_path: Path, refusal: Refusal, line: str, meant: str
) -> None:
    refused = refusal(f"alpha==1.0\n{line}\n")
    assert refused.message == (
        f"{tmp_path}/requirements.txt:2: Invalid requirement: {line!r}: did you mean {meant!r}?"
    )
    assert refused.hint == "PEP 440's version operators are ==, !=, <=, >=, <, >, ~= and ==="


def test_options_after_a_requirement_are_not_followed(
    tmp_path: Path, pip_api_runs: list[Path]
) -> None:
    # pip takes -r, -c, -e and index options from option lines only (req_file.handle_line)
    path = tmp_path / "requirements.txt"
    path.write_text(
        "alpha==1.0 -r missing.txt --index-url http://127.0.0.1:9/simple/\n", encoding="utf-8"
    )
    lock = load(path)
    assert (pip_api_runs, lock.index_options) == ([], ())
    assert [p.name for p in lock.packages] == ["alpha"]
    assert load(path, pip_api=True) == lock


def test_a_hash_in_a_comment_is_no_hash(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "proj"\n')
    path = tmp_path / "requirements.txt"
    path.write_text(
        f"-e ./proj  # --hash=sha256:{'0' * 64}\n-e ./proj2 --hash sha256:{'1' * 64}\n",
        encoding="utf-8",
    )
    (tmp_path / "proj2").mkdir()
    (tmp_path / "proj2" / "pyproject.toml").write_text('[project]\nname = "proj2"\n')
    assert [(p.name, p.hashes) for p in load(path).packages] == [
        ("proj", ()),
        ("proj2", (f"sha256:{'1' * 64}",)),
    ]


def test_a_marker_after_a_vcs_url_is_a_marker(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    commit = "a" * 40
    path.write_text(
        f'delta @ git+https://git.example.invalid/delta.git@{commit} ; python_version >= "3"\n',
        encoding="utf-8",
    )
    (package,) = load(path).packages
    assert (package.origin.commit, package.origin.requested_revision) == (commit, None)
    assert package.marker == Marker('python_version >= "3"')
    assert load(path, pip_api=True).packages == (package,)


def test_a_portable_file_names_a_distribution_twice_only_under_markers(
    tmp_path: Path, refusal: Refusal
) -> None:
    refused = refusal("# envsnap freeze --portable\n# top-level: alpha\nalpha==1.0\nalpha==2.0\n")
    assert (
        refused.message == f"{tmp_path}/requirements.txt:4: alpha is listed twice (also on line 3)"
    )
