# pycharge's bus must not be reachable from the network. With the "pycharge-localbroker"
# override (DISTROOVERRIDES:append = ":pycharge-localbroker"; our kas files set it)
# mosquitto.conf becomes files/pycharge-localhost.conf: 127.0.0.1:1883 only.
# Without the override this append changes nothing, so adding meta-pycharge leaves mosquitto's
# task signatures alone (yocto-check-layer test_signatures: a software layer). The file is put
# in place by a do_install postfunc, after every do_install append, so it also replaces the
# mosquitto.conf that other layers install (meta-chargebyte-distro listens on all interfaces).
FILESEXTRAPATHS:prepend:pycharge-localbroker := "${THISDIR}/files:"
SRC_URI:append:pycharge-localbroker = " file://pycharge-localhost.conf"

pycharge_localbroker_conf[doc] = "Installs the loopback-only mosquitto.conf for pycharge"
# nooelint: oelint.vars.noncoreoverride - runs only as the override's postfunc (below); a function no task uses is in no signature
pycharge_localbroker_conf() {
    install -d ${D}${sysconfdir}/mosquitto/conf.d
    install -m 0644 ${WORKDIR}/pycharge-localhost.conf ${D}${sysconfdir}/mosquitto/mosquitto.conf
}

# Adds the postfunc only with the override: a flag that always named it would change
# mosquitto's signature for every user of the layer.
# nooelint: oelint.task.noanonpython,oelint.vars.noncoreoverride - acts only with the override
python () {
    if 'pycharge-localbroker' in (d.getVar('OVERRIDES') or '').split(':'):
        d.appendVarFlag('do_install', 'postfuncs', ' pycharge_localbroker_conf')
}
