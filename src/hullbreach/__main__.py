"""``python -m hullbreach`` runs the CLI."""

import sys

from hullbreach.cli.main import main

sys.exit(main())
