"""trachea-login 0.1.x databases for migration tests (README.md here)."""
