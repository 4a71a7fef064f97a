"""The requirements readers (strict and pip-api) and the dispatching read_lock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from envsnap.errors import InputError, LockFileError
from envsnap.lock import LockedPackage, Origin
from envsnap.lockfiles.readers import default_lock_file, read_lock
from envsnap.lockfiles.requirements import read_any as pip_requirements
from envsnap.lockfiles.requirements import read_strict as requirements

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
    lock = pip_requirements.load(FIXTURES / "hand-no-index.txt")
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


def _classes(path: Path) -> list[tuple[str, bool, str | None]]:
    return [(p.name, p.top_level, p.reason) for p in pip_requirements.load(path).packages]


def test_pip_compile_file_with_hashes_and_via_lines() -> None:
    path = FIXTURES / "pip-compile-hashes.txt"
    lock = pip_requirements.load(path)
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
    lock = pip_requirements.load(path)
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
    lock = pip_requirements.load(FIXTURES / "hand-main.txt")
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


@pytest.mark.parametrize("path", PINNED_FILES, ids=lambda p: p.name)
def test_plain_pinned_files_read_without_pip_api_give_the_same_lock(path: Path) -> None:
    plain = requirements.load_pinned(path)
    assert plain is not None
    assert plain == pip_requirements.load(path)
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
    ],
)
def test_plain_reader_agrees_with_pip_api(tmp_path: Path, text: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    plain = requirements.load_pinned(path)
    assert plain is not None
    assert plain == pip_requirements.load(path)


def test_plain_reader_keeps_pins_whose_marker_is_false_here(tmp_path: Path) -> None:
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
    plain = requirements.load_pinned(path)
    assert plain is not None
    assert read_lock(path) == plain
    pins = [(p.name, str(p.version), str(p.marker) if p.marker else None) for p in plain.packages]
    assert pins == [
        ("alpha", "1.0", None),
        ("beta", "2.0", 'python_version < "3"'),
        ("numpy", "2.1.0", 'python_full_version >= "3.0"'),
        ("numpy", "1.26.4", 'python_full_version < "3.0"'),
    ]  # fmt: skip
    assert [p.top_level for p in plain.packages] == [True, True, True, True]
    # the pip-api reader (files with includes, editables...) keeps them too
    assert pip_requirements.load(path).packages == plain.packages


@pytest.mark.parametrize(
    "text",
    [
        "alpha>=1.0\n",  # unpinned
        "alpha==1.*\n",
        "-r other.txt\n",
        "-e ./proj\n",
        "alpha @ https://files.example.invalid/alpha-1.0-py3-none-any.whl\n",
        "alpha==1.0 --frobnicate\n",
        "--frobnicate\n",
        "alpha==1.0\nAlpha==2.0\n",
        'alpha==1.0\nalpha==2.0 ; python_version < "3"\n',  # twice, once unconditional
        'alpha==1.0 ; python_version < "3"\nalpha==2.0\n',  # the same, the other way round
        'a==1 ; python_version < "3"\na==2 ; python_version >= "3"\na==3\n',
        "foo bar==1.0\n",
        "alpha==1.0 --hash=md5:" + "a" * 32 + "\n",
        "\ufeffalpha==1.0\n",
    ],
)
def test_plain_reader_leaves_anything_else_to_pip_api(tmp_path: Path, text: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    assert requirements.load_pinned(path) is None


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
    lock = requirements.load(FIXTURES / "envsnap-extras.txt")
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
    lock = pip_requirements.load(path)
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
def test_a_name_twice_needs_a_marker_on_every_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LockFileError, match=r"requirements.txt:2: alpha is listed twice"):
        pip_requirements.load(path)


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
    for lock in (requirements.load(path), pip_requirements.load(path)):
        (package,) = lock.packages
        assert package.origin == Origin(kind="directory", url=lib.as_uri(), editable=True)
        assert package.reason == "declared"
        # pip and uv would install it non-editable: restore renders the Lock instead
        assert not lock.pip_reads_it


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
def test_an_operator_typo_gets_what_was_meant(tmp_path: Path, line: str, meant: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(f"alpha==1.0\n{line}\n", encoding="utf-8")
    with pytest.raises(LockFileError) as info:
        read_lock(path)
    assert info.value.message == (
        f"{path}:2: Invalid requirement: {line!r}: did you mean {meant!r}?"
    )
    assert info.value.hint == "PEP 440's version operators are ==, !=, <=, >=, <, >, ~= and ==="
