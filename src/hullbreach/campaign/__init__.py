"""Monte Carlo campaigns of hatch-closure isolation with the simulator in the loop (local processes or Dask).

    from hullbreach.campaign import build_cases, run_cases, summarize
    df = run_cases(build_cases("iss-2025", 50, "slow-1-2mmHg/day"), workers=2)
    summarize(df)
"""

from hullbreach.campaign.run import RATE_CLASSES, CampaignError, build_cases, run_cases, summarize
from hullbreach.campaign.runner import Case, run_case

__all__ = ["Case", "CampaignError", "RATE_CLASSES", "build_cases", "run_case", "run_cases", "summarize"]
