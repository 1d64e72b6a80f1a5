"""The modules: one folder each, named like the EVerest module it stands for."""
