"""An example product app built on trachea-login (see README.md)."""
