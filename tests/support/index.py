"""A loopback package index for tests: PEP 503 HTML and PEP 691 JSON over ``http.server``.

``serve_index(root)`` serves every ``*.whl`` / ``*.tar.gz`` / ``*.zip`` in
``root`` (re-read on each request, so a test may add files while it runs)::

    GET /simple/                   project list
    GET /simple/<normalized>/      files of one project, each
                                   <a href="../../files/<file>#sha256=..."
                                      data-requires-python="...">
    GET /files/<file>              the file itself

With ``json=True`` a request whose ``Accept`` asks for
``application/vnd.pypi.simple.v1+json`` gets the PEP 691 JSON form of the same
page. ``/simple/<name>`` (no slash, or a non-normalized name) redirects to the
normalized page, as the package index does.

Pages carry an ``ETag`` and answer ``304 Not Modified`` to a matching
``If-None-Match`` (HTTP revalidation, as the package index does).

PEP 658 metadata: a wheel with a ``<wheel>.metadata`` file beside it in
``root`` is advertised on its page (HTML ``data-core-metadata`` and
``data-dist-info-metadata``, JSON ``core-metadata`` and ``dist-info-metadata``)
with the sha256 of the wheel's own ``METADATA``, as an index computes it at
upload; ``/files/<wheel>.metadata`` serves that file as it is, so a test may
make it lie. ``advertise_metadata=False`` leaves the advertisement out (the
file is still served to anyone who asks); ``advertise_metadata="true"``
advertises it without a hash (PEP 658's ``"true"`` / PEP 691's ``true``).

``extra_links`` adds links to a project's page: ``{project: [(filename,
href), ...]}``, the href written as given (a ``file:`` URL, say), no hash.

Fault hooks (all optional): ``delay`` seconds before each file download;
``status_override`` maps a request path (``/files/x.whl``, ``/simple/alpha/``)
to an HTTP status to answer instead; ``log`` is a list that receives every
request path, in order (a cheap counter); ``answers`` receives ``(path, status)``.
"""

from __future__ import annotations

import hashlib
import html
import json as jsonlib
import re
import threading
import time
import zipfile
from contextlib import contextmanager
from email.parser import HeaderParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterator, Mapping, MutableSequence, Sequence
    from pathlib import Path

__all__ = ["JSON_CONTENT_TYPE", "normalize", "project_of", "serve_index"]

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
_HTML_CONTENT_TYPE = "text/html; charset=utf-8"
_SUFFIXES = (".whl", ".tar.gz", ".zip")


def normalize(name: str) -> str:
    """Return the PEP 503 normalized form of a project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_of(filename: str) -> str:
    """Return the normalized project name of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        return normalize(filename.split("-", 1)[0])
    stem = filename.removesuffix(".tar.gz").removesuffix(".zip")
    return normalize(stem.rsplit("-", 1)[0])


def _requires_python(path: Path) -> str | None:
    """Read ``Requires-Python`` from a wheel's METADATA (None for sdists)."""
    if not path.name.endswith(".whl"):
        return None
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.count("/") == 1 and member.endswith(".dist-info/METADATA"):
                headers = HeaderParser().parsestr(archive.read(member).decode("utf-8"))
                return headers.get("Requires-Python")
    return None


class _Index:
    """The files of ``root`` grouped by project, with their sha256 (cached by mtime)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[tuple[str, int, int], tuple[str, str | None]] = {}
        self._lock = threading.Lock()

    def projects(self) -> dict[str, list[Path]]:
        result: dict[str, list[Path]] = {}
        for path in sorted(self.root.iterdir()):
            if path.is_file() and path.name.endswith(_SUFFIXES):
                result.setdefault(project_of(path.name), []).append(path)
        return result

    def metadata_sha256(self, path: Path) -> str | None:
        """Return the sha256 of a wheel's own METADATA if ``<wheel>.metadata`` lies beside it."""
        if not path.name.endswith(".whl") or not path.with_name(path.name + ".metadata").is_file():
            return None
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.count("/") == 1 and member.endswith(".dist-info/METADATA"):
                    return hashlib.sha256(archive.read(member)).hexdigest()
        return None

    def describe(self, path: Path) -> tuple[str, str | None]:
        """Return (sha256 hex, requires-python) of a file."""
        stat = path.stat()
        key = (path.name, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key not in self._cache:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                self._cache[key] = (digest, _requires_python(path))
            return self._cache[key]


def _make_handler(
    index: _Index,
    *,
    json: bool,
    delay: float,
    status_override: Mapping[str, int],
    log: MutableSequence[str] | None,
    answers: MutableSequence[tuple[str, int]] | None = None,
    advertise_metadata: bool | Literal["true"] = True,
    extra_links: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> type[BaseHTTPRequestHandler]:
    added = extra_links or {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            page = status == 200 and content_type != "application/octet-stream"
            if page and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            if answers is not None:
                answers.append((self.path, status))
            self.send_response(status)
            if page:
                self.send_header("ETag", etag)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _redirect(self, location: str) -> None:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _wants_json(self) -> bool:
            return json and JSON_CONTENT_TYPE in self.headers.get("Accept", "")

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if log is not None:
                log.append(path)
            if path in status_override:
                status = status_override[path]
                self._send(status, f"{status}\n".encode(), "text/plain")
                return
            parts = [p for p in path.split("/") if p]
            if parts == ["simple"]:
                if not path.endswith("/"):
                    self._redirect("/simple/")
                    return
                self._root_page()
            elif len(parts) == 2 and parts[0] == "simple":
                wanted = normalize(parts[1])
                if parts[1] != wanted or not path.endswith("/"):
                    self._redirect(f"/simple/{wanted}/")
                    return
                self._project_page(wanted)
            elif len(parts) == 2 and parts[0] == "files":
                self._file(parts[1])
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

        def _root_page(self) -> None:
            names = sorted(index.projects())
            if self._wants_json():
                payload = {"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in names]}
                self._send(HTTPStatus.OK, jsonlib.dumps(payload).encode(), JSON_CONTENT_TYPE)
                return
            links = "".join(f'<a href="{n}/">{n}</a><br/>\n' for n in names)
            page = f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n"
            self._send(HTTPStatus.OK, page.encode(), _HTML_CONTENT_TYPE)

        def _project_page(self, name: str) -> None:
            files = index.projects().get(name, [])
            if not files and name not in added:
                self._send(HTTPStatus.NOT_FOUND, b"no such project\n", "text/plain")
                return
            described = [
                (f, *index.describe(f), index.metadata_sha256(f) if advertise_metadata else None)
                for f in files
            ]
            if self._wants_json():
                entries = []
                for path, digest, requires_python, metadata in described:
                    entry: dict[str, object] = {
                        "filename": path.name,
                        "url": f"../../files/{path.name}",
                        "hashes": {"sha256": digest},
                    }
                    if requires_python:
                        entry["requires-python"] = requires_python
                    if metadata:
                        value = True if advertise_metadata == "true" else {"sha256": metadata}
                        entry["core-metadata"] = entry["dist-info-metadata"] = value
                    entries.append(entry)
                entries += [
                    {"filename": filename, "url": href, "hashes": {}}
                    for filename, href in added.get(name, ())
                ]
                payload = {"meta": {"api-version": "1.0"}, "name": name, "files": entries}
                self._send(HTTPStatus.OK, jsonlib.dumps(payload).encode(), JSON_CONTENT_TYPE)
                return
            links = []
            for path, digest, requires_python, metadata in described:
                attr = (
                    f' data-requires-python="{html.escape(requires_python)}"'
                    if requires_python
                    else ""
                )
                if metadata:
                    value = "true" if advertise_metadata == "true" else f"sha256={metadata}"
                    attr += f' data-core-metadata="{value}" data-dist-info-metadata="{value}"'
                links.append(
                    f'<a href="../../files/{path.name}#sha256={digest}"{attr}>{path.name}</a><br/>'
                )
            links += [
                f'<a href="{html.escape(href)}">{html.escape(filename)}</a><br/>'
                for filename, href in added.get(name, ())
            ]
            page = "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n"
            self._send(HTTPStatus.OK, page.encode(), _HTML_CONTENT_TYPE)

        def _file(self, filename: str) -> None:
            path = index.root / filename
            if "/" in filename or not path.is_file():
                self._send(HTTPStatus.NOT_FOUND, b"no such file\n", "text/plain")
                return
            if delay:
                time.sleep(delay)
            self._send(HTTPStatus.OK, path.read_bytes(), "application/octet-stream")

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (interruption tests) are not errors here."""


@contextmanager
def serve_index(
    root: Path,
    *,
    json: bool = True,
    delay: float = 0.0,
    status_override: Mapping[str, int] | None = None,
    log: MutableSequence[str] | None = None,
    answers: MutableSequence[tuple[str, int]] | None = None,
    tls: ssl.SSLContext | None = None,
    host: str = "127.0.0.1",
    advertise_metadata: bool | Literal["true"] = True,
    extra_links: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> Iterator[str]:
    """Serve ``root`` as a simple index on loopback for the duration of the ``with``.

    Args:
        root: directory of wheels/sdists (flat).
        json: also answer PEP 691 JSON when the client asks for it.
        delay: seconds to wait before sending each file (not pages).
        status_override: request path -> HTTP status to answer instead.
        log: receives each request path.
        answers: receives ``(path, status)`` of each answer.
        tls: serve ``https`` with this server context.
        host: the loopback address to listen on (``127.0.0.2`` stands in for another host).
        advertise_metadata: advertise the ``.metadata`` files beside wheels (PEP 658),
            with their sha256, or ``"true"`` without it.
        extra_links: project -> ``(filename, href)`` links added to its page.

    Yields:
        The index URL, ``http://HOST:PORT/simple/`` (``https`` with ``tls``).
    """
    handler = _make_handler(
        _Index(root),
        json=json,
        delay=delay,
        status_override=status_override or {},
        log=log,
        answers=answers,
        advertise_metadata=advertise_metadata,
        extra_links=extra_links,
    )
    assert host.startswith("127."), "tests send traffic to loopback addresses only"
    server = _QuietServer((host, 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    # serve_forever polls for shutdown every 0.5 s by default: each `with` would wait that long
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="envsnap-test-index", daemon=True
    )
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield f"{scheme}://{host}:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
