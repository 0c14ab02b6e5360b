"""``archive-info``, ``archive-export``, ``archive-prune`` through the CLI."""

from __future__ import annotations

import json

import numpy as np

from hullbreach.cli.main import main
from hullbreach.ops.archive import open_archive


def test_info_export_prune(tmp_path, capsys):
    db = tmp_path / "a.sqlite"
    a = open_archive(db)
    t = (1535580000 + np.arange(100) * 3600.0) * 1e9  # 100 hours
    a.append(t.astype(np.int64), np.array(["USLAB000058"] * 100, dtype=object), np.full(100, 755.0))
    a.close()
    assert main(["archive-info", str(db)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["samples"] == 100 and info["start_time"].startswith("2018-08-29T22:00")
    assert main(["archive-export", str(db), str(tmp_path / "x.parquet"), "--start", "2018-08-30T00:00:00Z"]) == 0
    import pandas as pd

    assert len(pd.read_parquet(tmp_path / "x.parquet")) == 98
    assert main(["archive-prune", str(db), "--keep-days", "1"]) == 0
    assert "deleted 75 samples" in capsys.readouterr().out
    assert main(["archive-prune", str(db)]) == 1
    assert "exactly one of" in capsys.readouterr().err
    assert main(["archive-export", str(tmp_path / "none.sqlite"), str(tmp_path / "y.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
