"""Rewrites pinned_locate.json: the localizer's whole answer on tests/locate/test_speed.py's pinned_case.

Run from the repository root, with the localizer whose answers are meant:
    PYTHONPATH=src:. python tests/data/locate/make_pinned_locate.py
Only when a change of the answers is intended (say so in the commit): a speed change must leave the file as it is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "locate"))
import test_speed  # noqa: E402

from hullbreach.locate import localize  # noqa: E402

if __name__ == "__main__":
    wall, rec = test_speed.pinned_case()
    test_speed.PINNED.write_text(json.dumps(test_speed.pinned_answer(localize.locate(wall, rec)), indent=1) + "\n")
    print(f"wrote {test_speed.PINNED}")
