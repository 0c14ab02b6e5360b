"""Monte Carlo isolation campaigns: leaking module x leak size x noise seed, with the simulator in the loop,
on local processes (:mod:`concurrent.futures`) or on a Dask cluster (``dask_address``).

Metrics per station, leak-size class and policy (:func:`summarize`): time to module (median, 90th
percentile), wrong-module rate (a module named that is not the leaking one), undecided rate (no module
named: close-off or step limit), constraint violations (from the simulator's truth), air lost, number
of configurations.
"""

from __future__ import annotations

import math
import os
import zlib
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from hullbreach.campaign.runner import Case, run_case
from hullbreach.constants import PA_PER_MMHG
from hullbreach.errors import HullbreachError
from hullbreach.station import load_station

#: Leak-size classes: name -> (low, high) whole-station pressure-loss rate [Pa s^-1], sampled uniformly.
RATE_CLASSES = {
    "slow-1-2mmHg/day": (1.0 * PA_PER_MMHG / 86400.0, 2.0 * PA_PER_MMHG / 86400.0),
    "ms09-0.6mmHg/h": (0.5 * PA_PER_MMHG / 3600.0, 0.7 * PA_PER_MMHG / 3600.0),
}


class CampaignError(HullbreachError):
    """A campaign was asked for something impossible (unknown class, no runs, cluster unreachable)."""


def build_cases(station: str, n: int, rate_class: str, policies=("hullbreach", "iss"), seed: int = 0,
                telemetry: str = "fast", crew_count: int = 3, valve_area_m2: float = 0.0) -> list:
    """``n`` cases per policy: the leaking module drawn by the station's leak priors, the rate uniform in the
    class, a noise seed each; every policy runs the same cases (paired comparison). ``valve_area_m2`` [m^2]:
    the equalization valve assumed on hatches the station file models without one (``Case.valve_area_m2``)."""
    if rate_class not in RATE_CLASSES:
        raise CampaignError(f"unknown leak-size class {rate_class!r}", hint=f"use one of {', '.join(RATE_CLASSES)}")
    if n < 1:
        raise CampaignError("a campaign needs at least one run")
    from hullbreach.isolate.session import leak_mass_flow_from_rate

    st = load_station(station)
    rng = np.random.default_rng([seed, zlib.crc32(station.encode()), zlib.crc32(rate_class.encode())])
    mods = list(st.modules)
    w = np.array([st.modules[m].leak_prior for m in mods], dtype=float)
    w /= w.sum()
    lo, hi = RATE_CLASSES[rate_class]
    cases = []
    for i in range(n):
        m = mods[int(rng.choice(len(mods), p=w))]
        rate = float(rng.uniform(lo, hi))
        s = int(rng.integers(2 ** 31))
        for pol in policies:
            cases.append(Case(station, m, leak_mass_flow_from_rate(st, rate), seed=s, policy=pol, label=rate_class,
                              telemetry=telemetry, crew_count=crew_count, valve_area_m2=valve_area_m2))
    return cases


def _run_safe(case: Case) -> dict:
    """Run a case; an unexpected error becomes a failed row (the campaign goes on and reports it)."""
    try:
        return run_case(case)
    except Exception as exc:  # noqa: BLE001 - recorded, not hidden
        from dataclasses import asdict

        row = asdict(case)
        row.update({"found": None, "correct": False, "status": f"error: {type(exc).__name__}: {exc}",
                    "probability": math.nan, "time_to_module_s": math.nan, "elapsed_s": math.nan, "steps": 0,
                    "violations": 0, "violation_details": "", "air_lost_kg": math.nan, "wall_s": math.nan,
                    "mdot_estimate_kg_s": math.nan})
        return row


def run_cases(cases: list, *, workers: int | None = None, dask_address: str | None = None, client=None,
              connect_timeout_s: float = 10.0, progress=None) -> pd.DataFrame:
    """Run cases locally (``workers`` processes; 1 = in this process) or on Dask (``dask_address`` of a
    scheduler, or an existing ``client``; ``connect_timeout_s`` to reach the scheduler). Returns one row per case.

    ``progress(done, total)``, if given, is called as cases complete (on Dask, as futures finish)."""
    report = progress or (lambda done, total: None)
    if not cases:
        raise CampaignError("no cases to run")
    if client is not None or dask_address:
        try:
            from dask.distributed import Client
        except ImportError as exc:  # pragma: no cover
            raise CampaignError("dask.distributed is not installed", hint="pip install 'dask[distributed]'") from exc
        own = None
        if client is None:
            try:
                own = client = Client(dask_address, timeout=f"{connect_timeout_s}s")
            except OSError as exc:
                raise CampaignError(f"cannot reach the Dask scheduler at {dask_address}: {exc}",
                                    hint="start one with `dask scheduler` and workers with `dask worker ADDRESS`") from None
        try:
            futures = client.map(_run_safe, cases, pure=False)
            if progress is not None:
                from dask.distributed import as_completed

                for done, _ in enumerate(as_completed(futures), 1):
                    report(done, len(cases))
            rows = client.gather(futures)
        finally:
            if own is not None:
                own.close()
        return pd.DataFrame(rows)
    n = workers or os.cpu_count() or 1
    rows = []
    if n <= 1 or len(cases) == 1:
        for c in cases:
            rows.append(_run_safe(c))
            report(len(rows), len(cases))
        return pd.DataFrame(rows)
    with ProcessPoolExecutor(max_workers=n) as ex:
        for row in ex.map(_run_safe, cases, chunksize=max(1, len(cases) // (8 * n))):
            rows.append(row)
            report(len(rows), len(cases))
    return pd.DataFrame(rows)


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (conservative) binomial confidence interval [-] for a rate of ``k`` successes in ``n`` runs at
    ``level`` (Clopper & Pearson 1934, Biometrika 26:404): with 0 failures in n runs the right-module
    rate's lower bound is (0.025)^(1/n), e.g. 98.8 % for n = 300."""
    from scipy.stats import beta

    if n < 1 or not 0 <= k <= n:
        raise CampaignError(f"a rate needs 0 <= k <= n and n >= 1, got k={k}, n={n}")
    a = (1.0 - level) / 2.0
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1.0 - a, k + 1, n - k))
    return lo, hi


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Metrics per (station, label, policy).

    Columns: ``runs``, ``median_time_h``, ``p90_time_h`` (over runs that named a module; undecided runs
    are counted separately), ``wrong_module_rate``, ``undecided_rate``, ``errors``, ``violations``
    (total), ``mean_configurations``, ``median_air_lost_kg``, ``mean_wall_s``.
    """
    rows = []
    for (st, lab, pol), g in df.groupby(["station", "label", "policy"], sort=True):
        named = g[g["found"].notna()]
        err = g["status"].astype(str).str.startswith("error")
        t = named["time_to_module_s"].to_numpy(dtype=float) / 3600.0
        rows.append({
            "station": st, "label": lab, "policy": pol, "runs": int(len(g)),
            "median_time_h": float(np.median(t)) if t.size else math.nan,
            "p90_time_h": float(np.percentile(t, 90)) if t.size else math.nan,
            "wrong_module_rate": float((named["found"] != named["module"]).sum() / len(g)),
            "undecided_rate": float((g["found"].isna() & ~err).sum() / len(g)),
            "errors": int(err.sum()),
            "violations": int(g["violations"].sum()),
            "mean_configurations": float(g["steps"].mean()),
            "median_air_lost_kg": float(np.nanmedian(g["air_lost_kg"].to_numpy(dtype=float))) if len(g) else math.nan,
            "mean_wall_s": float(np.nanmean(g["wall_s"].to_numpy(dtype=float))),
        })
    return pd.DataFrame(rows)
