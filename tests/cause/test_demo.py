"""The cause stage of ``hullbreach demo``."""

import json
import pathlib
import time

from hullbreach.cause import demo


def test_demo_runs_fast_and_writes_files(tmp_path):
    t0 = time.perf_counter()
    res = demo.run(tmp_path, seed=1)
    assert time.perf_counter() - t0 < 10
    assert res["title"] and res["lines"]
    json.dumps(res["json"])  # JSON-able
    assert res["json"]["p_drilling"]["estimate"] > 0.99
    for f in res["files"]:
        assert pathlib.Path(f).stat().st_size > 1000
