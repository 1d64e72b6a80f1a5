"""pycharge's benchmarks: ``bench/run`` prints a table of numbers and checks the hard limits.

Pure Python and /proc only (no psutil), so the same scripts run on a laptop, in CI and inside
the emulated 32-bit ARM machine.
"""
