"""The package version, apart from the package top so that any layer can read it without importing it."""

__version__ = "0.1.0"
