"""``python -m trachea_login``: the ``trachea-login`` command."""

from .cli import main

if __name__ == "__main__":
    main()
