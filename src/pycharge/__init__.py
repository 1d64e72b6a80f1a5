"""pycharge: a charging stack for chargebyte's Charge Control C, configured like EVerest."""

__version__ = "0.1.0"
