"""The names the board's Linux exposes (chargebyte.md §1.3), as the simulated board offers them.

Outputs are lines software drives (with the level the pin idles at while nobody drives it);
inputs are lines the board drives (with their level when nothing else sets them).
"""

from __future__ import annotations

OUTPUT_LINES: dict[str, bool] = {
    "CP_INVERT": False, "CP_POSITIVE_PEAK_RST": False, "CP_NEGATIVE_PEAK_RST": False,
    "RELAY_1_ENABLE": False, "RELAY_2_ENABLE": False,
    **{f"DIGITAL_OUT_{n}": False for n in range(1, 7)},
    "MOTOR_1_DRIVER_IN1_N": True, "MOTOR_1_DRIVER_IN2": False,
    "MOTOR_2_DRIVER_IN1": False, "MOTOR_2_DRIVER_IN2": False,
    "QCA700X_CP_RST_N": True, "QCA700X_CP_BOOTLOADER_N": True,
    "QCA700X_MAINS_RST_N": True, "QCA700X_MAINS_BOOTLOADER_N": True,
    "STM32_BOOT0": False, "STM32_RST_N": True, "EXT_GPIO": False,
}

INPUT_LINES: dict[str, bool] = {
    "RELAY_1_SENSE": False, "RELAY_2_SENSE": False,
    **{f"DIGITAL_IN_{n}": False for n in range(1, 7)},
    "MOTOR_1_FAULT_N": True, "MOTOR_2_FAULT_N": True,
    **{f"ROTARY_SWITCH_{s}_{bit}_N": True for s in (1, 2) for bit in (1, 2, 4, 8)},
    **{f"BOARD_VARIANT_{n}": False for n in range(4)},
}

CP_PWM = ("20fc000.pwm", 0)
DI_REFERENCE_PWM = ("2084000.pwm", 0)
FAN_PWM = ("20f8000.pwm", 0)
PWM_CHANNELS = (CP_PWM, DI_REFERENCE_PWM, FAN_PWM)
KERNEL_OWNED_PWM = {FAN_PWM: "the kernel's pwm-fan driver"}

ADC_DEVICE = "2198000.adc"
ADC_CHANNELS = ("voltage0", "voltage1", "voltage2", "voltage3", "voltage4", "voltage5")
