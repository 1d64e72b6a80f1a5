"""IIO ADC channels by device name over a fake sysfs tree."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from pycharge.hal.adc import IioAdcChannel, find_iio_device
from pycharge.hal.errors import AdcError


def test_device_is_found_by_name_not_by_number(sysfs: Path) -> None:
    assert find_iio_device(sysfs, "2198000.adc").name == "iio:device1"


def test_missing_device_names_what_exists(sysfs: Path) -> None:
    with pytest.raises(AdcError) as raised:
        find_iio_device(sysfs, "2199000.adc")
    assert raised.value.errno == errno.ENODEV
    assert "no IIO device named 2199000.adc" in str(raised.value)
    assert "found: iis328dq (iio:device0), 2198000.adc (iio:device1)" in str(raised.value)


def test_reads_reread_the_open_file_each_time(sysfs: Path) -> None:
    channel = IioAdcChannel(sysfs, "2198000.adc", "voltage2")
    assert channel.read_raw() == 200
    (sysfs / "bus/iio/devices/iio:device1/in_voltage2_raw").write_text("3229\n")
    assert channel.read_raw() == 3229
    assert channel.read_raw() == 3229
    channel.close()
    with pytest.raises(AdcError):
        channel.read_raw()


def test_missing_channel_lists_the_channels(sysfs: Path) -> None:
    with pytest.raises(AdcError) as raised:
        IioAdcChannel(sysfs, "2198000.adc", "voltage9")
    message = str(raised.value)
    assert "no channel voltage9" in message
    assert "voltage0, voltage1, voltage2, voltage3, voltage4, voltage5" in message


def test_garbage_is_an_error(sysfs: Path) -> None:
    (sysfs / "bus/iio/devices/iio:device1/in_voltage5_raw").write_text("busy\n")
    channel = IioAdcChannel(sysfs, "2198000.adc", "voltage5")
    with pytest.raises(AdcError, match="not an integer"):
        channel.read_raw()
