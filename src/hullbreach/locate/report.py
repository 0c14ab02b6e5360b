"""What the localizer found, for people: one sentence for the crew, one line per source heard, and the
likelihood image. Pure formatting of a :class:`~hullbreach.locate.localize.Localization` (no physics).
"""

from __future__ import annotations

import numpy as np

from hullbreach.locate.localize import STATUS_FOUND, STATUS_NONE, Localization
from hullbreach.locate.ranking import UNHEARD_SAID
from hullbreach.locate.signals import Recording
from hullbreach.locate.wall import Wall


def _where(pos, radius_m) -> str:
    return f"x = {pos[0]:.3f} m, y = {pos[1]:.3f} m (95 % within {radius_m * 1000:.1f} mm)"


def crew_sentence(res: Localization) -> str:
    """The answer in one sentence a crew can act on, never more certain than ``res.status`` allows."""
    if res.status == STATUS_NONE or res.position_m is None:
        return (f"No source found: no leak noise reached the detection threshold {res.noise_floor:.3f} "
                f"(surrogate-data test); do not open a panel on this evidence.")
    best = res.candidates[0]
    where = _where(best.position_m, best.uncertainty_radius_m)
    others = [c for c in res.candidates[1:] if c.source != best.source and c.kind == "leak"]
    twins = [c for c in res.candidates[1:] if c.source == best.source]
    # the answer is the disc around the best position: places of the same source inside it (peaks the sensor
    # pairs could not separate from it, ranking.list_unresolved) add to its probability
    p = best.probability + sum(c.probability for c in twins if np.hypot(c.position_m[0] - best.position_m[0],
                                                                         c.position_m[1] - best.position_m[1])
                               <= best.uncertainty_radius_m)
    # the leak may be none of the places heard: too weak to hear beside the loudest (ranking.unheard_chance)
    u = float(getattr(res, "unheard_probability", 0.0))
    elsewhere = (f"; {u:.0%} likely it is none of these, a leak too weak to hear beside them"
                 if u >= UNHEARD_SAID else "")
    if res.status == STATUS_FOUND:
        return (f"Leak at {where}: the only leak-like source heard"
                + (f" ({u:.0%} likely the leak is elsewhere, too weak to hear)" if u >= UNHEARD_SAID else "") + ".")
    if best.kind != "leak":
        return (f"No leak-like source stands out: the strongest source heard is known equipment at {where}; "
                f"check the places below in order.")
    if not others and not twins and u >= UNHEARD_SAID:  # one place heard, and the leak may be unheard
        return (f"The only source heard is at {where}, {p:.0%} likely the leak; {u:.0%} likely the leak is "
                f"elsewhere, too weak to hear beside it: check there first, then listen again closer or longer.")
    if p >= 0.8:
        if not others and not twins:
            return (f"Most likely leak at {where}, {p:.0%} likely; not certain: "
                    + res.message.removeprefix("unreliable: ") + ".")
        return (f"Most likely leak at {where}, {p:.0%} likely; not certain: "
                f"{len(others) + len(twins)} other unidentified place(s) were heard (listed below), "
                f"check them next if nothing is found there{elsewhere}.")
    return (f"Cannot tell which of {1 + len(others) + len(twins)} places is the leak: the most likely "
            f"({p:.0%}) is at {where}; check the places below in order{elsewhere}.")


def heard_title(res: Localization) -> str:
    """The heading of :func:`source_lines`: the detection threshold the listed sources passed, and how many
    weaker peaks above it were taken for residues, echoes or copies of them and not listed."""
    thr = f"the detection threshold {res.noise_floor:.3f} (surrogate-data test)"
    if not res.candidates:
        return f"Every source heard: none above {thr}" + (
            f"; {res.not_listed} peak(s) above it taken for residues, echoes or copies of louder peaks, not listed"
            if res.not_listed else "")
    dropped = (f"; {res.not_listed} weaker peak(s) above it taken for what the search left of these "
               f"(residues, echoes, copies), not listed" if res.not_listed else "")
    return f"Every place heard above {thr} ({len(res.candidates)}){dropped}:"


def source_lines(res: Localization) -> list[str]:
    """One line per candidate, most probable leak first: where, how likely the leak, and why."""
    out = []
    for i, c in enumerate(res.candidates, 1):
        what = "the most likely leak" if i == 1 and c.kind == "leak" else "unidentified source"
        if c.kind != "leak":
            # named by the localizer (Candidate.equipment, from sources.equipment_probability, which weighs
            # both positions' uncertainty: no fixed distance), else heard in the reference recording
            what = (f"known equipment ({c.equipment})" if c.equipment
                    else "equipment: also heard in the reference recording")
        why = next((w for w in c.reasons if "modulated" in w), c.reasons[0] if c.reasons else "")
        out.append(f"{i}. ({c.position_m[0]:.2f}, {c.position_m[1]:.2f}) m ± {c.uncertainty_radius_m * 1000:.0f} mm, "
                   f"P(leak) {c.probability:.0%}, {what}: {why}")
    return out


def plot_likelihood(result: Localization, wall: Wall, rec: Recording | None, path, truth=None) -> str:
    """Write a PNG of the coarse SRP map over the wall with sensors, stiffeners, candidates, 95 % circle."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    fig, ax = plt.subplots(figsize=(6.0, 6.0 * wall.height_m / wall.width_m + 0.6), dpi=110)
    im = ax.imshow(result.image, origin="lower", extent=(0, wall.width_m, 0, wall.height_m), cmap="magma",
                   aspect="equal")
    fig.colorbar(im, ax=ax, shrink=0.8, label="SRP coherence (envelope)")
    for st in wall.stiffeners:
        if st.direction == "x":
            ax.axhline(st.position_m, color="white", lw=1.5, ls="--", alpha=0.7)
        else:
            ax.axvline(st.position_m, color="white", lw=1.5, ls="--", alpha=0.7)
    for k, e in enumerate(wall.equipment):
        ax.plot(e.x_m, e.y_m, "s", mfc="none", mec="orange", ms=9, mew=1.5, label="known equipment" if k == 0 else None)
    if rec is not None:
        ax.plot(rec.sensor_positions_m[:, 0], rec.sensor_positions_m[:, 1], "^", color="cyan", ms=7, label="sensors")
    for i, c in enumerate(result.candidates):
        ax.plot(*c.position_m, "x" if i else "+", color="lime", ms=12, mew=2,
                label="estimate" if i == 0 else ("other candidates" if i == 1 else None))
        ax.add_patch(Circle(c.position_m, max(c.uncertainty_radius_m, 0.004), fill=False, color="lime", lw=1.2))
    if truth is not None:
        for t in np.atleast_2d(truth):
            ax.plot(t[0], t[1], "o", mfc="none", mec="white", ms=10, label="true leak")
    ax.set_xlabel("x along the wall [m]")
    ax.set_ylabel("y along the wall [m]")
    if result.uncertainty_radius_m is None:
        ax.set_title(f"source map ({result.method}): no source found")
    else:
        ax.set_title(f"source map ({result.method}), {result.status}; 95 % radius "
                     f"{result.uncertainty_radius_m * 1000:.1f} mm")
    ax.legend(loc="upper right", fontsize=7, framealpha=0.6)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)
