"""Configurations shipped with pycharge (a package so the YAML files are installed with it)."""
