"""The layer agrees with the repository: version, shipped configurations, placeholders, the
ptest selection, what yocto-check-layer asks of a layer, and no release-specific constructs.
"""

from __future__ import annotations

import hashlib
import re

from tests.layer import recipe
from tests.layer.test_rdepends import packaged_tests

CONFIGS = recipe.CHECKOUT / "src" / "pycharge" / "configs"
# chargebyte's bsp-only.yaml exactly as published (chargebyte-docs, everest/charge_control_c)
BSP_ONLY_SHA256 = "f70bf142f9831d97a7497bbde0f3ea18241f8439078c3a06eef7f39585b559fc"
HOST_TOOL = re.compile(r"""["'](bitbake|kas|oelint-adv|runqemu|qemu-system-\w+|shellcheck|"""
                       r"""systemd-analyze)["']|^\s*(?:import|from)\s+(kas|oelint_\w+)\b""",
                       re.MULTILINE)
# The table of every tool the tests use names the host tools too; it runs none of them.
TOOL_TABLE = recipe.CHECKOUT / "tests/support/host_tools.py"


def test_the_recipe_version_is_the_package_version() -> None:
    init = (recipe.CHECKOUT / "src/pycharge/__init__.py").read_text()
    version = re.search(r'__version__ = "([^"]+)"', init).group(1)
    assert recipe.recipe().name == f"pycharge_{version}.bb"


def test_every_shipped_config_is_installed_and_the_default_is_one_of_them() -> None:
    bb = recipe.recipe()
    assert recipe.values(bb, "PYCHARGE_CONFIGS") == sorted(p.name for p in CONFIGS.glob("*.yaml"))
    assert recipe.values(bb, "PYCHARGE_DEFAULT_CONFIG") == ["bsp-only.yaml"]


def test_bsp_only_is_chargebytes_file_unchanged() -> None:
    assert hashlib.sha256((CONFIGS / "bsp-only.yaml").read_bytes()).hexdigest() == BSP_ONLY_SHA256


def test_every_placeholder_in_the_service_files_is_replaced_by_the_recipe() -> None:
    used = {m for name in ("pycharge.service", "pycharge.init")
            for m in re.findall(r"@[A-Z_]+@", (recipe.FILES / name).read_text())}
    replaced = set(re.findall(r"s,(@[A-Z_]+@),", recipe.shell_function(recipe.recipe(),
                                                                        "do_install:append")))
    assert used == replaced


def test_every_local_file_of_the_recipe_exists() -> None:
    for item in recipe.values(recipe.recipe(), "SRC_URI"):
        assert (recipe.FILES / item.removeprefix("file://")).is_file(), item


def test_tests_that_need_host_tools_are_not_packaged() -> None:
    bb = recipe.recipe()
    host_only = recipe.values(bb, "PYCHARGE_PTEST_HOST_ONLY")
    assert all((recipe.CHECKOUT / d).is_dir() for d in host_only)
    offenders = [f"{p.relative_to(recipe.CHECKOUT)}: {m.group(0).strip()}"
                 for p in packaged_tests() if p != TOOL_TABLE
                 for m in HOST_TOOL.finditer(p.read_text())]
    assert offenders == [], f"move these tests into {host_only} or drop the host tool"


def test_layer_conf_states_releases_and_dependencies() -> None:
    conf = recipe.LAYER / "conf/layer.conf"
    assert recipe.values(conf, "LAYERSERIES_COMPAT_pycharge") == list(recipe.RELEASES)
    assert recipe.values(conf, "LAYERDEPENDS_pycharge") == [
        "core", "openembedded-layer", "meta-python", "networking-layer"]


def test_readme_and_security_policy_as_yocto_check_layer_wants_them() -> None:
    readme = (recipe.LAYER / "README.md").read_text()
    assert "maintainer" in readme.lower() and "patch" in readme.lower()
    assert re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", readme)
    assert (recipe.LAYER / "SECURITY.md").read_text().strip()


def test_nothing_that_differs_between_kirkstone_and_scarthgap() -> None:
    """UNPACKDIR (styhead+) and the ptest-python-pytest class (walnascar+) do not exist yet."""
    texts = [recipe.logical_lines(p) for pattern in ("*.bb", "*.bbappend", "*.bbclass", "*.conf")
             for p in recipe.LAYER.rglob(pattern)]
    assert not [t for t in texts if "UNPACKDIR" in t or "ptest-python-pytest" in t]
