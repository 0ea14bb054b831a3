"""`python -m jaxlogreg ...`: the command line of jaxlogreg.cli."""

from .cli import main

raise SystemExit(main())
