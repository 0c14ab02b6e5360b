"""The Soyuz MS-09 case (29-31 Aug 2018) as the Foundation sees it: station, physics, reserve time.

Figures checked here come from docs/reference/figures.md: observed 0.8 mbar/h = 0.60 mmHg/h
(Spaceflight Now, 30 Aug 2018); hole "about two millimeters" (NASA, 30 Aug 2018); evacuation limit 520 mmHg
(Pettit 2017); ISS operated at 730-755 mmHg.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_DAY, SECONDS_PER_HOUR
from hullbreach.detect.estimate import estimate_from_hole, estimate_from_rate, loss_rate_from_hole
from hullbreach.station import load_station

#: Observed whole-station rate of the MS-09 leak [mmHg/h] (0.8 mbar/h; Spaceflight Now, 30 Aug 2018).
OBSERVED_RATE_MMHG_H = 0.60
#: One-sigma uncertainty we give that second-hand figure [mmHg/h]: it is quoted to one digit in mbar/h
#: (0.8 = 0.75..0.85 mbar/h -> +-0.04 mmHg/h); estimate, stated as such.
OBSERVED_RATE_STD_MMHG_H = 0.04
#: Hole diameter found on 30 Aug 2018 [m] ("about two millimeters", NASA).
HOLE_DIAMETER_M = 2.0e-3
#: Pressure at the start of the leak [mmHg]: top of the ISS operating band (Pettit 2017).
START_PRESSURE_MMHG = 755.0


def run(out_dir: Path, seed: int = 0) -> dict:
    """Station and physics figures of the MS-09 case, and a reserve-time plot. See module docstring."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    st = load_station("iss-2018")
    zone = max(st.zones(), key=st.zone_volume_m3)
    zone = tuple(m for m in st.modules if m in zone)
    vol = st.zone_volume_m3(zone)
    temp = float(np.average([st.modules[m].temperature_k for m in zone], weights=[st.modules[m].volume_m3 for m in zone]))
    p0 = START_PRESSURE_MMHG * PA_PER_MMHG
    ideal_rate = loss_rate_from_hole(volume_m3=vol, pressure_pa=p0, temperature_k=temp, diameter_m=HOLE_DIAMETER_M)
    est = estimate_from_rate(zone=zone, volume_m3=vol, pressure_pa=p0, temperature_k=temp,
                             loss_rate_pa_s=OBSERVED_RATE_MMHG_H * PA_PER_MMHG / SECONDS_PER_HOUR,
                             loss_rate_std_pa_s=OBSERVED_RATE_STD_MMHG_H * PA_PER_MMHG / SECONDS_PER_HOUR,
                             threshold_pa=st.evacuation_pressure_pa, seed=seed)
    hole = estimate_from_rate(zone=zone, volume_m3=vol, pressure_pa=p0, temperature_k=temp,
                              loss_rate_pa_s=OBSERVED_RATE_MMHG_H * PA_PER_MMHG / SECONDS_PER_HOUR,
                              loss_rate_std_pa_s=OBSERVED_RATE_STD_MMHG_H * PA_PER_MMHG / SECONDS_PER_HOUR,
                              threshold_pa=st.evacuation_pressure_pa, reserve_model="constant-hole", seed=seed)
    cd_implied = (est.effective_hole_diameter_m.estimate / HOLE_DIAMETER_M) ** 2
    ideal2 = estimate_from_hole(zone=zone, volume_m3=vol, pressure_pa=p0, temperature_k=temp,
                                diameter_m=HOLE_DIAMETER_M, discharge_coefficient=1.0,
                                threshold_pa=st.evacuation_pressure_pa, seed=seed)
    png = out_dir / "ms09_reserve.png"
    _plot(png, est, hole, p0, st.evacuation_pressure_pa)
    d = SECONDS_PER_DAY
    lines = [
        f"Station iss-2018: {len(st.modules)} modules, {st.total_volume_m3:.0f} m³ pressurized; "
        f"whole-station zone {vol:.0f} m³; evacuation limit {st.evacuation_pressure_pa / PA_PER_MMHG:.0f} mmHg.",
        f"An ideal 2 mm hole (Cd = 1) at {START_PRESSURE_MMHG:.0f} mmHg would drop the station "
        f"{ideal_rate * SECONDS_PER_HOUR / PA_PER_MMHG:.2f} mmHg/h (reserve {ideal2.reserve_time_s.estimate / d:.1f} days).",
        f"Observed {OBSERVED_RATE_MMHG_H:.2f} ± {OBSERVED_RATE_STD_MMHG_H:.2f} mmHg/h -> leak "
        f"{est.leak_mass_flow_kg_s.estimate * d:.1f} kg/day [{est.leak_mass_flow_kg_s.low * d:.1f}, {est.leak_mass_flow_kg_s.high * d:.1f}]",
        f"Effective hole (ideal orifice) {est.effective_hole_diameter_m.estimate * 1e3:.2f} mm "
        f"[{est.effective_hole_diameter_m.low * 1e3:.2f}, {est.effective_hole_diameter_m.high * 1e3:.2f}]: "
        f"the 2 mm hole passed {cd_implied:.0%} of an ideal orifice (effective Cd).",
        f"[bold]Reserve time to 520 mmHg: {est.reserve_time_s.estimate / d:.1f} days "
        f"[{est.reserve_time_s.low / d:.1f}, {est.reserve_time_s.high / d:.1f}] at the current rate[/]; "
        f"{hole.reserve_time_s.estimate / d:.1f} days [{hole.reserve_time_s.low / d:.1f}, {hole.reserve_time_s.high / d:.1f}] "
        f"if the hole stays as it is (rate falls with pressure).",
    ]
    return {
        "title": "1. How big, how long do we have? (Foundation: station + physics)",
        "lines": lines,
        "json": {
            "station": st.name,
            "zone_volume_m3": vol,
            "ideal_2mm_rate_mmhg_per_h": ideal_rate * SECONDS_PER_HOUR / PA_PER_MMHG,
            "observed_rate_mmhg_per_h": OBSERVED_RATE_MMHG_H,
            "implied_discharge_coefficient": cd_implied,
            "constant_rate": est.to_json(),
            "constant_hole": hole.to_json(),
        },
        "files": [str(png)],
    }


def _plot(path: Path, est, hole, p0: float, p_th: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = np.linspace(0, 25, 400)
    t = days * SECONDS_PER_DAY
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    r = -est.pressure_rate_pa_s.estimate
    r_lo, r_hi = -est.pressure_rate_pa_s.high, -est.pressure_rate_pa_s.low
    mm = PA_PER_MMHG
    ax.plot(days, (p0 - r * t) / mm, color="C3", label="at the current rate (constant rate)")
    ax.fill_between(days, (p0 - r_hi * t) / mm, (p0 - r_lo * t) / mm, color="C3", alpha=0.2, label="95 % interval")
    ax.plot(days, p0 * np.exp(-r / p0 * t) / mm, color="C0", label="same hole (isothermal blowdown)")
    ax.fill_between(days, p0 * np.exp(-r_hi / p0 * t) / mm, p0 * np.exp(-r_lo / p0 * t) / mm, color="C0", alpha=0.15)
    ax.axhline(p_th / mm, color="k", ls="--", lw=1)
    ax.text(0.3, p_th / mm + 4, "evacuation limit 520 mmHg", fontsize=9)
    for e, c in ((est, "C3"), (hole, "C0")):
        ax.axvspan(e.reserve_time_s.low / SECONDS_PER_DAY, e.reserve_time_s.high / SECONDS_PER_DAY, color=c, alpha=0.08)
    ax.set_xlabel("days after leak onset")
    ax.set_ylabel("station pressure [mmHg]")
    ax.set_title("Soyuz MS-09 leak, ISS 2018: reserve time if nothing is done")
    ax.set_ylim(480, 770)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
