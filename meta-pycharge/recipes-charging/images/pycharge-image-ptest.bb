# nooelint: oelint.var.suggestedvar.CVE_PRODUCT - an image is no product of its own in CVE databases
SUMMARY = "pycharge-image with pycharge's ptests"
DESCRIPTION = "pycharge-image plus pycharge-ptest, ptest-runner and an SSH server, for \
               testimage on QEMU and for ptest-runner pycharge on the board."
AUTHOR = "pycharge developers"
BUGTRACKER = "https://github.com/pycharge/pycharge/issues"
SECTION = "console/network"
LICENSE = "MIT"

require pycharge-image.inc

inherit features_check

REQUIRED_DISTRO_FEATURES = "ptest"

IMAGE_FEATURES += "ssh-server-dropbear"
IMAGE_INSTALL += "\
    pycharge-ptest \
    ptest-runner \
"
