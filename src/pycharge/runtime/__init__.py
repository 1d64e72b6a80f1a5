"""The module runtime: configuration, bus, module hosting and supervision."""
