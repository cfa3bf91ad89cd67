"""TLS on the local broker's client listener (``ZYGARDE_KAFKA_TLS``, with ``ZYGARDE_KAFKA_SASL``): a CA and a
broker certificate generated at ``up`` into ``$ZYGARDE_HOME/kafka/tls/`` (PEM; the keys mode 600), which the
broker reads as PEM key and trust stores (``ssl.keystore.type=PEM``), and whose CA every client trusts
(``ssl.ca.location`` in the client files)."""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from zygarde.settings import Settings

VALID_DAYS = 825


def tls_dir(settings: Settings) -> Path:
    return settings.home / "kafka" / "tls"


def ca_path(settings: Settings) -> Path:
    return tls_dir(settings) / "ca.pem"


def keystore_path(settings: Settings) -> Path:
    """The broker's private key (PKCS#8) followed by its certificate and the CA's: a PEM key store."""
    return tls_dir(settings) / "broker-keystore.pem"


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def ensure_certificates(settings: Settings, host: str) -> None:
    """The CA and the broker's certificate for ``host`` (an IP or a name), generated once per home; a
    certificate for another host is made again (the CA is kept, so clients' trust does not change)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    pem = serialization.Encoding.PEM
    ca_key_path = tls_dir(settings) / "ca-key.pem"
    host_file = tls_dir(settings) / "broker-host"
    if keystore_path(settings).exists() and host_file.exists() and host_file.read_text() == host:
        return
    now = datetime.datetime.now(datetime.UTC)
    if ca_key_path.exists() and ca_path(settings).exists():
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(ca_path(settings).read_bytes())
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Zygarde local CA")])
        ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                   .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                content_commitment=False, key_encipherment=False,
                                                data_encipherment=False, key_agreement=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .sign(ca_key, hashes.SHA256()))
        _write(ca_key_path, ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()), 0o600)
        _write(ca_path(settings), ca_cert.public_bytes(pem), 0o644)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
                                                  x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    store = (key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
             + cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    _write(keystore_path(settings), store, 0o600)
    _write(host_file, host.encode(), 0o644)


def server_properties(settings: Settings) -> str:
    """What the broker's configuration adds for TLS on the client listener (after the SASL settings)."""
    return "\n".join([
        "# TLS on the client listener (ZYGARDE_KAFKA_TLS)",
        "listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SASL_PLAINTEXT",
        "listener.name.client.ssl.keystore.type=PEM",
        f"listener.name.client.ssl.keystore.location={keystore_path(settings)}",
        "listener.name.client.ssl.truststore.type=PEM",
        f"listener.name.client.ssl.truststore.location={ca_path(settings)}",
        # the broker's own inter-broker client (the CLIENT listener) checks the certificate as any client does
        "ssl.truststore.type=PEM",
        f"ssl.truststore.location={ca_path(settings)}",
        "",
    ])
