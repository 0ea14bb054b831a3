"""`python -m jaxlogreg ...`: the command line of jaxlogreg.cli."""

from jaxlogreg.cli import main

raise SystemExit(main())
