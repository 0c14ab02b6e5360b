"""Plot of a detection result: zone pressure, air (or N2) mass, the alarm, the onset and the reserve time.

One figure, three panels sharing the time axis (UTC):

1. pressure of each monitored zone [mmHg] with the evacuation limit when it is in range;
2. the mass the detector tracked [kg] relative to its first value, with the post-onset fit of each alarm;
3. reserve time to the evacuation pressure [days] at each alarm (and latest), with its 95 % interval.

Alarms are vertical red lines; onset intervals are shaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_DAY


def plot_detection(result, path: str | Path, *, max_zones: int = 4, title: str | None = None) -> Path:
    """Write the figure of ``result`` (a :class:`~hullbreach.detect.detector.DetectionResult` from a batch
    run, which keeps the per-zone series) to ``path`` (PNG, SVG or PDF by extension); returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import pandas as pd

    path = Path(path)
    series = list(result.series)
    # the zones to show: those with alarms first, then the largest
    alarm_zones = [a.zone for a in result.alarms]
    by_zone: dict[tuple, list] = {}
    for zm in series:
        by_zone.setdefault(zm.zone, []).append(zm)
    order = sorted(by_zone, key=lambda z: (z not in alarm_zones, -by_zone[z][0].volume_m3))[:max_zones]

    def when(t_s):
        return pd.to_datetime(np.asarray(t_s, dtype=float), unit="s", utc=True).tz_localize(None)

    fig, axes = plt.subplots(3, 1, figsize=(11, 8.5), sharex=True, gridspec_kw={"height_ratios": [3, 3, 2]})
    ax_p, ax_m, ax_r = axes
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    evac = None
    for i, z in enumerate(order):
        c = colors[i % len(colors)]
        label = ", ".join(z) if len(z) <= 3 else f"{z[0]} +{len(z) - 1} modules"
        for j, zm in enumerate(by_zone[z]):
            ax_p.plot(when(zm.t_s), zm.pressure_pa / PA_PER_MMHG, color=c, lw=0.8, label=label if j == 0 else None)
            track = zm.n2_mass_kg if zm.n2_mass_kg is not None else zm.mass_kg
            ref = np.nanmedian(track[: min(len(track), 30)])
            ax_m.plot(when(zm.t_s), track - ref, color=c, lw=0.8,
                      label=(f"{label} ({'N2' if zm.n2_mass_kg is not None else 'air'})") if j == 0 else None)
    p_all = [zm.pressure_pa for z in order for zm in by_zone[z]]
    if p_all:
        lo = np.nanmin(np.concatenate(p_all)) / PA_PER_MMHG
        for a in result.alarms:
            evac = a.estimate.threshold_pressure_pa / PA_PER_MMHG
        if evac is not None and lo - evac < 30:
            ax_p.axhline(evac, color="k", ls=":", lw=1, label=f"evacuation {evac:.0f} mmHg")
    for a in result.alarms:
        col = "red" if a.kind == "leak" else "darkorange"
        for ax in (ax_p, ax_m, ax_r):
            ax.axvline(when([a.time_s])[0], color=col, lw=1.2)
            if a.kind == "leak":
                ax.axvspan(when([a.onset_s.low])[0], when([a.onset_s.high])[0], color="red", alpha=0.12)
        ax_p.annotate(f"{'ALARM' if a.kind == 'leak' else 'GROWING'} {pd.Timestamp(a.time_s, unit='s'):%d %b %H:%M}",
                      xy=(when([a.time_s])[0], 1.0), xycoords=("data", "axes fraction"), color=col, fontsize=8,
                      ha="left", va="top", rotation=90)
        if a.kind != "leak":
            continue
        for est, t_s, mk in ((a.estimate_at_alarm, a.time_s, "o"), (a.estimate, a.end_s or result.end_s, "s")):
            if est is None or t_s is None:
                continue
            r = est.reserve_time_s.scale(1 / SECONDS_PER_DAY)
            if not np.isfinite(r.estimate):
                continue
            hi = r.high if np.isfinite(r.high) else r.estimate * 2
            ax_r.errorbar([when([t_s])[0]], [r.estimate], yerr=[[r.estimate - r.low], [hi - r.estimate]], fmt=mk,
                          color="red", capsize=4)
            ax_r.annotate(f"{r.estimate:.1f} d [{r.low:.1f}, {r.high:.1f}]", xy=(when([t_s])[0], r.estimate),
                          xytext=(6, 0), textcoords="offset points", fontsize=8, va="center")
    ax_p.set_ylabel("zone pressure [mmHg]")
    ax_m.set_ylabel("tracked mass change [kg]")
    ax_r.set_ylabel("reserve time [days]\n(to evacuation pressure)")
    ax_r.set_xlabel("time [UTC]")
    if not result.alarms:
        ax_r.text(0.5, 0.5, "no alarm: reserve time not defined", transform=ax_r.transAxes, ha="center", va="center")
    ax_p.legend(fontsize=7, loc="lower left")
    ax_m.legend(fontsize=7, loc="lower left")
    ax_r.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%H:%M"))
    status = "LEAK" if result.status == "leak" else "nominal"
    fig.suptitle(title or f"hullbreach detect: {result.station}: {status}", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
