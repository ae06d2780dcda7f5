"""Certificates a feed server may present: the officer sees which problem, in words.

Real TLS servers on 127.0.0.1 with certificates made by the test (cryptography).
"""

from __future__ import annotations

import ipaddress
import ssl
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.feeds.conftest import make_rt  # noqa: F401 - fixture shared with tests/feeds
from tests.support.feed_factory import rss_feed
from tests.support.feed_server import FeedServer, Reply
from watchdesk.feeds import fetch
from watchdesk.services.sources import poll_due

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

NOW = datetime.now(timezone.utc)  # certificates are checked against the real clock by OpenSSL


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key, issuer: str, issuer_key, *, ca: bool, not_after: datetime):  # noqa: ANN001, ANN202
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject)).issuer_name(_name(issuer)).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=30)).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _server_context(tmp_path: Path, cert, key) -> ssl.SSLContext:  # noqa: ANN001
    cert_file, key_file = tmp_path / "leaf.pem", tmp_path / "leaf.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


@pytest.fixture
def trusted_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """A test CA that the desk's TLS context trusts (as if it were a public one)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("watchdesk test CA", ca_key, "watchdesk test CA", ca_key, ca=True, not_after=NOW + timedelta(days=365))
    trust = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    monkeypatch.setattr(fetch, "_tls", trust)
    return ca_key


def _poll(make_rt, server: FeedServer):  # noqa: ANN001, ANN202
    server.route("/feed", Reply(body=rss_feed(2), headers={"Content-Type": "application/rss+xml"}))
    rt = make_rt(sources=[{"key": "tls", "kind": "rss", "url": server.url("/feed")}])
    return poll_due(rt)[0]


def test_a_valid_certificate_is_accepted(tmp_path: Path, trusted_ca, make_rt) -> None:  # noqa: ANN001
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("127.0.0.1", key, "watchdesk test CA", trusted_ca, ca=False, not_after=NOW + timedelta(days=30))
    with FeedServer(tls=_server_context(tmp_path, leaf, key)) as server:
        result = _poll(make_rt, server)
    assert result.status == "ok" and len(result.new) == 2


def test_an_expired_certificate(tmp_path: Path, trusted_ca, make_rt) -> None:  # noqa: ANN001
    """The officer sees "presented a certificate that has expired"; nothing from it is stored."""
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("127.0.0.1", key, "watchdesk test CA", trusted_ca, ca=False, not_after=NOW - timedelta(days=1))
    with FeedServer(tls=_server_context(tmp_path, leaf, key)) as server:
        result = _poll(make_rt, server)
    assert result.error == "presented a certificate that has expired"


def test_a_self_signed_certificate(tmp_path: Path, trusted_ca, make_rt) -> None:  # noqa: ANN001
    """The officer sees "presented a self-signed certificate"."""
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("127.0.0.1", key, "127.0.0.1", key, ca=False, not_after=NOW + timedelta(days=30))
    with FeedServer(tls=_server_context(tmp_path, leaf, key)) as server:
        result = _poll(make_rt, server)
    assert result.error == "presented a self-signed certificate"
