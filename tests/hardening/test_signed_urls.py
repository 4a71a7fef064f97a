"""Issue 15, item 12: a signed URL in ``direct_url.json`` is a credential.

The attack (a leak, not an exploit): ``pip install`` from a pre-signed S3 or
GCS link, an Azure SAS link or a private index's ``?token=`` link records the
URL, query string included, in ``direct_url.json``; freeze wrote it verbatim
into the lock file that gets committed. Now ``origin.strip_credentials`` (the
one place) drops each secret query parameter as it drops ``user:password@``,
with the warning freeze already gives for the latter, and ``redact_urls``
masks them in messages.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from envsnap._text import redact_urls, strip_credentials
from hardening.corpus import assert_no_traceback, fake_target, invoke, site_packages
from support.venvs import messages

if TYPE_CHECKING:
    from pathlib import Path

HOST = "https://bucket.storage.example"
DIGEST = "4112601f8679f6493b7e2adb4dddfb4390332dfa388278fdb12f20063caceebd"

# the signed URL as pip records it -> what the lock file may say
SIGNED: dict[str, tuple[str, str]] = {
    "s3-sigv4": (
        f"{HOST}/durl-1.0.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
        "&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE&X-Amz-Signature=0123abcd",
        f"{HOST}/durl-1.0.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host",
    ),
    "s3-v2": (
        f"{HOST}/durl-1.0.tar.gz?AWSAccessKeyId=AKIAEXAMPLE&Expires=1767225600"
        "&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
        f"{HOST}/durl-1.0.tar.gz?Expires=1767225600",
    ),
    "gcs": (
        f"{HOST}/durl-1.0.tar.gz?X-Goog-Algorithm=GOOG4-RSA-SHA256"
        "&X-Goog-Credential=svc%40project.iam&X-Goog-Signature=5f3a",
        f"{HOST}/durl-1.0.tar.gz?X-Goog-Algorithm=GOOG4-RSA-SHA256",
    ),
    "azure-sas": (
        f"{HOST}/durl-1.0.tar.gz?sv=2024-11-04&se=2026-01-01&sp=r&sig=AbC%2Bd%3D",
        f"{HOST}/durl-1.0.tar.gz?sv=2024-11-04&se=2026-01-01&sp=r",
    ),
    "token-and-password": (
        "https://alice:s3cret@files.example/durl-1.0.tar.gz?token=t0k3n&access_token=a",
        "https://files.example/durl-1.0.tar.gz",
    ),
}


@pytest.mark.parametrize("case", sorted(SIGNED))
def test_freeze_drops_the_signature_and_warns(
    case: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    signed, clean = SIGNED[case]
    venv = fake_target(monkeypatch, tmp_path, "direct-url-unknown-keys")
    durl = site_packages(venv) / "durl-1.0.dist-info" / "direct_url.json"
    durl.write_text(
        json.dumps({"url": signed, "archive_info": {"hashes": {"sha256": DIGEST}}}),
        encoding="utf-8",
    )
    out = tmp_path / "requirements.txt"
    result = invoke("freeze", "-q", "-p", str(venv), "-o", str(out))
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert messages(result.stderr).splitlines()[0] == (
        f"warning: {durl}: credentials removed from the recorded URL; never written out"
    )
    assert out.read_text(encoding="utf-8").splitlines()[2] == f"durl @ {clean}#sha256={DIGEST}"
    pylock = tmp_path / "pylock.toml"
    # the pylock writer takes the same origin: no secret there either
    written = invoke("freeze", "-q", "-p", str(venv), "-o", str(pylock))
    assert written.exit_code == 0, written.stderr
    text = pylock.read_text(encoding="utf-8")
    for secret in ("0123abcd", "Signature", "sig=", "t0k3n", "s3cret", "AKIAEXAMPLE", "5f3a"):
        assert secret not in text


def test_placeholders_and_plain_queries_are_kept() -> None:
    for url in (
        "https://files.example/x.whl?sig=${AZURE_SIG}",
        "https://${USER}:${PASSWORD}@files.example/x.whl",
        "https://files.example/x.whl?version=1&token=",
        "git+ssh://git@forge.example/repo.git",
    ):
        assert strip_credentials(url) == (url.replace("&token=", ""), "&token=" in url)


def test_names_are_matched_whole_and_case_blind() -> None:
    assert strip_credentials("https://h.example/x?Token=a&tokens=b&mytoken=c&SIG=d") == (
        "https://h.example/x?tokens=b&mytoken=c",
        True,
    )


def test_logged_urls_are_masked() -> None:
    line = (
        "ERROR: HTTP error 403 while getting https://u:p@h.example/x.whl?a=1"
        "&X-Amz-Signature=abc&b=2, and https://h.example/y?sig=zz (403)"
    )
    assert redact_urls(line) == (
        "ERROR: HTTP error 403 while getting https://h.example/x.whl?a=1"
        "&X-Amz-Signature=***&b=2, and https://h.example/y?sig=*** (403)"
    )
    assert redact_urls("https://h.example/y?sig=${SIG}") == "https://h.example/y?sig=${SIG}"
