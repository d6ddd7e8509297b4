"""The council complaints transparency site: validated open data in, an accessible static site out."""

__version__ = "0.1.0"
