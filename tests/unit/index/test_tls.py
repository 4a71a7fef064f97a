"""TLS to an index: pip's ``cert`` (a CA bundle) and ``--trusted-host`` over ``https``.

The loopback index serves ``https`` with a certificate from a throwaway CA
(``trustme``), which no system bundle trusts.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

import pytest
import trustme
from packaging.utils import NormalizedName
from packaging.version import Version

from envsnap.errors import OperationError
from envsnap.index.http import HttpClient
from envsnap.index.secure import is_trusted
from envsnap.index.simple_index import SimpleIndex
from envsnap.index.transfer import Limits
from support.index import serve_index
from support.wheels import build_wheel, file_sha256

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LIMITS = Limits(retries=0, timeout=5)


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_index(tmp_path: Path, authority: trustme.CA) -> Iterator[tuple[str, Path]]:
    """An https loopback index holding alpha 1.0, and the wheel's directory."""
    root = tmp_path / "house"
    build_wheel(root, "alpha", "1.0")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with serve_index(root, tls=context) as url:
        yield url, root


def lookup(url: str, client: HttpClient) -> str:
    """Return the sha256 of alpha 1.0's one file, as the index lists it."""
    found = SimpleIndex([url], client=client).lookup(NormalizedName("alpha"), Version("1.0"))
    assert found is not None
    assert len(found.files) == 1
    return found.files[0].sha256


def test_an_unknown_certificate_is_refused(https_index: tuple[str, Path]) -> None:
    url, _ = https_index
    with pytest.raises(OperationError) as info:
        lookup(url, HttpClient(limits=LIMITS))
    assert info.value.message.startswith(f"cannot reach {url.removesuffix('simple/')} (")
    assert "CERTIFICATE_VERIFY_FAILED" in info.value.message


def test_pips_cert_setting_trusts_the_bundle(
    https_index: tuple[str, Path], authority: trustme.CA, tmp_path: Path
) -> None:
    url, root = https_index
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    client = HttpClient(cert=str(bundle), limits=LIMITS)
    assert lookup(url, client) == file_sha256(root / "alpha-1.0-py3-none-any.whl")


@pytest.mark.parametrize("trusted", ["127.0.0.1", "127.0.0.1:{port}"])
def test_a_trusted_host_is_fetched_without_verification(
    https_index: tuple[str, Path], trusted: str
) -> None:
    """pip's ``--trusted-host``: a bare host trusts every port, ``HOST:PORT`` that one."""
    url, root = https_index
    port = url.split(":")[2].split("/")[0]
    client = HttpClient(trusted_hosts=[trusted.format(port=port)], limits=LIMITS)
    assert lookup(url, client) == file_sha256(root / "alpha-1.0-py3-none-any.whl")


def test_a_trusted_host_on_another_port_is_still_verified(
    https_index: tuple[str, Path],
) -> None:
    url, _ = https_index
    with pytest.raises(OperationError) as info:
        lookup(url, HttpClient(trusted_hosts=["127.0.0.1:1"], limits=LIMITS))
    assert "CERTIFICATE_VERIFY_FAILED" in info.value.message


@pytest.mark.parametrize(
    ("url", "trusted", "expected"),
    [
        ("https://example.invalid/simple/", ["example.invalid"], True),
        ("https://example.invalid/simple/", ["example.invalid:443"], True),
        ("https://example.invalid/simple/", ["example.invalid:80"], False),
        ("http://example.invalid/simple/", ["example.invalid:80"], True),
        ("http://EXAMPLE.invalid:8080/", ["example.invalid:8080"], True),
        ("http://example.invalid:8080/", ["other.invalid"], False),
        ("http://example.invalid:bad/", ["example.invalid"], False),
    ],
)
def test_is_trusted(url: str, trusted: list[str], expected: bool) -> None:
    assert is_trusted(url, trusted) is expected
