"""The kas files: each one valid against the schema that ships in the kas package (the check kas
itself does on load), and every build configuration, with its includes and lock files merged as
kas merges them, names a distro and pins every repository to a full commit. Where a mirror of a
repository is at hand, the pinned commit must be on the named branch (kas refuses it otherwise).
No network.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from tests.layer import recipe
from tests.layer.conftest import require

KAS = recipe.CHECKOUT / "kas"
CONFIGS = sorted(KAS.glob("*.yml"))
BUILDS = [p for p in CONFIGS if not p.name.endswith(".lock.yml")]
ALL_FILES = sorted(KAS.rglob("*.yml"))
MIRROR = Path(os.environ.get("MIRROR", recipe.CHECKOUT.parent / ".mirror"))
HOSTS = {"git.yoctoproject.org": "yoctoproject", "git.openembedded.org": "openembedded"}


def kas_schema() -> dict[str, Any]:
    require("jsonschema", module=True)
    # a module of the kas package: plain "kas" would also find this repository's kas/ folder
    require("kas.configschema", module=True)
    import kas

    schema = getattr(kas, "CONFIGSCHEMA", None)
    if schema is None:
        schema = json.loads((Path(kas.__file__).parent / "schema-kas.json").read_text())
    return schema


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """kas's rule: later files win, mappings merge recursively."""
    result = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def files_of(path: Path) -> list[Path]:
    """The files kas merges for ``path``, in kas's order: the lock file of a file comes before
    the file's includes (so an included file's lock wins over the including file's lock)."""
    data = yaml.safe_load(path.read_text()) or {}
    lock = path.with_name(path.name.removesuffix(".yml") + ".lock.yml")
    found = [lock] if lock.exists() else []
    for include in (data.get("header") or {}).get("includes", []):
        assert isinstance(include, str), f"{path.name}: includes from other repos: {include}"
        found += files_of(recipe.CHECKOUT / include)
    return [*found, path]


def load(path: Path) -> dict[str, Any]:
    """``path`` with its includes and lock files, merged as kas merges them."""
    config: dict[str, Any] = {}
    for part in files_of(path):
        config = merge(config, yaml.safe_load(part.read_text()) or {})
    return config


def pinned_repos(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    overrides = (config.get("overrides") or {}).get("repos") or {}
    return {name: merge(repo or {}, overrides.get(name) or {})
            for name, repo in (config.get("repos") or {}).items()}


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(KAS)))
def test_each_file_is_valid_for_kas(path: Path) -> None:
    schema = kas_schema()
    from jsonschema.validators import validator_for

    validator = validator_for(schema)(schema)
    errors = sorted(str(e.message) for e in validator.iter_errors(yaml.safe_load(path.read_text())))
    assert errors == []


@pytest.mark.parametrize("path", BUILDS, ids=lambda p: p.name)
def test_every_repository_is_pinned_and_the_distro_set(path: Path) -> None:
    config = load(path)
    assert config.get("distro"), "kas 5.3+ defaults to nodistro: name the distro"
    assert config.get("machine") and config.get("target")
    repos = pinned_repos(config)
    assert [name for name, repo in repos.items() if "url" not in repo] == ["pycharge"]
    unpinned = [name for name, repo in repos.items() if "url" in repo and not
                (re.fullmatch(r"[0-9a-f]{40}", str(repo.get("commit", ""))) and repo.get("branch"))]
    assert unpinned == [], "pin each with branch + full commit (kas lock --update)"


def mirror_of(url: str) -> Path:
    parsed = urlparse(url)
    owner, name = parsed.path.strip("/").removesuffix(".git").split("/")[-2:] \
        if parsed.netloc not in HOSTS else (HOSTS[parsed.netloc], parsed.path.strip("/"))
    return MIRROR / f"{owner}+{name}" / "repo"


def pins() -> list[tuple[str, str, str, str]]:
    found = {(name, repo["url"], repo["branch"], repo["commit"])
             for path in BUILDS for name, repo in pinned_repos(load(path)).items() if "url" in repo}
    return sorted(found)


@pytest.mark.parametrize(("name", "url", "branch", "commit"), pins(),
                         ids=[f"{p[0]}@{p[3][:8]}" for p in pins()])
def test_the_pinned_commit_is_on_its_branch(name: str, url: str, branch: str, commit: str) -> None:
    mirror = mirror_of(url)
    if not mirror.is_dir():
        pytest.skip(f"no mirror of {url} at {mirror} (set MIRROR) to look the commit up")
    result = subprocess.run(["git", "--git-dir", str(mirror), "merge-base", "--is-ancestor",
                             commit, f"refs/heads/{branch}"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, f"{name}: {commit} is not on {branch} ({result.stderr.strip()})"


def test_the_board_build_uses_chargebytes_machine_on_kirkstone() -> None:
    config = load(KAS / "tarragon.yml")
    repos = pinned_repos(config)
    assert config["machine"] == "tarragon"
    assert repos["poky"]["branch"] == "kirkstone"
    own_lock = yaml.safe_load((KAS / "tarragon.lock.yml").read_text())["overrides"]["repos"]
    assert {name: repo["commit"] for name, repo in repos.items() if "url" in repo} == {
        name: pin["commit"] for name, pin in own_lock.items()}
    assert {"meta-chargebyte", "meta-chargebyte-distro", "meta-freescale"} <= set(repos)


def test_the_qemu_builds_run_ptests_under_testimage_with_slirp() -> None:
    for name, slirp in (("qemuarm-ptest.yml", 'TEST_RUNQEMUPARAMS = "slirp"'),
                        ("qemuarm-ptest-kirkstone.yml", 'QEMU_USE_SLIRP = "1"')):
        config = load(KAS / name)
        local_conf = "\n".join(config["local_conf_header"].values())
        assert (config["machine"], config["target"]) == ("qemuarm", "pycharge-image-ptest")
        for line in ('IMAGE_CLASSES += "testimage"', 'TESTIMAGE_AUTO = "1"', slirp,
                     'DISTRO_FEATURES:append = " ptest"', "ptest"):
            assert line in local_conf, f"{name}: {line}"
