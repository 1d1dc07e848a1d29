"""``python -m cnn``: see :mod:`cnn.cli`."""

from cnn.cli import main

raise SystemExit(main())
