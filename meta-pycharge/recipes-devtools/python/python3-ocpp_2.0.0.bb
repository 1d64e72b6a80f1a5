SUMMARY = "Open Charge Point Protocol (OCPP) 1.6, 2.0.1 and 2.1 over JSON, for Python"
DESCRIPTION = "The Mobility House's ocpp package: the message types, schemas and routing of \
               OCPP-J for charge points and central systems, over any websocket connection. \
               2.0.0 is the newest release that kirkstone's jsonschema 4.4 and Python 3.10 \
               satisfy."
AUTHOR = "The Mobility House"
# nooelint: oelint.vars.homepageping - checked by people, not by CI (no network there)
HOMEPAGE = "https://github.com/mobilityhouse/ocpp"
BUGTRACKER = "https://github.com/mobilityhouse/ocpp/issues"
SECTION = "devel/python"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=357da596bd4bc9004894e2feaaa1e975"

SRC_URI += "file://0001-build-with-poetry-core.patch"
SRC_URI[sha256sum] = "bbc203ae5edeb7baf43a9a24b73c6a7473179197437fb39c641f0d93afce5dc0"

inherit pypi python_poetry_core

CVE_PRODUCT = "ocpp"

RDEPENDS:${PN} += "\
    python3-asyncio \
    python3-core \
    python3-json \
    python3-jsonschema \
    python3-logging \
    python3-numbers \
"

BBCLASSEXTEND = "native nativesdk"
