"""The CLI tests share the fuzz generator in ``fuzzcases.py`` (also used by ``benchmarks/cli_fuzz.py``)."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
