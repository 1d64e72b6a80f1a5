"""EvseSecurity on a real broker: CA bundles and leaf certificates from the filesystem, a leaf
only with the key that belongs to it (an encrypted one opened with private_key_password)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import Mosquitto
from tests.modules.energy.support import call
from tests.modules.ocpp.certificates import CLIENT_EXT, Certificates, leaf, root_ca
from tests.support.probe import Probe
from tests.support.stack import running, write_config


def store(tmp_path: Path, **config: str) -> dict[str, Any]:
    return {"active_modules": {"security": {"module": "EvseSecurity", "config_module": {
        "csms_ca_bundle": str(tmp_path / "ca" / "csms.pem"),
        "csms_leaf_cert_directory": str(tmp_path / "certs"),
        "csms_leaf_key_directory": str(tmp_path / "keys"), **config}}}}


def test_bundles_and_the_newest_leaf_with_its_key(tmp_path: Path, mosquitto: Mosquitto,
                                                  probe: Probe) -> None:
    made = Certificates.make(tmp_path / "made", "cp001")
    (tmp_path / "ca").mkdir()
    shutil.copy(made.ca, tmp_path / "ca" / "csms.pem")
    (tmp_path / "certs").mkdir()
    (tmp_path / "keys").mkdir()
    # an older certificate whose key is missing, and the newer one with its (encrypted) key
    ca = (made.ca, made.ca.with_suffix(".key"))
    old_cert, _ = leaf(tmp_path / "made", "old", "cp001", ca, CLIENT_EXT)
    shutil.copy(old_cert, tmp_path / "certs" / "old.pem")
    os.utime(tmp_path / "certs" / "old.pem", (1, 1))
    new_cert, new_key = leaf(tmp_path / "made", "new", "cp001", ca, CLIENT_EXT, "secret12")
    shutil.copy(new_cert, tmp_path / "certs" / "new.pem")
    shutil.copy(new_key, tmp_path / "keys" / "new.key")
    with running(write_config(tmp_path, store(tmp_path, private_key_password="secret12")),
                 mosquitto.address) as stack:
        def ask(cmd: str, **args: Any) -> Any:
            answer = call(stack, probe, "security", "main", cmd, **args)
            assert "error" not in answer, answer
            return answer.get("retval")
        assert ask("get_verify_file", certificate_type="CSMS") == str(tmp_path / "ca" / "csms.pem")
        assert ask("is_ca_certificate_installed", certificate_type="CSMS") is True
        assert ask("get_verify_file", certificate_type="MO") == ""  # /etc/everest/certs/...
        assert ask("get_leaf_certificate_info", certificate_type="CSMS", encoding="PEM",
                   include_ocsp=False) == {"status": "Accepted", "info": {
            "key": str(tmp_path / "keys" / "new.key"),
            "certificate": str(tmp_path / "certs" / "new.pem"),
            "certificate_single": str(tmp_path / "certs" / "new.pem"),
            "certificate_count": 1, "password": "secret12"}}
        assert ask("get_leaf_certificate_info", certificate_type="CSMS", encoding="DER",
                   include_ocsp=False) == {"status": "Rejected"}
        assert ask("get_leaf_certificate_info", certificate_type="MF", encoding="PEM",
                   include_ocsp=False) == {"status": "NotFound"}
        (tmp_path / "keys" / "new.key").unlink()  # read anew at every call
        assert ask("get_leaf_certificate_info", certificate_type="CSMS", encoding="PEM",
                   include_ocsp=False) == {"status": "PrivateKeyNotFound"}


def test_a_wrong_password_or_a_foreign_key_is_no_key(tmp_path: Path, mosquitto: Mosquitto,
                                                     probe: Probe) -> None:
    ca = root_ca(tmp_path, "ca")
    (tmp_path / "certs").mkdir()
    (tmp_path / "keys").mkdir()
    cert, key = leaf(tmp_path / "certs", "cp", "cp001", ca, CLIENT_EXT, "secret12")
    key.rename(tmp_path / "keys" / "cp.key")
    _, foreign = leaf(tmp_path, "other", "cp002", ca, CLIENT_EXT)
    shutil.copy(foreign, tmp_path / "keys" / "other.key")
    with running(write_config(tmp_path, store(tmp_path, private_key_password="wrong-one")),
                 mosquitto.address) as stack:
        answer = call(stack, probe, "security", "main", "get_leaf_certificate_info",
                      certificate_type="CSMS", encoding="PEM", include_ocsp=False)
        assert answer.get("retval") == {"status": "PrivateKeyNotFound"}, answer
        answer = call(stack, probe, "security", "main", "is_ca_certificate_installed",
                      certificate_type="CSMS")
        assert answer.get("retval") is False  # no bundle at all
    assert cert.exists()
