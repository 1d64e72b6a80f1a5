"""The OCPP tests' CSMS and charger fixtures, for the OCPP kill -9 test that lives here."""

from tests.modules.ocpp.conftest import charger, csms  # noqa: F401 (fixtures used by the tests)
