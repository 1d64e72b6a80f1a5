"""The memory of checked variable payloads that saves an in-process subscriber a second check."""

from __future__ import annotations

from pycharge.runtime.checked import REMEMBERED, CheckedPayloads


def test_only_the_same_bytes_on_the_same_topic_count_as_checked() -> None:
    checked = CheckedPayloads()
    checked.add("everest/modules/a/impl/x/var/v", b'{"data": 1}')
    assert ("everest/modules/a/impl/x/var/v", b'{"data": 1}') in checked
    assert ("everest/modules/a/impl/x/var/v", b'{"data": "1"}') not in checked
    assert ("everest/modules/b/impl/x/var/v", b'{"data": 1}') not in checked


def test_it_forgets_the_oldest_beyond_its_size() -> None:
    checked = CheckedPayloads()
    for n in range(REMEMBERED + 1):
        checked.add("t", str(n).encode())
    assert ("t", b"0") not in checked
    assert ("t", b"1") in checked and ("t", str(REMEMBERED).encode()) in checked
