"""The guest's base: Debian bookworm armhf packages and the armmp kernel, built once and cached.

Packages are resolved and downloaded with the host's apt pointed at a private state directory
(armhf only, an almost empty dpkg status), so nothing is installed on, or configured for, the host.
The result, a gzip'd newc cpio archive plus the kernel, is cached under a key made of the resolved
package files and this file's own text; only the pycharge layer (layer.py) is rebuilt each run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUITES = ("bookworm", "bookworm-updates")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# Where the downloaded packages and the built base are kept, and which archive they come from;
# the ptest harness and the board bench (bench/board.py) share both.
CACHE = Path(os.environ.get("PYCHARGE_QEMU_CACHE", Path.home() / ".cache/pycharge-qemu"))
MIRROR = os.environ.get("PYCHARGE_QEMU_MIRROR", DEFAULT_MIRROR)
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
KERNEL_META = "linux-image-armmp"
GUEST_PYTHON = "3.11"
# openssl: CbSystem's firmware tests sign and check images with the openssl command.
PACKAGES = (
    "busybox-static", "python3", "python3-yaml", "python3-paho-mqtt", "python3-periphery",
    "mosquitto", "python3-pytest", "python3-hypothesis", "openssl", "python3-websockets",
    "python3-jsonschema",
)
# Marked installed in the private status file: busybox stands in for them, or they only matter
# to dpkg's maintainer scripts, which never run here. Keeps the closure small (63 instead of 83).
PRUNED = ("adduser", "debconf", "dpkg", "passwd", "tar", "sysvinit-utils", "lsb-base")
LISTS_MAX_AGE = 24 * 3600
UNNEEDED = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale",
            "usr/share/lintian", "usr/share/bug", "usr/share/common-licenses")
PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "mosquitto:x:100:101:mosquitto:/var/lib/mosquitto:/bin/false\n"
          "ptest:x:101:102:ptest:/home/ptest:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
GROUP = "root:x:0:\nmosquitto:x:101:\nptest:x:102:\nnogroup:x:65534:\n"
# Debian's Python looks in dist-packages; the Yocto recipe installs into site-packages.
YOCTO_SITE_PTH = f"/usr/lib/python{GUEST_PYTHON}/site-packages\n"


@dataclass(frozen=True)
class Base:
    """What the boot needs from the cache: the kernel and the base initramfs archive."""

    kernel: Path
    archive: Path
    packages: int
    cached: bool


def log(message: str) -> None:
    print(f"qemu-ptest: {message}", flush=True)


class PrivateApt:
    """The host's apt-get, with lists, archives and dpkg status of its own, for armhf."""

    def __init__(self, directory: Path, mirror: str) -> None:
        self.dir = directory
        self.config = directory / "apt.conf"
        self.archives = directory / "archives"
        for sub in ("etc/sources.list.d", "etc/preferences.d", "lists/partial", "archives/partial"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        sources = "".join(f"deb [signed-by={KEYRING}] {mirror} {suite} main\n" for suite in SUITES)
        (directory / "etc/sources.list.d/debian.list").write_text(sources)
        (directory / "etc/sources.list").write_text("")
        (directory / "status").write_text("".join(
            f"Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: admin\n"
            f"Maintainer: none\nArchitecture: all\nVersion: 999\nDescription: not needed\n\n"
            for name in PRUNED))
        self.config.write_text(
            'APT::Architecture "armhf";\nAPT::Architectures { "armhf"; };\n'
            'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'
            f'Dir::Etc::sourcelist "{directory}/etc/sources.list";\n'
            f'Dir::Etc::sourceparts "{directory}/etc/sources.list.d";\n'
            f'Dir::Etc::preferencesparts "{directory}/etc/preferences.d";\n'
            f'Dir::State::lists "{directory}/lists/";\n'
            f'Dir::State::status "{directory}/status";\n'
            f'Dir::State::extended_states "{directory}/extended_states";\n'
            f'Dir::Cache "{directory}/cache/";\n'
            f'Dir::Cache::archives "{self.archives}/";\n')

    def run(self, *command: str, cwd: Path | None = None) -> str:
        env = dict(os.environ, APT_CONFIG=str(self.config), DEBIAN_FRONTEND="noninteractive")
        result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                                check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def update(self, force: bool) -> None:
        lists = list((self.dir / "lists").glob("*_Packages*"))
        age = time.time() - min(p.stat().st_mtime for p in lists) if lists else None
        if not force and age is not None and age < LISTS_MAX_AGE:
            return
        log("apt-get update (armhf, private lists)")
        try:
            self.run("apt-get", "-q", "update")
        except RuntimeError:
            if not lists:
                raise
            log("apt-get update failed; using the lists of the last successful update")

    def resolve(self) -> tuple[list[str], str]:
        """The .deb file names of the userland closure, and the versioned kernel package."""
        # --print-uris leaves out what the archive cache holds: ask with an empty one
        empty = self.dir / "no-archives"
        (empty / "partial").mkdir(parents=True, exist_ok=True)
        out = self.run("apt-get", "-q", "-y", "-o", f"Dir::Cache::archives={empty}/",
                       "--print-uris", "install", *PACKAGES)
        files = sorted(line.split()[1] for line in out.splitlines() if line.startswith("'"))
        depends = self.run("apt-cache", "depends", KERNEL_META)
        kernel = next(line.split(":", 1)[1].strip() for line in depends.splitlines()
                      if line.strip().startswith("Depends: linux-image-"))
        return files, kernel

    def download(self, kernel: str) -> Path:
        self.run("apt-get", "-q", "-y", "--download-only", "install", *PACKAGES)
        self.run("apt-get", "-q", "download", kernel, cwd=self.archives)
        return next(self.archives.glob(f"{kernel}_*_armhf.deb"))


def _extract_kernel(deb: Path, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", tmp, "--wildcards", "./boot/vmlinuz-*"],
                       stdin=tar.stdout, check=True)
        if tar.wait() != 0:
            raise RuntimeError(f"cannot read {deb}")
        shutil.copy(next(Path(tmp, "boot").glob("vmlinuz-*")), target)


def precompile(root: Path, *directories: str) -> None:
    """Byte-compile on the host: the guest's rootfs is fresh each boot, so its caches are lost.

    unchecked-hash .pyc files are used without looking at the source's mtime, which the
    initramfs does not have to keep. Needs the host's Python to be the guest's minor version.
    """
    if f"{sys.version_info.major}.{sys.version_info.minor}" != GUEST_PYTHON:
        log(f"host Python is not {GUEST_PYTHON}: the guest compiles its .pyc files at each boot")
        return
    paths = [str(root / d) for d in directories if (root / d).is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j0", "-s", str(root), "-p", "/",
                    "--invalidation-mode", "unchecked-hash", *paths],
                   check=True, stdout=subprocess.DEVNULL)


def pack(root: Path, archive: Path) -> None:
    """Write ``root`` as a gzip'd newc cpio archive owned by root, which the kernel unpacks."""
    names = subprocess.run(["find", "."], cwd=root, capture_output=True, check=True).stdout
    with archive.open("wb") as out:
        cpio = subprocess.Popen(["cpio", "-o", "-H", "newc", "-R", "0:0", "--quiet"], cwd=root,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        gzip = subprocess.Popen(["gzip", "-6", "-n"], stdin=cpio.stdout, stdout=out)
        cpio.stdout.close()
        cpio.communicate(names)
        if cpio.returncode != 0 or gzip.wait() != 0:
            raise RuntimeError(f"cannot write {archive}")


def _populate(root: Path, debs: list[Path]) -> None:
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    for unneeded in UNNEEDED:
        shutil.rmtree(root / unneeded, ignore_errors=True)
    (root / "bin/sh").symlink_to("busybox")
    for directory in ("dev", "proc", "sys", "tmp", "run", "root", "sbin", "usr/sbin",
                      "var/lib/mosquitto", "home/ptest"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    (root / "etc/passwd").write_text(PASSWD)
    (root / "etc/group").write_text(GROUP)
    (root / "etc/hostname").write_text("qemuarm\n")
    (root / "etc/hosts").write_text("127.0.0.1 localhost qemuarm\n::1 localhost\n")
    pth = root / "usr/lib/python3/dist-packages/yocto-site-packages.pth"
    pth.write_text(YOCTO_SITE_PTH)
    (root / f"usr/lib/python{GUEST_PYTHON}/site-packages").mkdir(parents=True, exist_ok=True)
    precompile(root, f"usr/lib/python{GUEST_PYTHON}", "usr/lib/python3/dist-packages")


def build_base(cache: Path, mirror: str, refresh: bool) -> Base:
    """Return the cached base for the current package closure, building it if needed."""
    apt = PrivateApt(cache / "apt", mirror)
    apt.update(force=refresh)
    files, kernel = apt.resolve()
    key = hashlib.sha256("\n".join([*files, kernel, Path(__file__).read_text()]).encode())
    target = cache / f"base-{key.hexdigest()[:16]}"
    base = Base(target / "vmlinuz", target / "base.cpio.gz", len(files), cached=True)
    if base.archive.exists() and base.kernel.exists():
        log(f"base rootfs from cache: {target} ({len(files)} packages, kernel {kernel})")
        return base
    log(f"downloading {len(files)} armhf packages and {kernel}")
    kernel_deb = apt.download(kernel)
    debs = [apt.archives / name for name in files]
    missing = [str(deb) for deb in debs if not deb.exists()]
    if missing:
        raise RuntimeError(f"apt did not download: {', '.join(missing)}")
    log("assembling the base rootfs")
    building = Path(tempfile.mkdtemp(prefix="building-", dir=cache))
    try:
        root = building / "root"
        root.mkdir()
        root.chmod(0o755)  # its "." entry sets the mode of the guest's /
        _populate(root, debs)
        _extract_kernel(kernel_deb, building / "vmlinuz")
        pack(root, building / "base.cpio.gz")
        shutil.rmtree(root)
        (building / "packages.txt").write_text("\n".join([*files, kernel]) + "\n")
        for old in cache.glob("base-*"):
            if old != building:
                shutil.rmtree(old, ignore_errors=True)
        building.rename(target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    for deb in apt.archives.glob("*.deb"):
        if deb.name not in files and deb != kernel_deb:
            deb.unlink()
    return Base(base.kernel, base.archive, len(files), cached=False)
