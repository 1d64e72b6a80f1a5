"""EVerest-format interface definitions (a package so the YAML files are installed with it)."""
