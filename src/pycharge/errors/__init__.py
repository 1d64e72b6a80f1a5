"""EVerest-format error declarations (a package so the YAML files are installed with it)."""
