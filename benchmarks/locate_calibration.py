"""Benchmark (issue 13): are the candidates' leak probabilities calibrated?

Two steps, so that one (slow) localization per recording serves every formula compared:

``capture``: runs ``hullbreach.locate.localize.locate`` on recordings of ``benchmarks/locate_mismatch.py``
(the independent generator ``tests/generators/plate_images.py``; the same seeds, so recording i of a case
is the benchmark's recording i) and stores, per recording, what the probabilities are made from: per
source its :class:`~hullbreach.locate.sources.SourceInfo`, whether it is at named equipment, the
reference verdict, the modulation flag; per candidate its position, coherence score, share of its source,
CLEAN layer, source index; the truth (leak and equipment positions). One JSON line per recording.

``score``: recomputes the probabilities and the status from the captured inputs with the formulas of a
commit given (``--before a8bc68b``, its ``sources.py`` loaded from git) and with this tree's
(:func:`hullbreach.locate.sources.rank_candidates`), and prints per group of cases: the mean P of the
first candidate against the fraction of recordings where it is the leak (within 3 cm), the Brier score
and the log score of the probability given to the leak, a reliability table (every listed candidate:
predicted P in bins against how often such candidates are the leak) and how often "found" was said and
right.

``fit``: the maximum a posteriori estimate of the probability constants (:data:`FIT_PRIOR`) on the
training file(s) only: the log score plus a Gaussian prior in ln(constant) centred on the physics' values.

Usage (sessions 4–5: fitted on seeds 0–11, checked on 32–43 and on ``worst`` 32–39):
  python benchmarks/locate_calibration.py capture --cases loud,band,machine,sweep,loud+ref,band+ref,loud+eq,band+eq \
      --seeds 0-11 --out train.jsonl
  python benchmarks/locate_calibration.py fit train.jsonl
  python benchmarks/locate_calibration.py score train.jsonl held.jsonl [--before a8bc68b]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import locate_mismatch as lm  # noqa: E402

from hullbreach.locate import localize as loc  # noqa: E402
from hullbreach.locate import ranking as rank  # noqa: E402
from hullbreach.locate import sources as srcs  # noqa: E402

HIT_M = lm.HIT_M


def _seeds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def _truth(full_name: str, i: int):
    """The leak and equipment positions of recording ``i`` of ``full_name`` (the benchmark's draw)."""
    name = full_name.partition("+")[0]
    rng = np.random.default_rng([i, len(name), ord(name[0])])
    kind = name if name in ("machine", "band") else None
    c = lm.gen.draw_case(rng, loud=name in ("loud", "worst", "machine", "band"), worst=name == "worst",
                         equipment_kind=kind)
    return c.leak_m, None if c.other is None else c.other.position_m


def capture_one(full_name: str, i: int, duration_s: float) -> dict:
    """Localize recording ``i`` of ``full_name`` and return the inputs of its probabilities."""
    evid, cand_rows = [], []
    orig_ll, orig_lp = srcs.leak_likelihood, rank.leak_probabilities  # (localize calls sources.leak_likelihood,
    # rank_candidates calls ranking.leak_probabilities)

    def ll_hook(info, near, in_ref, modulated=None):
        evid.append(dict(power_db=info.power_db, band_hz=list(info.band_hz), stationary=info.stationary,
                         band_fraction=info.band_fraction, high_to_mid_db=info.high_to_mid_db, near=float(near),
                         in_ref=in_ref, modulated=None if modulated is None else list(modulated)))
        return orig_ll(info, near, in_ref, modulated)

    def lp_hook(cands):
        for c, (s, k, ll, share, layer) in zip(sys._getframe(1).f_locals["cands"], cands):
            cand_rows.append(dict(x=list(c.position_m), score=float(s), kind=k, share=float(share), layer=int(layer),
                                  source=int(c.source), r95=float(c.uncertainty_radius_m)))
        return orig_lp(cands)

    res = {}

    def locate_hook(wall, rec, **kw):
        srcs.leak_likelihood, rank.leak_probabilities = ll_hook, lp_hook
        try:
            r = loc.locate(wall, rec, **kw)
        finally:
            srcs.leak_likelihood, rank.leak_probabilities = orig_ll, orig_lp
        res["r"] = r
        return r

    keep = lm.locate, list(lm.METHODS)
    lm.locate, lm.METHODS[:] = locate_hook, ["hullbreach"]
    t = time.perf_counter()
    try:
        lm.run_one((full_name, i, duration_s))
    finally:
        lm.locate, lm.METHODS[:] = keep[0], keep[1]
    r = res["r"]
    leak, other = _truth(full_name, i)
    return dict(case=full_name, i=i, leak=list(leak), other=None if other is None else list(other), sources=evid,
                cands=cand_rows, status=r.status, message=r.message, n_sensors=16,
                at_bound="edge of the searched range" in r.message, t=time.perf_counter() - t,
                listed=[dict(x=list(c.position_m), p=c.probability) for c in r.candidates])


def capture(args) -> None:
    out = Path(args.out)
    done = set()
    if out.exists():
        done = {(d["case"], d["i"]) for d in map(json.loads, out.read_text().splitlines())}
    with out.open("a") as fh:
        for i in _seeds(args.seeds):
            for case in args.cases.split(","):
                if (case, i) in done:
                    continue
                row = capture_one(case, i, args.duration_ms / 1e3)
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                print(case, i, row["status"], f"{row['t']:.1f}s", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--cases", default="loud,band,machine")
    c.add_argument("--seeds", default="0-11")
    c.add_argument("--duration-ms", type=float, default=100.0)
    c.add_argument("--out", required=True)
    s = sub.add_parser("score")
    s.add_argument("files", nargs="+")
    s.add_argument("--before", default="a8bc68b")
    s.add_argument("--groups", default="blind=loud,band,machine;ref=loud+ref,band+ref;eq=loud+eq,band+eq")
    f = sub.add_parser("fit")
    f.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    {"capture": capture, "score": score, "fit": fit}[a.cmd](a)


@dataclass(frozen=True)
class _Cand:
    """The fields of :class:`hullbreach.locate.localize.Candidate` the ranking reads."""

    position_m: tuple
    score: float
    kind: str
    leak_likelihood: float
    probability: float
    source: int
    layer: int
    uncertainty_radius_m: float
    power_db: float = float("nan")


def _info(d: dict) -> rank.SourceInfo:
    return rank.SourceInfo(d["power_db"], tuple(d["band_hz"]), d["stationary"], d["band_fraction"], d["high_to_mid_db"])


def _cands(row: dict, ll_fn) -> list[_Cand]:
    lls = [ll_fn(_info(s), s["near"], s["in_ref"], None if s["modulated"] is None else tuple(s["modulated"]))[0]
           for s in row["sources"]]
    return [_Cand(tuple(c["x"]), c["score"], "equipment" if (row["sources"][c["source"]]["near"] >= 0.5
                                                              or row["sources"][c["source"]]["in_ref"]) else "leak",
                  lls[c["source"]], c["share"], c["source"], c["layer"], c["r95"],
                  row["sources"][c["source"]]["power_db"]) for c in row["cands"]]


def rank_before(row: dict, old) -> tuple[list[_Cand], str]:
    """The candidates and status as commit ``--before``'s localize.py made them (its sources.py ``old``:
    leak_likelihood, leak_probabilities, UNLISTED_PROBABILITY; its status rule, copied here)."""
    cands = _cands(row, old.leak_likelihood)
    probs = old.leak_probabilities([(c.score, c.kind, c.leak_likelihood, c.probability, c.layer) for c in cands])
    cands = sorted((replace(c, probability=float(p)) for c, p in zip(cands, probs)), key=lambda c: -c.probability)
    cands = [c for c in cands if not (c.probability < old.UNLISTED_PROBABILITY and c.kind == "leak")]
    tot = sum(c.probability for c in cands)
    cands = [replace(c, probability=c.probability / tot) for c in cands]
    if not cands:
        return cands, "no source"
    b = cands[0]
    rivals = [c for c in cands[1:] if c.source != b.source and c.kind == "leak"
              and (c.probability >= 0.01 or c.score >= 0.1 * b.score)]
    twins = [c for c in cands[1:] if c.source == b.source and c.probability >= 0.2 * b.probability]
    ok = b.probability >= 0.8 and not rivals and not twins and b.kind == "leak" and not row["at_bound"]
    return cands, "found" if ok else "ambiguous"


def rank_after(row: dict) -> tuple[list[_Cand], str]:
    """The candidates and status as this tree's :func:`hullbreach.locate.sources.rank_candidates` makes them."""
    listed, _ = rank.rank_candidates(_cands(row, rank.leak_likelihood))
    status, _ = rank.candidate_status(listed, row["n_sensors"], row["at_bound"])
    return listed, status


def wilson(k: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson's 95 % interval of a binomial proportion k/n (Wilson 1927, JASA 22:209)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h


def _metrics(ranked: list[tuple[dict, list, str]]) -> dict:
    """Calibration figures of ``ranked`` = [(row, candidates, status)] (see the module docstring)."""
    first, p1, brier1, logs, brier = [], [], [], [], []
    found = found_ok = 0
    rel = []  # (predicted P, is the leak) for every listed candidate
    for row, cands, status in ranked:
        leak = row["leak"]
        hit = [math.hypot(c.position_m[0] - leak[0], c.position_m[1] - leak[1]) <= HIT_M for c in cands]
        if not cands:
            continue
        y1 = hit[0]
        first.append(y1)
        p1.append(cands[0].probability)
        brier1.append((cands[0].probability - y1) ** 2)
        p_leak = sum(c.probability for c, h in zip(cands, hit) if h)
        logs.append(-math.log(max(p_leak, 1e-3)))
        # multi-class Brier over the listed candidates (+1 when the leak is not listed at all)
        brier.append(sum((c.probability - h) ** 2 for c, h in zip(cands, hit)) + (0.0 if any(hit) else 1.0))
        rel += [(c.probability, h) for c, h in zip(cands, hit)]
        if status == "found":
            found += 1
            found_ok += y1
    lo, hi = wilson(sum(first), len(first))
    out = dict(n=len(first), first=float(np.mean(first)), first_lo=lo, first_hi=hi, p_first=float(np.mean(p1)), brier_first=float(np.mean(brier1)),
               brier=float(np.mean(brier)), log_score=float(np.mean(logs)), found=found, found_right=found_ok)
    edges = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0001]
    out["reliability"] = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = [(p, h) for p, h in rel if lo <= p < hi]
        if sel:
            k = sum(h for _, h in sel)
            out["reliability"].append(dict(bin=f"{lo:.1f}-{min(hi, 1):.1f}", n=len(sel),
                                           mean_p=float(np.mean([p for p, _ in sel])),
                                           observed=k / len(sel), interval=wilson(k, len(sel))))
    return out


#: The constants ``fit`` estimates: (centre, prior standard deviation, lower, upper bound), in ln of the
#: constant. The centres are the physics' values (docs/locate.md §10), the bounds what the physics allows
#: (a cue never turned around: equipment evidence ≤ ×1, absence from a reference ≤ ×10 because equipment
#: idles during some references, the spectrum ≤ ×4 either way), the standard deviations how far one would
#: believe a benchmark moves them.
FIT_PRIOR = {
    "LR_SPECTRUM_MAX": (math.log(2.0), 0.5, 0.0, math.log(4.0)),
    "LR_NAMED_EQUIPMENT": (math.log(0.05), 1.0, math.log(1e-3), 0.0),
    "LR_IN_REFERENCE": (math.log(0.1), 1.0, math.log(1e-3), 0.0),
    "LR_ABSENT_FROM_REFERENCE": (math.log(4.0), 0.5, 0.0, math.log(10.0)),
    "LR_MODULATED": (math.log(0.02), 1.0, math.log(1e-3), 0.0),
    "LR_NOT_STATIONARY": (math.log(0.2), 1.0, math.log(1e-3), 0.0),
    "COMPARABLE_COHERENCE": (math.log(0.3), 0.5, math.log(0.05), 0.0),
    "COHERENCE_POWER": (math.log(2.0), 0.5, math.log(0.5), math.log(4.0)),
    "HIDDEN_LAYER_FACTOR": (math.log(0.5), 1.0, math.log(0.05), 0.0),
    # session 6: a CLEAN leftover carries the strongest source's power at a fraction of its coherence, so its
    # power excess is >= 6 dB wherever the discount applies (sources.power_excess_db); bounds 1-12 dB
    "LEFTOVER_POWER_RATIO": (math.log(4.0), 0.5, math.log(10 ** 0.1), math.log(16.0)),
}


def _set(vals: dict) -> None:
    for k, v in vals.items():
        setattr(rank, k, v)


def penalised_log_score(theta: np.ndarray, rows: list[dict]) -> float:
    """Sum over ``rows`` of −ln P(the leak) (the log score, P floored at 1e-3) with the constants
    exp(``theta``) (in the order of :data:`FIT_PRIOR`), plus the Gaussian prior's ½ Σ ((θ − centre)/sd)²."""
    _set({k: math.exp(t) for k, t in zip(FIT_PRIOR, theta)})
    nll = _metrics([(r, *rank_after(r)) for r in rows])["log_score"] * len(rows)
    return nll + 0.5 * sum(((t - c) / sd) ** 2 for t, (c, sd, _, _) in zip(theta, FIT_PRIOR.values()))


def fit(args) -> None:
    """Maximum a posteriori estimate of the constants of :data:`FIT_PRIOR` on the training file(s) only:
    the log score (a proper scoring rule, so its minimum is the calibrated setting) plus the physics
    prior, which tempers what a few dozen recordings can say (L-BFGS-B within the bounds)."""
    from scipy.optimize import minimize

    rows = [json.loads(x) for p in args.files for x in Path(p).read_text().splitlines()]
    keep = {k: getattr(rank, k) for k in FIT_PRIOR}
    theta0 = np.array([math.log(keep[k]) for k in FIT_PRIOR])
    try:
        f0 = penalised_log_score(theta0, rows)
        res = minimize(penalised_log_score, theta0, args=(rows,), method="L-BFGS-B",
                       bounds=[(lo, hi) for _, _, lo, hi in FIT_PRIOR.values()], options=dict(eps=1e-3, maxiter=60))
        m = _metrics([(r, *rank_after(r)) for r in rows])
    finally:
        for k, v in keep.items():
            setattr(rank, k, v)
    print(f"{len(rows)} training recordings; penalised log score {f0:.2f} (current) -> {res.fun:.2f} ({res.message})")
    for k, t in zip(FIT_PRIOR, res.x):
        print(f"  {k} = {math.exp(t):.3g}   (current {keep[k]:.3g}, prior centre {math.exp(FIT_PRIOR[k][0]):.3g})")
    print(f"  fitted: log score {m['log_score']:.3f}, Brier {m['brier']:.3f}, P(first) {m['p_first']:.3f} vs first {m['first']:.3f}")


def score(args) -> None:
    old = lm._load(f"hb_sources_{args.before}", args.before, "src/hullbreach/locate/sources.py")
    groups = [g.split("=") for g in args.groups.split(";")]
    for path in args.files:
        rows = [json.loads(x) for x in Path(path).read_text().splitlines()]
        print(f"== {path}: {len(rows)} recordings")
        for name, cases in [(g[0], g[1].split(",")) for g in groups] + [(c, [c]) for c in sorted({r["case"] for r in rows})]:
            sel = [r for r in rows if r["case"] in cases]
            if not sel:
                continue
            for label, fn in (("before", lambda r: rank_before(r, old)), ("after", rank_after)):
                m = _metrics([(r, *fn(r)) for r in sel])
                rel = " ".join(f"[{b['bin']}: n={b['n']} P={b['mean_p']:.2f} obs={b['observed']:.2f}"
                               f"{'' if b['interval'][0] <= b['mean_p'] <= b['interval'][1] else ' OUT'}]"
                               for b in m.pop("reliability"))
                print(f"{name:10s} {label:6s} " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                                        for k, v in m.items()))
                print(f"{'':17s}{rel}")


if __name__ == "__main__":
    main()
