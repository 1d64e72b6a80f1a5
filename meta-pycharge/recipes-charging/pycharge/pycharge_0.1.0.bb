# nooelint: oelint.var.bbclassextend - a service for the target, no use as native or nativesdk
SUMMARY = "Python charging stack for chargebyte's Charge Control C"
DESCRIPTION = "pycharge runs EVerest-format configurations on the Charge Control C: \
               modules (board driver, EvseManager, energy management, API, error history) \
               talking over the local MQTT broker. Ships chargebyte's bsp-only configuration \
               as the default, a systemd unit, a sysvinit script and its tests as ptests."
AUTHOR = "pycharge developers"
# nooelint: oelint.vars.homepageping - checked by people, not by CI (no network there)
HOMEPAGE = "https://github.com/pycharge/pycharge"
BUGTRACKER = "https://github.com/pycharge/pycharge/issues"
SECTION = "console/network"
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://LICENSE;md5=86d3f3a95c324c9479bd8986968f4327"

SRC_URI = "file://pycharge.service \
           file://pycharge.init \
           file://run-ptest \
           "
# The source: this checkout by default (classes/pycharge_source.bbclass); release builds set
# PYCHARGE_SOURCE = "git" and pin SRCREV to the released commit.
PYCHARGE_SRCTREE ?= "${@os.path.normpath(os.path.join(d.getVar('FILE_DIRNAME'), '..', '..', '..'))}"
SRCREV = "010cdbe3724872a9a46a9c85b273cf51c63fd337"

inherit pycharge_source python_setuptools_build_meta systemd update-rc.d ptest

CVE_PRODUCT = "pycharge"

SYSTEMD_SERVICE:${PN} = "pycharge.service"
INITSCRIPT_NAME = "pycharge"
# after mosquitto (defaults 30); stopped early, so the relays open before the network goes
INITSCRIPT_PARAMS = "defaults 90 10"

# Configurations shipped in /etc/pycharge (all of src/pycharge/configs, a test checks it);
# config.yaml, a copy of PYCHARGE_DEFAULT_CONFIG, is the one the services run.
PYCHARGE_CONFIGS = "bsp-only-2026.yaml bsp-only-ocpp.yaml bsp-only.yaml"
PYCHARGE_DEFAULT_CONFIG ?= "bsp-only.yaml"
# Test folders that need host tools (bitbake, kas, oelint-adv, qemu...) or parts of the
# checkout that are not installed (bench/): not packaged.
PYCHARGE_PTEST_HOST_ONLY = "tests/bench tests/layer tests/qemu tests/reliability"

do_install:append() {
    install -d ${D}${sysconfdir}/pycharge
    for config in ${PYCHARGE_CONFIGS}; do
        install -m 0644 ${S}/src/pycharge/configs/$config ${D}${sysconfdir}/pycharge/
    done
    install -m 0644 ${S}/src/pycharge/configs/${PYCHARGE_DEFAULT_CONFIG} ${D}${sysconfdir}/pycharge/config.yaml

    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${WORKDIR}/pycharge.service ${D}${systemd_system_unitdir}/pycharge.service
    install -d ${D}${sysconfdir}/init.d
    install -m 0755 ${WORKDIR}/pycharge.init ${D}${sysconfdir}/init.d/pycharge
    sed -i -e 's,@BINDIR@,${bindir},g' \
           -e 's,@SYSCONFDIR@,${sysconfdir},g' \
           -e 's,@LOCALSTATEDIR@,${localstatedir},g' \
           ${D}${systemd_system_unitdir}/pycharge.service ${D}${sysconfdir}/init.d/pycharge

    install -d -m 0755 ${D}${localstatedir}/lib/pycharge
}

do_install_ptest() {
    install -d ${D}${PTEST_PATH}
    install -m 0644 ${S}/pyproject.toml ${D}${PTEST_PATH}/
    install -d ${D}${PTEST_PATH}/docs
    install -m 0644 ${S}/docs/writing-a-module.md ${D}${PTEST_PATH}/docs/
    cp -R --no-dereference --preserve=mode,links ${S}/tests ${D}${PTEST_PATH}/
    for host_only in ${PYCHARGE_PTEST_HOST_ONLY}; do
        rm -rf ${D}${PTEST_PATH}/${host_only}
    done
}

FILES:${PN} += "${localstatedir}/lib/pycharge"
CONFFILES:${PN} = "${sysconfdir}/pycharge/config.yaml \
                   ${@' '.join('${sysconfdir}/pycharge/' + c for c in d.getVar('PYCHARGE_CONFIGS').split())} \
                   "

# What src/pycharge imports, down to the python3 stdlib split packages
# (tests/layer/test_rdepends.py checks this list against the imports for kirkstone and
# scarthgap). python3-profile: kirkstone packs dataclasses into it.
RDEPENDS:${PN} += "\
    mosquitto \
    openssl-bin \
    python3-asyncio \
    python3-compression \
    python3-core \
    python3-datetime \
    python3-difflib \
    python3-fcntl \
    python3-io \
    python3-json \
    python3-logging \
    python3-math \
    python3-netclient \
    python3-ocpp \
    python3-paho-mqtt \
    python3-periphery \
    python3-profile \
    python3-pyyaml \
    python3-sqlite3 \
    python3-threading \
    python3-websockets \
"
RDEPENDS:${PN}-ptest += "\
    mosquitto \
    openssl-bin \
    python3-ctypes \
    python3-hypothesis \
    python3-pytest \
"
