"""The per-run layer of the guest: pycharge from this checkout, as the recipe installs it.

tests/layer/staging.py does what the recipe's do_install and do_install_ptest do (a wheel under
/usr, /etc/pycharge, /usr/lib/pycharge/ptest with run-ptest); this adds what differs on a Debian
guest (scripts for /usr/bin/python3, bytecode) and the guest side of this harness, and writes it
all as a second cpio archive, which the kernel unpacks over the cached base.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.layer.staging import PTEST_DIR, stage
from tests.qemu.rootfs import GUEST_PYTHON, pack, precompile

HERE = Path(__file__).resolve().parent
SITE = f"usr/lib/python{GUEST_PYTHON}/site-packages"
HARNESS = "usr/lib/pycharge-qemu"
MOSQUITTO_CONF = ("# The guest's system broker, as on the board: loopback only.\n"
                  "listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n"
                  "user mosquitto\nlog_dest none\n")


def _install(source: Path, target: Path, mode: int = 0o644) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    target.chmod(mode)


def for_the_guest(root: Path, site_packages: Path) -> None:
    """The guest's Python paths: site-packages of its version, scripts run by /usr/bin/python3."""
    if site_packages != root / SITE:
        (root / SITE).parent.mkdir(parents=True, exist_ok=True)
        site_packages.rename(root / SITE)
    for script in (root / "usr/bin").iterdir():
        lines = script.read_text().split("\n", 1)
        if lines[0].startswith("#!") and "python" in lines[0]:
            script.write_text("#!/usr/bin/python3\n" + lines[1])


def install_harness(root: Path, run_ptest_args: str) -> None:
    _install(HERE / "guest/init", root / "init", 0o755)
    (root / "etc/pycharge-qemu").mkdir(parents=True)
    (root / "etc/pycharge-qemu/args").write_text(run_ptest_args + "\n")
    for name in ("ptest_runner.py", "measure.py"):
        _install(HERE / "guest" / name, root / HARNESS / name)
    shutil.copytree(HERE.parent.parent / "bench", root / HARNESS / "bench",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "results"))
    (root / "etc/mosquitto").mkdir(parents=True, exist_ok=True)
    (root / "etc/mosquitto/qemu.conf").write_text(MOSQUITTO_CONF)


def install_ocpp(root: Path) -> None:
    """The ocpp package as meta-pycharge's python3-ocpp installs it (pure Python; Debian has
    no package of it), taken from the venv that runs this harness."""
    import ocpp
    shutil.copytree(Path(ocpp.__file__).parent, root / SITE / "ocpp",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def build_layer(workdir: Path, run_ptest_args: str = "") -> Path:
    """Write ``workdir``/pycharge.cpio.gz from the checkout as it is now."""
    staged = stage(workdir)
    root = staged.root
    for_the_guest(root, staged.site_packages)
    install_ocpp(root)
    install_harness(root, run_ptest_args)
    precompile(root, SITE, PTEST_DIR, HARNESS)
    root.chmod(0o755)  # its "." entry sets the mode of the guest's /
    archive = workdir / "pycharge.cpio.gz"
    pack(root, archive)
    return archive
