"""EvseSecurity: the charger's certificates and keys on the filesystem (``evse_security``).

The store is read anew on every call, so a certificate put in place (by an installer, or a
later certificate update) is used at the next connection without a restart. A leaf certificate
counts only with a private key that belongs to it: each candidate pair is loaded into a TLS
context, which is what the OCPP connection will do with it, and a pair that does not load is
skipped. The newest certificate file with a key wins.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, ClassVar

from pycharge.runtime.module import Implementation, Module

CERTS_DIR = Path("/etc/everest/certs")  # where relative paths start, as on EVerest's chargers
BUNDLE_KEYS = {"CSMS": "csms_ca_bundle", "MF": "mf_ca_bundle", "MO": "mo_ca_bundle",
               "V2G": "v2g_ca_bundle"}
LEAF_KEYS = {"CSMS": ("csms_leaf_cert_directory", "csms_leaf_key_directory"),
             "V2G": ("secc_leaf_cert_directory", "secc_leaf_key_directory")}
CERTIFICATE = "-----BEGIN CERTIFICATE-----"


class Store(Implementation):
    module: EvseSecurity

    def get_verify_file(self, certificate_type: str) -> str:
        bundle = self.module.bundle(certificate_type)
        return str(bundle) if bundle is not None else ""

    def is_ca_certificate_installed(self, certificate_type: str) -> bool:
        return self.module.bundle(certificate_type) is not None

    def get_leaf_certificate_info(self, certificate_type: str, encoding: str,
                                  include_ocsp: bool) -> dict[str, Any]:
        if encoding != "PEM":
            self.module.log.warning("%s leaf certificate in %s asked for: only PEM files are "
                                    "kept", certificate_type, encoding)
            return {"status": "Rejected"}
        return self.module.leaf(certificate_type)


class EvseSecurity(Module):
    implementations: ClassVar = {"main": Store}

    def path(self, key: str) -> Path:
        return CERTS_DIR / self.config[key]  # an absolute value replaces CERTS_DIR

    def bundle(self, certificate_type: str) -> Path | None:
        """The CA bundle of the type, if it holds a certificate."""
        path = self.path(BUNDLE_KEYS[certificate_type])
        if CERTIFICATE not in read_text(path):
            self.log.warning("no %s root CA bundle at %s", certificate_type, path)
            return None
        return path

    def leaf(self, certificate_type: str) -> dict[str, Any]:
        """The newest certificate of the type whose private key is there too."""
        if certificate_type not in LEAF_KEYS:
            return {"status": "NotFound"}
        cert_key, key_key = LEAF_KEYS[certificate_type]
        certificates = [p for p in pem_files(self.path(cert_key)) if CERTIFICATE in read_text(p)]
        if not certificates:
            self.log.warning("no %s leaf certificate in %s", certificate_type,
                             self.path(cert_key))
            return {"status": "NotFound"}
        keys = [p for p in pem_files(self.path(key_key)) if "PRIVATE KEY-----" in read_text(p)]
        password = self.config["private_key_password"]
        for certificate in certificates:
            key = next((k for k in keys if belongs(certificate, k, password)), None)
            if key is None:
                continue
            count = read_text(certificate).count(CERTIFICATE)
            info: dict[str, Any] = {"key": str(key), "certificate": str(certificate),
                                    "certificate_count": count}
            if count == 1:
                info["certificate_single"] = str(certificate)
            if password:
                info["password"] = password
            return {"status": "Accepted", "info": info}
        self.log.warning("no private key in %s for the %s leaf certificates %s",
                         self.path(key_key), certificate_type, [str(c) for c in certificates])
        return {"status": "PrivateKeyNotFound"}


def read_text(path: Path) -> str:
    """The file's text; empty if it cannot be read (a missing file is no certificate)."""
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""


def pem_files(directory: Path) -> list[Path]:
    """The directory's .pem, .crt and .key files, newest first."""
    try:
        files = [p for p in directory.iterdir()
                 if p.suffix in (".pem", ".crt", ".key") and p.is_file()]
    except OSError:
        return []
    return sorted(files, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def belongs(certificate: Path, key: Path, password: str) -> bool:
    """Whether ``key`` is the private key of ``certificate`` (and ``password`` opens it).
    The password is given as a callable so that OpenSSL never prompts for one."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(
            certificate, key, password=lambda: password)
    except (ssl.SSLError, OSError, ValueError):
        return False
    return True
