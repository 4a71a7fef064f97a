"""The install seam: requests rendered as uv and pip commands, settings passed explicitly."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from envsnap._report import reporting
from envsnap.errors import OperationError
from envsnap.index.settings import IndexSettings
from envsnap.install import backend_for
from envsnap.install.backend import (
    Command,
    InstallRequest,
    VenvRequest,
    installer_environment,
    run_command,
    run_logged,
)
from envsnap.install.uv import find_uv
from support.reporter import Recorder

UV = os.fspath(find_uv())
PY = Path("/venv/bin/python")
INDEX = IndexSettings(index_url="https://127.0.0.1:9/simple/", keyring_provider="disabled")


def request(**changes: object) -> InstallRequest:
    fields: dict[str, object] = {
        "requirements": "alpha==1.0 --hash=sha256:aa\n",
        "exact": True,
        "require_hashes": True,
        "index": INDEX,
        "cwd": Path("/proj"),
    }
    fields.update(changes)
    return InstallRequest(**fields)  # type: ignore[arg-type]


def test_uv_install_passes_every_setting_and_reads_no_config() -> None:
    settings = IndexSettings(
        index_url="https://127.0.0.1:9/simple/",
        extra_index_urls=("https://127.0.0.2:9/simple/",),
        find_links=("/wheels",),
        trusted_hosts=("127.0.0.2:9",),
        cert="/ca.pem",
        client_cert="/client.pem",
        proxy="http://127.0.0.3:3128",
        keyring_provider="disabled",
    )
    (command,) = backend_for("uv").install_commands(
        request(index=settings, link_mode="copy", compile_bytecode=True, offline=True),
        PY,
        Path("/tmp/r.txt"),
    )
    assert command.argv == (
        UV, "pip", "install", "--no-config", "--no-python-downloads",
        "--python", "/venv/bin/python",
        "--index-url", "https://127.0.0.1:9/simple/",
        "--extra-index-url", "https://127.0.0.2:9/simple/",
        "--index-strategy", "unsafe-best-match",
        "--find-links", "/wheels",
        "--allow-insecure-host", "127.0.0.2:9",
        "--no-deps", "--require-hashes", "--compile-bytecode", "--link-mode", "copy",
        "--offline", "-r", "/tmp/r.txt",
    )  # fmt: skip
    assert command.env == {
        "SSL_CERT_FILE": "/ca.pem",
        "SSL_CLIENT_CERT": "/client.pem",
        "HTTP_PROXY": "http://127.0.0.3:3128",
        "HTTPS_PROXY": "http://127.0.0.3:3128",
    }
    assert command.cwd == Path("/proj")


def test_index_credentials_go_in_the_environment_never_on_the_command_line() -> None:
    settings = IndexSettings(
        index_url="https://user:s3cret@127.0.0.1:9/simple/",
        extra_index_urls=("https://127.0.0.2:9/simple/",),
        keyring_provider="disabled",
    )
    for name, variable in (("uv", "UV_INDEX_URL"), ("pip", "PIP_INDEX_URL")):
        (command,) = backend_for(name).install_commands(  # type: ignore[arg-type]
            request(index=settings), PY, Path("/tmp/r.txt")
        )
        assert not any("s3cret" in word for word in command.argv)
        assert command.env[variable] == "https://user:s3cret@127.0.0.1:9/simple/"
        assert "s3cret" not in command.shown()
        assert f"{variable}=https://127.0.0.1:9/simple/" in command.shown()


def test_a_pylock_file_goes_to_uv_as_written_with_its_extras_and_groups() -> None:
    lock = Path("/proj/pylock.toml")
    (command,) = backend_for("uv").install_commands(
        request(requirements=None, file=lock, extras=("web",), groups=("dev",)), PY, None
    )
    assert command.argv[-9:] == (
        "--require-hashes", "--preview-features", "pylock",
        "--extra", "web", "--group", "dev", "-r", "/proj/pylock.toml",
    )  # fmt: skip
    assert command.what == "uv could not install /proj/pylock.toml"


@pytest.mark.parametrize(
    ("pip_setting", "on_path", "expected"),
    [
        (None, "/usr/bin/keyring", ["--keyring-provider", "subprocess"]),
        (None, None, []),
        ("subprocess", None, ["--keyring-provider", "subprocess"]),
        ("import", "/usr/bin/keyring", ["--keyring-provider", "subprocess"]),
        ("disabled", "/usr/bin/keyring", []),
    ],
)
def test_uv_asks_a_keyring_where_pip_would(
    monkeypatch: pytest.MonkeyPatch,
    pip_setting: str | None,
    on_path: str | None,
    expected: list[str],
) -> None:
    from envsnap.install import uv  # noqa: PLC0415

    monkeypatch.setattr(uv.shutil, "which", lambda name: on_path if name == "keyring" else None)
    argv, _ = uv.index_arguments(
        IndexSettings(index_url="https://h/s/", keyring_provider=pip_setting)
    )
    assert argv == ["--index-url", "https://h/s/", *expected]


def test_pip_install_runs_the_new_venvs_pip() -> None:
    settings = IndexSettings(
        no_index=True, find_links=("/wheels",), trusted_hosts=("h",), keyring_provider="disabled"
    )
    (command,) = backend_for("pip").install_commands(
        request(index=settings, exact=False, require_hashes=False, no_cache=True),
        PY,
        Path("/tmp/r.txt"),
    )
    assert command.argv == (
        "/venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
        "--no-index", "--find-links", "/wheels", "--trusted-host", "h",
        "--keyring-provider", "disabled", "--no-compile", "--no-cache-dir", "-r", "/tmp/r.txt",
    )  # fmt: skip


def test_venv_commands_of_each_backend(tmp_path: Path) -> None:
    venv = VenvRequest(
        target=tmp_path / "v",
        interpreter=Path("/usr/bin/python3.12"),
        python_version="3.12.1",
        with_pip=True,
        system_site_packages=True,
        index=INDEX,
    )
    (seeded,) = backend_for("uv").venv_commands(venv)  # 3.12: --seed puts pip alone
    assert seeded.argv == (
        UV, "venv", "--no-config", "--no-python-downloads", "--no-project",
        "--python", "/usr/bin/python3.12", "--system-site-packages",
        "--seed", "--index-url", "https://127.0.0.1:9/simple/", os.fspath(tmp_path / "v"),
    )  # fmt: skip
    older = replace(venv, interpreter=Path("/usr/bin/python3.11"), python_version="3.11.7")
    uv, uv_pip = backend_for("uv").venv_commands(older)  # --seed would add setuptools, wheel
    assert uv.argv == (
        UV, "venv", "--no-config", "--no-python-downloads", "--no-project",
        "--python", "/usr/bin/python3.11", "--system-site-packages", os.fspath(tmp_path / "v"),
    )  # fmt: skip
    assert uv_pip.argv == (
        UV, "pip", "install", "--no-config", "--no-python-downloads",
        "--python", os.fspath(tmp_path / "v" / "bin" / "python"),
        "--index-url", "https://127.0.0.1:9/simple/", "pip",
    )  # fmt: skip
    create, bootstrap = backend_for("pip").venv_commands(venv)
    assert create.argv == (
        "/usr/bin/python3.12", "-m", "venv", "--without-pip", "--system-site-packages",
        os.fspath(tmp_path / "v"),
    )  # fmt: skip
    # the venv's Python runs pip from the base's ensurepip wheel: one install of the newest pip
    assert bootstrap.argv[:2] == (os.fspath(tmp_path / "v" / "bin" / "python"), "-c")
    assert "ensurepip.__file__" in bootstrap.argv[2]
    assert bootstrap.argv[3:] == (
        "install", "--disable-pip-version-check", "--no-input", "--ignore-installed",
        "--index-url", "https://127.0.0.1:9/simple/", "--keyring-provider", "disabled", "pip",
    )  # fmt: skip
    assert bootstrap.what == f"pip could not install itself in {tmp_path / 'v'}"
    (offline,) = backend_for("pip").venv_commands(replace(venv, offline=True))
    assert offline.argv == (
        "/usr/bin/python3.12", "-m", "venv", "--system-site-packages", os.fspath(tmp_path / "v"),
    )  # fmt: skip  # offline: ensurepip's own pip, nothing asked of an index
    (bare,) = backend_for("uv").venv_commands(
        VenvRequest(target=tmp_path / "v", interpreter=Path("/p"), python_version="3.12.1",
                    with_pip=False, index=INDEX, offline=True)
    )  # fmt: skip
    assert bare.argv[-2:] == ("--offline", os.fspath(tmp_path / "v"))


def test_the_installer_environment_drops_pip_and_uv_variables() -> None:
    env = installer_environment(
        {
            "PATH": "/bin",
            "PIP_INDEX_URL": "https://127.0.0.2/simple/",
            "PIP_CONSTRAINT": "/etc/c.txt",
            "UV_INDEX_URL": "https://127.0.0.2/simple/",
            "UV_LINK_MODE": "symlink",
            "UV_CACHE_DIR": "/cache",
            "HTTPS_PROXY": "http://127.0.0.3:3128",
        }
    )
    assert env == {
        "PATH": "/bin",
        "UV_CACHE_DIR": "/cache",
        "HTTPS_PROXY": "http://127.0.0.3:3128",
        "PIP_CONFIG_FILE": os.devnull,
    }


def test_run_logged_streams_to_the_reporter_and_keeps_the_tail() -> None:
    with reporting(Recorder()) as recorder:
        code, tail = run_logged(
            [sys.executable, "-c", "import sys\nfor i in range(30): print(i)\nsys.exit(4)"]
        )
    assert code == 4
    assert recorder.said == [("output", str(i)) for i in range(30)]
    assert tail == [str(i) for i in range(15, 30)]


def test_a_failed_command_names_what_failed_and_masks_credentials() -> None:
    command = Command(
        argv=(sys.executable, "-c", "print('GET https://u:pw@127.0.0.1:9/x?token=t'); exit(2)"),
        cwd=Path.cwd(),
        what="uv could not install pylock.toml",
    )
    with pytest.raises(OperationError) as failed:
        run_command(command)
    assert failed.value.message == (
        "uv could not install pylock.toml (exit 2)\n  | GET https://127.0.0.1:9/x?token=***"
    )
    assert failed.value.hint == (
        "nothing was replaced; rerun with -v to see the installer's full output"
    )
    missing = Command(argv=("/no/such/uv",), cwd=Path.cwd(), what="x")
    with pytest.raises(OperationError, match=r"^cannot run /no/such/uv: No such file"):
        run_command(missing)
