"""Subcommands of the ``reluapprox`` command line.

Each module here defines ``NAME``, ``HELP``, ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int``; :mod:`reluapprox.cli` lists
them in ``SUBCOMMANDS`` and imports each one only when it is used or listed.
"""
