"""Subcommands of the ``planning`` CLI: each module defines ``register(subparsers)``."""
