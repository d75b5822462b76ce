"""hvnet — a declarative desired-state engine for Hyper-V host networking.

The import package is ``engine``; the distribution and the command are ``hvnet``.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
