"""``python -m engine`` — the same as the ``hvnet`` command."""

from engine.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
