"""Hostile index servers (issue 15, items 4, 6 and 8): redirects, drips, floods, endless bodies.

Each attack runs on a loopback server: credentials must not follow a
redirect to another origin, a redirect to plain http is refused like a
plain-http URL given directly, a dripping server hits the deadline or the
minimum rate, and an endless or oversized body stops at its bound with a
clear error, no partial file and bounded memory.
"""

from __future__ import annotations

import base64
import resource
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from envsnap.errors import OperationError
from envsnap.index.download import fetch_all
from envsnap.index.file_cache import FileCache
from envsnap.index.http import HttpClient
from envsnap.index.secure import Credentials
from envsnap.index.transfer import Limits
from support.files import dist_file
from support.venvs import clean_env

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ACCEPT = "text/html"
GB = 1 << 30


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up on purpose are not errors."""


@contextmanager
def hostile(
    seen: list[tuple[str, str | None]] | None = None, *, redirect_to: str = ""
) -> Iterator[str]:
    """Serve the attacks; ``seen`` records ``(path, Authorization)`` of each request."""
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            if seen is not None:
                seen.append((self.path, self.headers.get("Authorization")))
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/page/":
                self._ok(b"<html></html>")
            elif self.path == "/huge-page/":  # says 1.5 GB, would send it
                self.send_response(200)
                self.send_header("Content-Length", str(3 * GB // 2))
                self.end_headers()
                self._flood()
            elif self.path.startswith("/endless"):  # no length, never ends
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self._flood()
            elif self.path.startswith("/drip"):
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                while not stop.is_set():
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    stop.wait(0.05)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def _ok(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _flood(self) -> None:
            chunk = b"<a>" * 21845
            try:
                while not stop.is_set():
                    self.wfile.write(chunk)
            except OSError:
                return

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


_made: list[HttpClient] = []


def client(**limits: float) -> HttpClient:
    made = HttpClient(limits=Limits(retries=0, **limits))  # type: ignore[arg-type]
    _made.append(made)
    return made


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _made:
        _made.pop().close()


# ------------------------------------------------------------------ item 4: redirects


def test_a_cross_origin_redirect_drops_the_credentials() -> None:
    target_seen: list[tuple[str, str | None]] = []
    first_seen: list[tuple[str, str | None]] = []
    with (
        hostile(target_seen) as other,
        hostile(first_seen, redirect_to=f"{other}/page/") as base,
        HttpClient(credentials=Credentials([f"http://user:s3cret@{base[7:]}/"])) as http,
    ):
        page = http.get_page(f"http://user:s3cret@{base[7:]}/redirect/", accept=ACCEPT, what="a")
    token = "Basic " + base64.b64encode(b"user:s3cret").decode()
    assert first_seen == [("/redirect/", token)]
    assert target_seen == [("/page/", None)]
    assert page is not None
    assert page.url == f"{other}/page/"


def test_a_same_origin_redirect_keeps_the_credentials() -> None:
    seen: list[tuple[str, str | None]] = []
    with hostile(seen, redirect_to="/page/") as base:
        index = f"http://user:s3cret@{base[7:]}/"
        http = HttpClient(credentials=Credentials([index], use_netrc=False))
        http.get_page(f"{index}redirect/", accept=ACCEPT, what="alpha")
    token = "Basic " + base64.b64encode(b"user:s3cret").decode()
    assert seen == [("/redirect/", token), ("/page/", token)]


def test_a_redirect_to_plain_http_is_refused() -> None:
    with hostile(redirect_to="http://0.0.0.0:9/page/") as base:
        with pytest.raises(OperationError) as info:
            client().get_page(f"{base}/redirect/", accept=ACCEPT, what="alpha: INDEX/alpha/")
        trusted = HttpClient(limits=Limits(retries=0, timeout=0.5), trusted_hosts=["0.0.0.0"])
        with pytest.raises(OperationError) as allowed:
            trusted.get_page(f"{base}/redirect/", accept=ACCEPT, what="alpha: INDEX/alpha/")
    assert info.value.message == (
        f"alpha: INDEX/alpha/: {base}/redirect/ redirects to http://0.0.0.0:9/page/, "
        "plain http to a host that is not trusted"
    )
    assert info.value.exit_code == 3
    assert info.value.hint is not None
    assert "--trusted-host 0.0.0.0:9" in info.value.hint
    assert allowed.value.message.startswith("cannot reach http://0.0.0.0:9/")  # followed


# ------------------------------------------------------------------ item 8: time


def test_a_dripping_server_falls_under_the_minimum_rate(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "cache")
    with hostile() as base:
        request = dist_file(
            package="alpha==1.0", filename="alpha-1.0-py3-none-any.whl", sha256="0" * 64,
            url=f"{base}/drip", size=100000,
        )  # fmt: skip
        with pytest.raises(OperationError) as info:
            fetch_all([request], cache, client=client(timeout=0.3, min_rate=1000))
    assert info.value.message.startswith("alpha==1.0: alpha-1.0-py3-none-any.whl: too slow (")
    assert info.value.message.endswith("under 1000 bytes/s)")
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []


def test_a_dripping_server_hits_the_deadline(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "cache")
    with hostile() as base:
        request = dist_file(
            package="alpha==1.0", filename="alpha-1.0-py3-none-any.whl", sha256="0" * 64,
            url=f"{base}/drip",
        )  # fmt: skip
        with pytest.raises(OperationError) as info:
            fetch_all([request], cache, client=client(deadline=0.3, min_rate=0))
    assert info.value.message.startswith(
        "alpha==1.0: alpha-1.0-py3-none-any.whl: took more than 0.3 s ("
    )
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []


# ------------------------------------------------------------------ item 6: size


def test_a_page_that_says_1_5_gb_is_refused_before_reading() -> None:
    with hostile() as base, pytest.raises(OperationError) as info:
        client().get_page(f"{base}/huge-page/", accept=ACCEPT, what="alpha: INDEX/alpha/")
    assert info.value.message == (
        f"alpha: INDEX/alpha/: the server says {3 * GB // 2} bytes, over envsnap's page "
        f"limit ({32 << 20} bytes); stopped"
    )


def test_an_endless_page_stops_at_the_limit() -> None:
    with hostile() as base, pytest.raises(OperationError) as info:
        client(page_bytes=1 << 20).get_page(f"{base}/endless/", accept=ACCEPT, what="alpha")
    assert info.value.message == (
        "alpha: the server sends more than 1048576 bytes, over envsnap's page limit "
        "(1048576 bytes); stopped"
    )


@pytest.mark.parametrize("stated", [5000, None], ids=["size-stated", "no-size"])
def test_an_endless_download_stops_at_the_stated_size(tmp_path: Path, stated: int | None) -> None:
    cache = FileCache(tmp_path / "cache")
    with hostile() as base:
        request = dist_file(
            package="alpha==1.0", filename="alpha-1.0-py3-none-any.whl", sha256="0" * 64,
            url=f"{base}/endless-file", size=stated,
        )  # fmt: skip
        with pytest.raises(OperationError) as info:
            fetch_all([request], cache, client=client(file_bytes=1 << 20))
    bound = (
        "the size the index or lock file states (5000 bytes)"
        if stated
        else "envsnap's file limit (1048576 bytes)"
    )
    limit = stated or 1 << 20
    assert info.value.message == (
        f"alpha==1.0: alpha-1.0-py3-none-any.whl: the server sends more than {limit} bytes, "
        f"over {bound}; stopped"
    )
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []
    assert not (tmp_path / "cache" / "files").exists()


_FREEZE_ATTACK = """
import sys
from envsnap.index.repository import collect
from envsnap.index.simple_index import SimpleIndex
from packaging.utils import canonicalize_name
from packaging.version import Version
from envsnap.errors import OperationError
try:
    collect(SimpleIndex([sys.argv[1]], limits=None), [(canonicalize_name("alpha"), Version("1"))])
except OperationError as exc:
    print(exc.message)
    sys.exit(exc.exit_code)
"""


def test_an_endless_index_page_keeps_memory_bounded(tmp_path: Path) -> None:
    """The whole client with its default limits, in a child process whose peak RSS is read."""
    with hostile() as base:
        done = subprocess.run(
            [sys.executable, "-c", _FREEZE_ATTACK, f"{base}/endless/"],
            capture_output=True,
            text=True,
            env=clean_env(ENVSNAP_CACHE_DIR=str(tmp_path / "cache")),
            check=False,
            timeout=120,
        )
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert done.returncode == 3, done.stderr
    assert done.stdout == (
        f"alpha: {base}/endless/alpha/: the server sends more than {32 << 20} bytes, over "
        f"envsnap's page limit ({32 << 20} bytes); stopped\n"
    )
    assert "Traceback" not in done.stderr
    assert peak_kb < 500 * 1024


# ------------------------------------------------------------------ item 8: signals


def test_sigterm_stops_a_restore_download_at_once(tmp_path: Path) -> None:
    """A restore of a file from a dripping server: SIGTERM ends it and the installer with it."""
    cache = tmp_path / "cache"
    seen: list[tuple[str, str | None]] = []
    with hostile(seen) as base:
        (tmp_path / "pylock.toml").write_text(
            'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "alpha"\n'
            f'version = "1.0"\nwheels = [{{ url = "{base}/drip/alpha-1.0-py3-none-any.whl", '
            f'hashes = {{ sha256 = "{"0" * 64}" }} }}]\n',
            encoding="utf-8",
        )
        with subprocess.Popen(
            [sys.executable, "-m", "envsnap", "restore", "--without-pip"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(UV_CACHE_DIR=str(cache)),
        ) as child:
            while not seen and child.poll() is None:  # the installer is downloading
                time.sleep(0.05)
            child.send_signal(signal.SIGTERM)
            try:
                code = child.wait(timeout=10)  # before: the drip ran for 770 s
            finally:
                child.kill()
            stderr = child.stderr.read() if child.stderr else ""
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == "error: interrupted"
    # nothing of the venv being built stays (uv's cache is uv's)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "pylock.toml"]
