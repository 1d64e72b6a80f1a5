"""The machine line of the report."""

from __future__ import annotations

from bench.machine import cpu_model, describe

X86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\n"
IMX6 = ("processor\t: 0\nmodel name\t: ARMv7 Processor rev 5 (v7l)\nBogoMIPS\t: 12.00\n"
        "Hardware\t: Freescale i.MX6 Ultralite (Device Tree)\n")


def test_cpu_model_on_x86_and_on_the_board() -> None:
    assert cpu_model(X86) == "AMD EPYC 7B13"
    assert cpu_model(IMX6) == "ARMv7 Processor rev 5 (v7l) (Freescale i.MX6 Ultralite (Device Tree))"


def test_describes_this_machine() -> None:
    machine = describe()
    assert machine["cores"] >= 1 and machine["memory_mib"] > 0
    assert machine["python"].count(".") == 2 and len(machine["load_average"]) == 3
