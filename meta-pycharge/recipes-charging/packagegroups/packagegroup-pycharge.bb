SUMMARY = "pycharge and what it needs on a charger"
DESCRIPTION = "The charging stack, the local MQTT broker it talks over, the openssl \
               command for certificates, and RAUC for A/B updates where the build has \
               meta-rauc (the Charge Control C BSP does, QEMU builds do not)."
AUTHOR = "pycharge developers"
BUGTRACKER = "https://github.com/pycharge/pycharge/issues"
SECTION = "console/network"
LICENSE = "MIT"

inherit packagegroup

RDEPENDS:${PN} = "\
    mosquitto \
    openssl-bin \
    pycharge \
    ${@bb.utils.contains('BBFILE_COLLECTIONS', 'rauc', 'rauc', '', d)} \
"
