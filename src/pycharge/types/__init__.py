"""EVerest-format type definitions (a package so the YAML files are installed with it)."""
