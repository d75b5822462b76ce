"""Entry point of the ``hvnet`` command (filled in by the CLI module)."""


def main() -> int:
    raise SystemExit("hvnet: CLI not built yet")
