"""The shop's own tests (a package, so test modules import the conftest's constants)."""
