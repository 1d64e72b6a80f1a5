#
# SPDX-License-Identifier: Apache-2.0
#
"""testimage checks of pycharge on the image (TEST_SUITES += "pycharge").

The ptests exercise the stack; these check what only the image can show: the default
configuration validates with the modules and stdlib packages the image really has, and the
init system that DISTRO_FEATURES selects starts pycharge at boot.
"""

from oeqa.core.decorator.data import skipIfFeature, skipIfNotFeature
from oeqa.core.decorator.depends import OETestDepends
from oeqa.runtime.case import OERuntimeTestCase
from oeqa.runtime.decorator.package import OEHasPackage


class PychargeTest(OERuntimeTestCase):

    @OETestDepends(['ssh.SSHTest.test_ssh'])
    @OEHasPackage(['pycharge'])
    def test_default_config_checks(self):
        status, output = self.target.run('pycharge check /etc/pycharge/config.yaml')
        self.assertEqual(status, 0, msg=output)

    @skipIfNotFeature('systemd', 'pycharge.service is used with systemd')
    @OETestDepends(['pycharge.PychargeTest.test_default_config_checks'])
    def test_unit_enabled_at_boot(self):
        status, output = self.target.run('systemctl is-enabled pycharge.service')
        self.assertEqual((status, output.strip()), (0, 'enabled'), msg=output)

    @skipIfFeature('systemd', 'the init script is used without systemd')
    @OETestDepends(['pycharge.PychargeTest.test_default_config_checks'])
    def test_init_script_linked_for_boot(self):
        status, output = self.target.run('ls /etc/rc5.d/S*pycharge')
        self.assertEqual(status, 0, msg=output)
