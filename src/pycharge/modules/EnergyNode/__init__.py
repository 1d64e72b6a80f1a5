"""EnergyNode module (see README.md)."""
