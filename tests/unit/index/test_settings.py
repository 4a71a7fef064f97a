"""The indexes pip would use: options, PIP_* variables, pip's config of each scope, default."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

import pip

from envsnap.index.settings import (
    IndexSettings,
    index_settings,
    parse_pip_config_debug,
    pip_config,
    pip_default_index,
)
from support.venvs import clean_env

if TYPE_CHECKING:
    import pytest


def pip_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The machine's environment without PIP_*, with a private home and XDG dirs."""
    env = clean_env(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "user-config"),
        XDG_CONFIG_DIRS=str(tmp_path / "global-config"),
        **extra,
    )
    if "PIP_CONFIG_FILE" not in extra:
        del env["PIP_CONFIG_FILE"]
    return env


def indexes(config: dict[str, str]) -> dict[str, str]:
    """The index keys only: /etc/pip.conf, outside XDG_CONFIG_DIRS, may set ``cert`` here."""
    return {k: v for k, v in config.items() if k != "cert"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_pip_default_index_is_learned_from_pip() -> None:
    """Fails loudly when pip moves ``pip._internal.models.index.PyPI.simple_url``."""
    from pip._internal.models.index import PyPI  # noqa: PLC0415

    url = pip_default_index()
    assert url == PyPI.simple_url
    parts = urllib.parse.urlsplit(url)
    assert parts.scheme == "https"
    assert parts.hostname
    assert parts.path.rstrip("/").endswith("simple")


def test_parse_pip_config_debug_merges_files_and_multiline_values() -> None:
    text = (
        "env_var:\n"
        "  PIP_FIND_LINKS='/ignored'\n"
        "env:\n"
        "global:\n"
        "  /etc/xdg/pip/pip.conf, exists: True\n"
        "    global.index-url: https://first.invalid/simple\n"
        "  /etc/pip.conf, exists: True\n"
        "    global.index-url: https://second.invalid/simple\n"
        "    global.extra-index-url: https://x1.invalid/simple\n"
        "https://x2.invalid/simple\n"
        "site:\n"
        "  /venv/pip.conf, exists: False\n"
        "user:\n"
        "  /home/u/.config/pip/pip.conf, exists: True\n"
        "    install.find-links: /wh\n"
    )
    assert parse_pip_config_debug(text) == {
        "global": {
            "global.index-url": "https://second.invalid/simple",
            "global.extra-index-url": "https://x1.invalid/simple\nhttps://x2.invalid/simple",
        },
        "user": {"install.find-links": "/wh"},
    }


def test_pip_config_file_variable(tmp_path: Path) -> None:
    config = write(
        tmp_path / "pip.conf",
        "[global]\nindex-url = https://config.invalid/simple\n"
        "extra-index-url = https://x1.invalid/simple\n  https://x2.invalid/simple\n"
        "[install]\nfind-links = /wh\n[download]\nindex-url = https://download.invalid/simple\n",
    )
    env = pip_env(tmp_path, PIP_CONFIG_FILE=str(config))
    assert indexes(pip_config(environ=env)) == {
        "index-url": "https://config.invalid/simple",
        "extra-index-url": "https://x1.invalid/simple\nhttps://x2.invalid/simple",
        "find-links": "/wh",
    }
    assert pip_config(("download",), environ=env)["index-url"] == "https://download.invalid/simple"
    assert pip_config(environ={**env, "PIP_CONFIG_FILE": os.devnull}) == {}


def test_user_config_overrides_global_and_install_overrides_global_section(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "global-config/pip/pip.conf",
        "[global]\nindex-url = https://global.invalid/simple\ntrusted-host = g.invalid\n",
    )
    env = pip_env(tmp_path)
    assert indexes(pip_config(environ=env)) == {
        "index-url": "https://global.invalid/simple",
        "trusted-host": "g.invalid",
    }
    write(
        tmp_path / "user-config/pip/pip.conf",
        "[global]\nindex-url = https://user.invalid/simple\n"
        "[install]\nextra-index-url = https://user-install.invalid/simple\n",
    )
    assert indexes(pip_config(environ=env)) == {
        "index-url": "https://user.invalid/simple",
        "extra-index-url": "https://user-install.invalid/simple",
        "trusted-host": "g.invalid",
    }


def test_site_config_of_the_interpreter_pip_runs_in(tmp_path: Path) -> None:
    """pip's site scope is ``sys.prefix/pip.conf``: a venv whose pip is envsnap's own."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    write(venv / "pip.conf", "[install]\nindex-url = https://site.invalid/simple\n")
    env = pip_env(tmp_path, PYTHONPATH=str(Path(pip.__file__).parent.parent))
    python = str(venv / "bin" / "python")
    assert indexes(pip_config(environ=env, python=python)) == {
        "index-url": "https://site.invalid/simple"
    }


def test_variables_override_files_and_options_win(tmp_path: Path) -> None:
    files = {
        "index-url": "https://config.invalid/simple",
        "extra-index-url": "https://x1.invalid/simple",
        "find-links": str(tmp_path),
        "cert": "/config/ca.pem",
    }
    assert index_settings(environ={}, config=files) == IndexSettings(
        index_url="https://config.invalid/simple",
        extra_index_urls=("https://x1.invalid/simple",),
        find_links=(str(tmp_path),),
        cert="/config/ca.pem",
    )
    env = {
        "PIP_INDEX_URL": "https://env.invalid/simple",
        "PIP_EXTRA_INDEX_URL": "https://e1.invalid/simple https://e2.invalid/simple",
        "PIP_CLIENT_CERT": "/env/client.pem",
        "PIP_TRUSTED_HOST": "t.invalid",
    }
    assert index_settings(environ=env, config=files) == IndexSettings(
        index_url="https://env.invalid/simple",
        extra_index_urls=("https://e1.invalid/simple", "https://e2.invalid/simple"),
        find_links=(str(tmp_path),),
        trusted_hosts=("t.invalid",),
        cert="/config/ca.pem",
        client_cert="/env/client.pem",
    )
    # list options add to the configured values, as pip's append options do
    given = index_settings(
        index_url="https://cli.invalid/simple",
        extra_index_urls=["https://c.invalid/simple"],
        trusted_hosts=["c.invalid"],
        environ=env,
        config=files,
    )
    assert given.index_url == "https://cli.invalid/simple"
    assert given.extra_index_urls == (
        "https://e1.invalid/simple",
        "https://e2.invalid/simple",
        "https://c.invalid/simple",
    )
    assert given.trusted_hosts == ("t.invalid", "c.invalid")
    assert index_settings(environ={"PIP_NO_INDEX": "1"}, config={}).no_index


def test_missing_file_index_and_directory_are_left_out_with_a_note(tmp_path: Path) -> None:
    present = tmp_path / "present"
    present.mkdir()
    gone = (tmp_path / "gone" / "simple").as_uri()
    settings = index_settings(
        extra_index_urls=[gone, present.as_uri()],
        find_links=[str(tmp_path / "nowhere"), str(present)],
        environ={},
        config={},
    )
    assert settings.extra_index_urls == (present.as_uri(),)
    assert settings.find_links == (str(present),)
    assert settings.notes == (
        f"{gone} is left out: no such file or directory (pip skips it too)",
        f"{tmp_path / 'nowhere'} is left out: no such file or directory (pip skips it too)",
    )


def test_the_default_index_is_used_unless_named_or_no_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from envsnap.index import settings as module  # noqa: PLC0415

    monkeypatch.setattr(module, "pip_default_index", lambda: "http://127.0.0.1:9/simple/")
    assert IndexSettings().index_urls() == ("http://127.0.0.1:9/simple/",)
    assert IndexSettings(extra_index_urls=("http://127.0.0.1:8/x/",)).index_urls() == (
        "http://127.0.0.1:9/simple/",
        "http://127.0.0.1:8/x/",
    )
    assert IndexSettings(index_url="http://127.0.0.1:7/").index_urls() == ("http://127.0.0.1:7/",)
    assert IndexSettings(no_index=True, extra_index_urls=("http://x.invalid/",)).index_urls() == ()


def test_pips_answer_is_reused_until_a_file_it_names_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVSNAP_CACHE_DIR", str(tmp_path / "cache"))
    env = pip_env(tmp_path)
    user = write(
        tmp_path / "user-config/pip/pip.conf", "[global]\nindex-url = https://a.invalid/\n"
    )
    assert indexes(pip_config(environ=env)) == {"index-url": "https://a.invalid/"}
    runs: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(argv: list[str], **kwargs: object) -> object:
        runs.append(argv)
        return real_run(argv, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", counting_run)
    assert indexes(pip_config(environ=env)) == {"index-url": "https://a.invalid/"}
    assert runs == []
    user.write_text("[global]\nindex-url = https://changed.invalid/simple\n", encoding="utf-8")
    os.utime(user, ns=(1, 1))
    assert indexes(pip_config(environ=env)) == {"index-url": "https://changed.invalid/simple"}
    assert len(runs) == 1
