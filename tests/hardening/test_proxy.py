"""Proxies: restore (uv) and ``freeze -o pylock.toml`` (envsnap's client) go through them.

The index is ``https`` on 127.0.0.2 (another host) with a certificate of a
throwaway CA, named to both through pip's ``cert`` setting; the proxy is a
small CONNECT proxy on 127.0.0.1 that logs what it is asked for. The proxy
comes from ``HTTPS_PROXY`` or from pip's own ``proxy`` setting, and
``NO_PROXY`` keeps a host out of it, as pip does.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
import trustme

from support.index import serve_index
from support.venvs import make_venv, run_envsnap, uv_install
from support.wheels import build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.integration


@contextmanager
def connect_proxy(log: list[str]) -> Iterator[str]:
    """A CONNECT proxy on 127.0.0.1 that tunnels to loopback hosts only and logs each request."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_CONNECT(self) -> None:
            log.append(f"CONNECT {self.path}")
            host, _, port = self.path.rpartition(":")
            if not host.startswith("127."):
                self.send_error(403)
                return
            upstream = socket.create_connection((host, int(port)), timeout=10)
            self.send_response(200, "Connection established")
            self.end_headers()
            sockets = [self.connection, upstream]
            try:
                while True:
                    ready, _, _ = select.select(sockets, [], [], 10)
                    if not ready:
                        return
                    for sock in ready:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is self.connection else self.connection).sendall(data)
            finally:
                upstream.close()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def https_index(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An https index on 127.0.0.2 holding solo 1.0, and a CA bundle that trusts it."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    root = tmp_path / "house"
    build_wheel(root, "solo", "1.0")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.2").configure_cert(context)
    with serve_index(root, tls=context, host="127.0.0.2") as url:
        yield url, bundle


@pytest.mark.parametrize("how", ["HTTPS_PROXY", "PIP_PROXY"])
def test_freeze_and_restore_go_through_the_proxy(
    tmp_path: Path, https_index: tuple[str, Path], wheelhouse: Path, how: str
) -> None:
    url, bundle = https_index
    netloc = url.split("/")[2]
    source = make_venv(tmp_path / "source")
    uv_install(source, "solo==1.0", find_links=wheelhouse)
    log: list[str] = []
    with connect_proxy(log) as proxy:
        env = {how: proxy, "PIP_CERT": str(bundle), "UV_CACHE_DIR": str(tmp_path / "uv")}
        frozen = run_envsnap(
            "freeze", "-p", "source", "-o", "pylock.toml", "--index-url", url,
            cwd=tmp_path, env=env,
        )  # fmt: skip
        assert frozen.returncode == 0, frozen.stderr
        assert log == [f"CONNECT {netloc}"]
        log.clear()
        done = run_envsnap(
            "restore", "--venv", "new", "--without-pip", "--index-url", url, cwd=tmp_path, env=env
        )
        assert done.returncode == 0, done.stderr
    assert log
    assert set(log) == {f"CONNECT {netloc}"}
    assert (tmp_path / "new" / "bin" / "python").exists()
    assert f'url = "{url.removesuffix("simple/")}files/solo-1.0-py3-none-any.whl"' in (
        (tmp_path / "pylock.toml").read_text(encoding="utf-8")
    )


def test_no_proxy_keeps_a_host_out_of_the_proxy(
    tmp_path: Path, https_index: tuple[str, Path], wheelhouse: Path
) -> None:
    url, bundle = https_index
    source = make_venv(tmp_path / "source")
    uv_install(source, "solo==1.0", find_links=wheelhouse)
    log: list[str] = []
    with connect_proxy(log) as proxy:
        env = {"HTTPS_PROXY": proxy, "NO_PROXY": "localhost,127.0.0.2", "PIP_CERT": str(bundle)}
        frozen = run_envsnap(
            "freeze", "-p", "source", "-o", "pylock.toml", "--index-url", url,
            cwd=tmp_path, env=env,
        )  # fmt: skip
        assert frozen.returncode == 0, frozen.stderr
        done = run_envsnap(
            "restore", "--venv", "new", "--without-pip", "--index-url", url,
            cwd=tmp_path, env={**env, "UV_CACHE_DIR": str(tmp_path / "uv")},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert log == []


def test_a_dead_proxy_fails_clearly(tmp_path: Path, https_index: tuple[str, Path]) -> None:
    url, bundle = https_index
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    (tmp_path / "requirements.txt").write_text("solo==1.0\n", encoding="utf-8")
    done = run_envsnap(
        "restore", "--venv", "new", "--without-pip", "--index-url", url, cwd=tmp_path,
        env={"HTTPS_PROXY": dead, "PIP_CERT": str(bundle), "PIP_RETRIES": "0",
             "UV_CACHE_DIR": str(tmp_path / "uv")},
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: uv could not install the lock's packages (exit 2)"]
    assert not (tmp_path / "new").exists()
