"""``python -m reluapprox``: the command line."""

from reluapprox.cli import main

raise SystemExit(main())
