"""EnergyManager module (see README.md)."""
