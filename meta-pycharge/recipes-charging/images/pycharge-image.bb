# nooelint: oelint.var.suggestedvar.CVE_PRODUCT - an image is no product of its own in CVE databases
SUMMARY = "A small image that runs pycharge at boot"
DESCRIPTION = "Boots into pycharge with chargebyte's bsp-only configuration, talking over \
               a local mosquitto."
AUTHOR = "pycharge developers"
BUGTRACKER = "https://github.com/pycharge/pycharge/issues"
SECTION = "console/network"
LICENSE = "MIT"

require pycharge-image.inc
