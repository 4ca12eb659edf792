"""trachea-login (work in progress)."""
