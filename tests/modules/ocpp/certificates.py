"""Throwaway certificates for the TLS tests, made with the openssl CLI (no network, no store).

Two root CAs: ``ca`` signs the CSMS's server certificate (for localhost and 127.0.0.1) and the
charge point's client certificate (CN = the charge point id); ``other`` signs a server
certificate the charge point must not trust.
"""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support import host_tools

SERVER_EXT = "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
CLIENT_EXT = "extendedKeyUsage=clientAuth\n"


def openssl(*args: str) -> None:
    subprocess.run([host_tools.path("openssl"), *args], check=True, capture_output=True,
                   timeout=60)


def root_ca(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", f"/CN={name} root CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def leaf(directory: Path, name: str, subject: str, ca: tuple[Path, Path], extensions: str,
         password: str = "") -> tuple[Path, Path]:
    """A certificate signed by ``ca`` and its key (encrypted with ``password`` if one)."""
    cert, key, csr = (directory / f"{name}.pem", directory / f"{name}.key",
                      directory / f"{name}.csr")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={subject}")
    ext = directory / f"{name}.ext"
    ext.write_text(extensions)
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
            "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))
    if password:
        encrypted = directory / f"{name}.enc"
        openssl("pkey", "-in", str(key), "-out", str(encrypted), "-aes256",
                "-passout", f"pass:{password}")
        encrypted.replace(key)
    csr.unlink()
    ext.unlink()
    return cert, key


@dataclass
class Certificates:
    ca: Path  # the CSMS root CA bundle the charge point trusts
    server: tuple[Path, Path]  # signed by ca
    foreign_server: tuple[Path, Path]  # signed by another CA
    client: tuple[Path, Path]  # the charge point's, signed by ca

    @classmethod
    def make(cls, directory: Path, cp_id: str) -> Certificates:
        directory.mkdir(parents=True, exist_ok=True)
        ca, other = root_ca(directory, "csms-ca"), root_ca(directory, "other-ca")
        return cls(ca[0], leaf(directory, "server", "localhost", ca, SERVER_EXT),
                   leaf(directory, "foreign-server", "localhost", other, SERVER_EXT),
                   leaf(directory, "client", cp_id, ca, CLIENT_EXT))

    def server_context(self, foreign: bool = False, client_certs: bool = False
                       ) -> ssl.SSLContext:
        """The CSMS's TLS context; with ``client_certs`` it requires one signed by ca."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert, key = self.foreign_server if foreign else self.server
        context.load_cert_chain(cert, key)
        if client_certs:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.ca)
        return context
