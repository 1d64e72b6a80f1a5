"""Tests of the Charge Control C board modules (driver, digital inputs, plug lock)."""
