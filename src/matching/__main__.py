"""``python -m matching``: the command line (see :mod:`matching.cli`)."""

from .cli import main

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
