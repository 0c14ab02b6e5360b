"""The cause stage of ``hullbreach demo``."""

import json
import pathlib

from hullbreach.cause import demo


def test_demo_writes_files(tmp_path):
    res = demo.run(tmp_path, seed=1)
    assert res["title"] and res["lines"]
    json.dumps(res["json"])  # JSON-able
    assert res["json"]["p_drilling"]["estimate"] > 0.99
    for f in res["files"]:
        assert pathlib.Path(f).stat().st_size > 1000
