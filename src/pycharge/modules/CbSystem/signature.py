"""Checking a firmware signature with the ``openssl`` program, as chargebyte's scripts do.

The signature is RSA-PSS over SHA-256 of the image (salt length = digest length,
``rsa_pss_saltlen:-1``), made with the key of the signing certificate the request carries. The
certificate, its public key and the decoded signature are written to a private temporary
directory; openssl gets them as arguments, never through a shell.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path

from pycharge.modules.CbSystem.programs import Programs

MAX_CERTIFICATE_LENGTH = 64 * 1024
MAX_SIGNATURE_LENGTH = 8 * 1024
VERIFY_TIMEOUT = 600.0  # hashing a large image on the board's Cortex-A7 takes a while
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
PEM_PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----"


class CertificateError(Exception):
    """The signing certificate is unusable or not trusted."""


class SignatureChecker:
    """Certificate and signature checks through openssl."""

    def __init__(self, programs: Programs, openssl: str, timeout: float, work_dir: Path,
                 ca_file: str = "") -> None:
        self._programs = programs
        self._openssl = openssl
        self._timeout = timeout
        self._work_dir = work_dir
        self._ca_file = ca_file

    def check_certificate(self, certificate: str) -> None:
        """Raise :class:`CertificateError` unless the certificate is usable (and trusted)."""
        with tempfile.TemporaryDirectory(dir=self._work_dir, prefix=".signature.") as work:
            self._public_key(certificate, Path(work))

    def verify(self, image: Path, certificate: str, signature: str) -> bool:
        """Whether ``signature`` (base64) is the certificate key's RSA-PSS signature of ``image``."""
        if len(signature) > MAX_SIGNATURE_LENGTH:
            return False
        try:
            raw = base64.b64decode("".join(signature.split()), validate=True)
        except (binascii.Error, ValueError):
            return False
        if not raw:
            return False
        with tempfile.TemporaryDirectory(dir=self._work_dir, prefix=".signature.") as work:
            try:
                public_key = self._public_key(certificate, Path(work))
            except CertificateError:
                return False
            signature_file = Path(work) / "firmware.sig"
            signature_file.write_bytes(raw)
            result = self._programs.run(
                [self._openssl, "dgst", "-sha256", "-verify", str(public_key),
                 "-signature", str(signature_file), "-sigopt", "rsa_padding_mode:pss",
                 "-sigopt", "rsa_pss_saltlen:-1", str(image)], VERIFY_TIMEOUT)
            return result.ok and result.stdout.strip() == "Verified OK"

    def _public_key(self, certificate: str, work: Path) -> Path:
        if not isinstance(certificate, str) or PEM_CERTIFICATE not in certificate:
            raise CertificateError("the signing certificate is not a PEM certificate")
        if len(certificate) > MAX_CERTIFICATE_LENGTH:
            raise CertificateError("the signing certificate is implausibly long")
        certificate_file = work / "signing.pem"
        certificate_file.write_text(certificate, encoding="ascii", errors="replace")
        result = self._programs.run([self._openssl, "x509", "-in", str(certificate_file),
                                     "-noout", "-pubkey"], self._timeout)
        if not result.ok or PEM_PUBLIC_KEY not in result.stdout:
            raise CertificateError(f"openssl cannot read the certificate ({result.describe()})")
        if self._ca_file:
            trusted = self._programs.run([self._openssl, "verify", "-CAfile", self._ca_file,
                                          str(certificate_file)], self._timeout)
            if not trusted.ok:
                raise CertificateError(f"the certificate is not issued by a trusted CA "
                                       f"({trusted.describe()})")
        public_key = work / "signing.pub"
        public_key.write_text(result.stdout, encoding="ascii")
        return public_key
