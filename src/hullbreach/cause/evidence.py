"""What investigators saw, as a structured record, and what each observation is worth as likelihoods.

Each observation (a feature with a value) maps to a relative likelihood P(observation | cause) for each of
the six causes, given as a range ``(estimate, low, high)`` with a written rationale and a source -- never a
bare number. Only ratios between causes matter (Bayes' rule); the ranges are propagated by
``attribute.py``. The numbers are engineering judgement anchored on the cited sources; they are meant to be
argued with, which is why every one of them is visible in the output and moved in the tornado chart.

Case files (TOML) are read by :func:`load_case`; errors name the file, line and key (``CaseError``).

Sources used in rationales
--------------------------
[HB]   NASA/TM-2009-214785, Handbook for Designing MMOD Protection (2009): Fig. 4-2 (crater, spall and
       perforation morphology of aluminium), §4.1.1 (near-hemispherical craters above 5 km/s), §4.2.3
       and Table 4-4 (melting above ~5.5 km/s), §6.2 (failure = "any hole or through-crack").
[ASM12] ASM Handbook Vol. 12, Fractography (fatigue cracks: slit-like, beach marks, perpendicular to the
       principal stress).
[ASM16] ASM Handbook Vol. 16, Machining (drilling: cylindrical bore, exit burr on the far side, tool
       walking/slipping marks on entry).
[MS09] Soyuz MS-09 public record: NASA status 30 Aug 2018; TASS; D. Rogozin 4 Sep 2018 ("several
       attempts", "from inside", "tool slipped"), as summarised in docs/reference/figures.md.
[FLT]  Flight history: no through-hole from cracks, defects or drilling in ~140 crewed Soyuz flights
       1967-2018 before MS-09 (rule of three: rate < ~2e-2 per flight).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from hullbreach.errors import CaseError
from hullbreach.tomlpos import load_toml
from hullbreach.uncertain import Interval

HYPOTHESES = ("meteoroid", "orbital_debris", "fatigue_crack", "manufacturing_defect", "drilling_ground",
              "drilling_orbit")
MMOD = ("meteoroid", "orbital_debris")
DRILLING = ("drilling_ground", "drilling_orbit")


@dataclass(frozen=True)
class Rule:
    """Likelihoods of one observation under each cause, with why and where from.

    ``likelihood`` maps every hypothesis to ``(estimate, low, high)``, relative P(observation | cause) [-].
    """

    feature: str
    value: str
    likelihood: dict
    rationale: str
    source: str

    def interval(self, hyp: str) -> Interval:
        e, lo, hi = self.likelihood[hyp]
        return Interval(e, lo, hi)

    def to_json(self) -> dict:
        return {"feature": self.feature, "value": self.value, "rationale": self.rationale, "source": self.source,
                "likelihood": {h: self.interval(h).to_json() for h in HYPOTHESES}}


def _L(met, deb=None, crack=None, defect=None, dg=None, do=None) -> dict:
    deb = deb or met
    return {"meteoroid": met, "orbital_debris": deb, "fatigue_crack": crack, "manufacturing_defect": defect,
            "drilling_ground": dg, "drilling_orbit": do}


_HVI = "hypervelocity impact from outside"
CATALOGUE: dict[tuple[str, str], Rule] = {}


def _rule(feature, value, lk, rationale, source):
    assert set(lk) == set(HYPOTHESES) and all(v is not None for v in lk.values()), (feature, value)
    for v in lk.values():
        assert 0 < v[1] <= v[0] <= v[2] <= 1.0, (feature, value, v)
    CATALOGUE[(feature, value)] = Rule(feature, value, lk, rationale, source)


# hole shape -------------------------------------------------------------------------------------------
_rule("hole_shape", "round", _L((0.5, 0.3, 0.8), None, (0.02, 0.005, 0.1), (0.3, 0.1, 0.6), (0.9, 0.7, 1.0), (0.9, 0.7, 1.0)),
      "A drill leaves a circular bore; hypervelocity perforations of thin aluminium are roughly round near normal "
      "incidence and elliptical when oblique; fatigue cracks are slits; pores and inclusions can be round.",
      "[HB] Fig. 4-2, §4.1.1; [ASM12]; [ASM16]")
_rule("hole_shape", "slit", _L((0.02, 0.005, 0.1), None, (0.9, 0.7, 1.0), (0.3, 0.1, 0.6), (0.02, 0.005, 0.1), (0.02, 0.005, 0.1)),
      "A slit or through-crack is the signature of fatigue (growth perpendicular to the principal stress); "
      "impacts and drills rarely leave one.", "[ASM12]; [HB] §6.2")
_rule("hole_shape", "irregular", _L((0.5, 0.2, 0.7), None, (0.1, 0.03, 0.3), (0.4, 0.2, 0.7), (0.1, 0.03, 0.3), (0.1, 0.03, 0.3)),
      "Irregular, torn openings are typical of impacts (petals, spall) and of corroded or porous material, "
      "less of a drill.", "[HB] Fig. 4-2; [ASM12]")
# edges ------------------------------------------------------------------------------------------------
_rule("edges", "clean_cut", _L((0.01, 0.001, 0.05), None, (0.05, 0.01, 0.2), (0.1, 0.02, 0.3), (0.8, 0.5, 1.0), (0.8, 0.5, 1.0)),
      "Machined, cylindrical bore walls come from a cutting tool; impacts leave a raised crater lip, rear-side "
      "petals or spall, and above ~5.5 km/s melt.", "[HB] Fig. 4-2, §4.2.3, Table 4-4; [ASM16]")
_rule("edges", "melted_or_petalled", _L((0.8, 0.5, 1.0), None, (0.01, 0.002, 0.05), (0.05, 0.01, 0.2), (0.02, 0.005, 0.1), (0.02, 0.005, 0.1)),
      "Resolidified melt, crater lip and petalled rear face are the hypervelocity signature.",
      "[HB] Fig. 4-2, §4.1.1, §4.2.3")
_rule("edges", "jagged", _L((0.2, 0.05, 0.5), None, (0.5, 0.2, 0.8), (0.4, 0.2, 0.7), (0.1, 0.03, 0.3), (0.1, 0.03, 0.3)),
      "Ragged, torn edges without melt fit a crack or a flaw opening more than a drill.", "[ASM12]; [HB] Fig. 4-2")
# which side it was made from ------------------------------------------------------------------------------
_rule("entry_side", "inside", _L((0.005, 0.001, 0.02), None, (0.3, 0.1, 0.5), (0.3, 0.1, 0.5), (0.6, 0.3, 0.9), (0.98, 0.9, 1.0)),
      "Burr, taper and tool marks tell the side a tool entered. Meteoroids and debris arrive from outside "
      "(misreading the evidence is the only way to get 'inside'). On the ground the shell can be worked from "
      "either side before the blanket is fitted; in orbit only from the cabin.",
      "[ASM16]; [HB] Fig. 4-2; [MS09] 'from inside'")
_rule("entry_side", "outside", _L((0.95, 0.8, 1.0), None, (0.3, 0.1, 0.5), (0.3, 0.1, 0.5), (0.4, 0.1, 0.7), (0.02, 0.001, 0.1)),
      "An impact or a tool from outside; in orbit the outside is reachable only by spacewalk.",
      "[HB] Fig. 4-2; [ASM16]")
_rule("entry_side", "none", _L((0.05, 0.01, 0.2), None, (0.4, 0.2, 0.8), (0.4, 0.2, 0.8), (0.05, 0.01, 0.2), (0.05, 0.01, 0.2)),
      "No side can be told: typical of cracks and flaws, not of drills or impacts.", "[ASM12]; [ASM16]")
# burr / lip, crater lip, spall, accessibility ---------------------------------------------------------------
_rule("burr_direction", "outward", _L((0.3, 0.1, 0.6), None, (0.05, 0.01, 0.2), (0.1, 0.02, 0.3), (0.5, 0.2, 0.8), (0.9, 0.7, 1.0)),
      "Metal displaced away from the cabin (on the outer face): the exit burr of a tool worked from inside, or "
      "the raised front-face lip of an impact crater (an impact's rear-side petals point inward instead).",
      "[ASM16]; [HB] Fig. 4-2")
_rule("burr_direction", "inward", _L((0.6, 0.3, 0.9), None, (0.05, 0.01, 0.2), (0.1, 0.02, 0.3), (0.4, 0.1, 0.7), (0.02, 0.001, 0.1)),
      "Metal bent into the cabin: rear-face petals of a perforation from outside, or a tool worked from outside "
      "(possible on the ground, in orbit only by spacewalk).", "[HB] Fig. 4-2; [ASM16]")
_rule("burr_direction", "none", _L((0.1, 0.03, 0.3), None, (0.9, 0.7, 1.0), (0.8, 0.5, 1.0), (0.1, 0.03, 0.3), (0.08, 0.02, 0.3)),
      "No displaced metal: typical of cracks and flaws, not of perforations or drills.", "[ASM12]; [ASM16]")
_rule("crater_lip", "yes", _L((0.7, 0.4, 0.9), None, (0.02, 0.005, 0.1), (0.02, 0.005, 0.1), (0.02, 0.005, 0.1), (0.02, 0.005, 0.1)),
      "A raised, rounded crater lip on the impacted face is the hypervelocity signature (near-hemispherical "
      "craters above 5 km/s).", "[HB] §4.1.1, Fig. 4-2")
_rule("crater_lip", "no", _L((0.3, 0.1, 0.6), None, (0.98, 0.9, 1.0), (0.98, 0.9, 1.0), (0.98, 0.9, 1.0), (0.98, 0.9, 1.0)),
      "Complement of 'crater_lip: yes'.", "[HB] §4.1.1")
_rule("spall", "yes", _L((0.6, 0.3, 0.9), None, (0.02, 0.005, 0.1), (0.05, 0.01, 0.2), (0.02, 0.005, 0.1), (0.02, 0.005, 0.1)),
      "Attached or detached spall on the rear (cabin) face accompanies impacts near the ballistic limit; the "
      "handbook's damage ladder is crater, incipient spall, detached spall, perforation.", "[HB] Fig. 4-2, eqs. 4-3..4-5")
_rule("spall", "no", _L((0.4, 0.1, 0.7), None, (0.98, 0.9, 1.0), (0.95, 0.8, 1.0), (0.98, 0.9, 1.0), (0.98, 0.9, 1.0)),
      "Complement of 'spall: yes'.", "[HB] Fig. 4-2")
_rule("accessible_in_flight", "yes", _L((0.5, 0.2, 0.8), None, (0.5, 0.2, 0.8), (0.5, 0.2, 0.8), (0.5, 0.2, 0.8), (0.98, 0.9, 1.0)),
      "The spot can be reached from the cabin in flight without removing structure. Causes blind to "
      "accessibility hit such spots in proportion to their share of the wall (taken as 0.2-0.8); a drill in "
      "orbit needs one.", "Soyuz orbital-module layout (outfitting covers much of the shell); [MS09]")
_rule("accessible_in_flight", "no", _L((0.5, 0.2, 0.8), None, (0.5, 0.2, 0.8), (0.5, 0.2, 0.8), (0.5, 0.2, 0.8), (0.02, 0.001, 0.1)),
      "Complement of 'accessible_in_flight: yes': only reachable on the ground (before outfitting).",
      "Soyuz orbital-module layout; [MS09]")
# melt / residue ---------------------------------------------------------------------------------------------
_rule("melt", "yes", _L((0.7, 0.4, 0.9), (0.6, 0.3, 0.9), (0.01, 0.002, 0.05), (0.02, 0.005, 0.1), (0.01, 0.002, 0.05), (0.01, 0.002, 0.05)),
      "Melt needs impact speeds above ~5.5 km/s (aluminium on aluminium); meteoroids (11-72 km/s) and most "
      "debris (mean 9 km/s) get there, tools do not.", "[HB] §4.2.3, Table 4-4, §2.6")
_rule("melt", "no", _L((0.3, 0.1, 0.6), (0.4, 0.1, 0.7), (0.99, 0.95, 1.0), (0.98, 0.9, 1.0), (0.99, 0.95, 1.0), (0.99, 0.95, 1.0)),
      "Complement of 'melt: yes'.", "[HB] §4.2.3")
_rule("residue", "projectile", _L((0.4, 0.1, 0.7), (0.5, 0.2, 0.8), (0.01, 0.002, 0.05), (0.02, 0.005, 0.1), (0.01, 0.002, 0.05), (0.01, 0.002, 0.05)),
      "Foreign material (chondritic, paint, other alloys) in the crater is how returned hardware is attributed "
      "to meteoroids or debris.", "[HB] §2.4, §3 (inspection of returned hardware)")
_rule("residue", "metal_chips", _L((0.01, 0.002, 0.05), None, (0.02, 0.005, 0.1), (0.05, 0.01, 0.2), (0.5, 0.2, 0.8), (0.5, 0.2, 0.8)),
      "Chips and swarf of the shell alloy come from cutting.", "[ASM16]")
_rule("residue", "none", _L((0.5, 0.2, 0.8), None, (0.9, 0.7, 1.0), (0.8, 0.5, 1.0), (0.5, 0.2, 0.8), (0.5, 0.2, 0.8)),
      "Nothing found: weak evidence (residue is often lost or not looked for).", "[HB] §2.4")
# tool marks, attempts -----------------------------------------------------------------------------------
_rule("tool_marks", "yes", _L((0.005, 0.001, 0.03), None, (0.01, 0.002, 0.05), (0.05, 0.01, 0.2), (0.5, 0.2, 0.8), (0.5, 0.2, 0.8)),
      "Scratches and gouges next to the hole from a slipping tool; impact ejecta can pit the surface but do not "
      "score it; machining marks from manufacture are possible but rare at a hole.",
      "[ASM16]; [MS09] 'tool slipped'")
_rule("tool_marks", "no", _L((0.995, 0.97, 1.0), None, (0.99, 0.95, 1.0), (0.95, 0.8, 1.0), (0.5, 0.2, 0.8), (0.5, 0.2, 0.8)),
      "Complement of 'tool_marks: yes'.", "[ASM16]")
_rule("attempts", "several", _L((0.01, 0.002, 0.05), None, (0.02, 0.005, 0.1), (0.02, 0.005, 0.1), (0.3, 0.1, 0.6), (0.3, 0.1, 0.6)),
      "Several starts or dimples around one hole are what a drill does when it walks; a cluster of impacts "
      "from one fragment cloud at the same spot is possible but rare.", "[ASM16]; [MS09] 'several attempts'")
_rule("attempts", "one", _L((0.99, 0.95, 1.0), None, (0.98, 0.9, 1.0), (0.98, 0.9, 1.0), (0.7, 0.4, 0.9), (0.7, 0.4, 0.9)),
      "Complement of 'attempts: several'.", "[ASM16]")
# sealant ---------------------------------------------------------------------------------------------------
_rule("sealant", "covering_hole", _L((0.01, 0.001, 0.05), None, (0.01, 0.001, 0.05), (0.1, 0.02, 0.3), (0.5, 0.2, 0.9), (0.5, 0.2, 0.9)),
      "Sealant found over the hole before anyone knew of the leak means someone knew of the hole: a "
      "concealed drilling error or act. A known flaw patched during manufacture is the other way; an impact or "
      "crack made in flight cannot have been sealed beforehand (only by misreading later repairs).",
      "[MS09] 'covered with sealant'; [HB] §6.2")
_rule("sealant", "none", _L((0.99, 0.95, 1.0), None, (0.99, 0.95, 1.0), (0.9, 0.7, 0.98), (0.5, 0.1, 0.8), (0.5, 0.1, 0.8)),
      "Complement of 'sealant: covering_hole'.", "[MS09]")
_rule("sealant_age", "consistent_with_ground", _L((0.5, 0.2, 0.8), None, (0.5, 0.2, 0.8), (0.7, 0.4, 0.9), (0.7, 0.4, 0.9), (0.1, 0.02, 0.3)),
      "Sealant cured and aged like the factory material points to the ground; a lab analysis can tell weeks "
      "from months only roughly.", "[MS09] (the dispute turned on this)")
_rule("sealant_age", "fresh", _L((0.5, 0.2, 0.8), None, (0.5, 0.2, 0.8), (0.3, 0.1, 0.6), (0.2, 0.05, 0.5), (0.8, 0.5, 1.0)),
      "Recently applied sealant (on-board kit material, little curing) points to orbit.", "[MS09]")
# timing -----------------------------------------------------------------------------------------------------
_rule("onset_phase", "docked", _L((0.99, 0.97, 1.0), None, (0.95, 0.8, 1.0), (0.8, 0.5, 0.95), (0.9, 0.6, 1.0), (0.99, 0.9, 1.0)),
      "Leak started while docked. MMOD exposure is almost all docked time; a sealed ground hole can give way at "
      "launch or the first pressure cycles, but also months later; a defect tends to open early under launch "
      "loads; a crack grows with cycles. A weak discriminator.", "[HB] §2.8.1; [ASM12]; [MS09] timeline")
_rule("onset_phase", "free_flight", _L((0.01, 0.003, 0.03), None, (0.05, 0.01, 0.2), (0.2, 0.05, 0.5), (0.1, 0.02, 0.4), (0.01, 0.001, 0.1)),
      "Leak started in the two days between launch and docking: launch loads open flaws and weak seals.",
      "[ASM12]; [HB] §2.8.1")
_rule("onset_during_crew_sleep", "yes", _L((0.35, 0.3, 0.4), None, (0.35, 0.3, 0.4), (0.35, 0.3, 0.4), (0.35, 0.3, 0.4), (0.3, 0.1, 0.4)),
      "About 8.5 h in 24 are crew sleep, so for causes blind to the crew schedule P = 0.35. A hole drilled in "
      "orbit and left open would start leaking in working hours; under sealant the onset is the sealant failing, "
      "so the time of day says little. A weak discriminator.", "ISS crew day (8.5 h sleep); [MS09] onset ~23:00 UTC")
_rule("onset_during_crew_sleep", "no", _L((0.65, 0.6, 0.7), None, (0.65, 0.6, 0.7), (0.65, 0.6, 0.7), (0.65, 0.6, 0.7), (0.7, 0.6, 0.9)),
      "Complement of 'onset_during_crew_sleep: yes'.", "ISS crew day")

for _k, _r in list(CATALOGUE.items()):
    _m = re.match(r"Complement of '(\w+): (\w+)'\.", _r.rationale)
    if _m:  # spell out what the complement is the complement of
        _other = CATALOGUE[(_m.group(1), _m.group(2))]
        CATALOGUE[_k] = Rule(_r.feature, _r.value, _r.likelihood,
                             f"Complement (about 1 - likelihood) of '{_m.group(1)}: {_m.group(2)}': {_other.rationale}",
                             _r.source)

FEATURES = sorted({f for f, _ in CATALOGUE})
FEATURE_VALUES = {f: sorted(v for g, v in CATALOGUE if g == f) for f in FEATURES}


@dataclass(frozen=True)
class PriorRate:
    """Per-flight probability that a cause makes a through-hole in the wall before the leak [-], a range."""

    estimate: float
    low: float
    high: float
    rationale: str
    source: str

    def interval(self) -> Interval:
        return Interval(self.estimate, self.low, self.high)


#: Base rates for the non-MMOD causes (MMOD priors come from the flux x ballistic-limit physics).
DEFAULT_PRIORS: dict[str, PriorRate] = {
    "fatigue_crack": PriorRate(1e-4, 1e-5, 1e-3,
                               "The orbital module is a short-life vessel (~200 days, few pressure cycles); no "
                               "through-crack in ~140 crewed Soyuz flights.", "[FLT]; [ASM12]"),
    "manufacturing_defect": PriorRate(1e-4, 1e-5, 1e-3,
                                      "Flaws that pass pre-launch leak checks and open in flight; none recorded on "
                                      "Soyuz before MS-09.", "[FLT]"),
    "drilling_ground": PriorRate(1e-4, 1e-5, 1e-3,
                                 "An accidental drill-through during assembly, hidden rather than reported; no "
                                 "earlier case on record.", "[FLT]; [MS09]"),
    "drilling_orbit": PriorRate(3e-5, 1e-6, 1e-3,
                                "A deliberate act by someone on board; no precedent in crewed spaceflight, so a "
                                "very uncertain, wide range.", "[FLT]"),
}


@dataclass(frozen=True)
class Case:
    """A cause-attribution case: the wall, its exposure, the hole, the evidence and optional prior overrides.

    Areas [m^2], thickness [m], altitude [m], diameters [m], times are aware UTC datetimes.
    """

    name: str
    source_file: str
    wall: str
    wall_area_m2: float
    altitude_m: float
    inclination_deg: float
    surface: str
    launch: dt.datetime
    docking: dt.datetime | None
    leak_onset: dt.datetime
    hole_diameter_m: Interval
    evidence: dict
    priors: dict = field(default_factory=dict)
    wall_thickness_m: float | None = None
    description: str = ""
    sources: tuple = ()
    wall_area_note: str = ""

    @property
    def exposure_s(self) -> float:
        """Time in orbit before the leak [s] (launch to onset)."""
        return (self.leak_onset - self.launch).total_seconds()

    def with_onset(self, onset: dt.datetime | str) -> "Case":
        """The same case with another leak onset (for example the Detection stage's ``onset_time``, ISO 8601).

        Raises CaseError when the onset is not after launch (and docking); the onset phase is re-derived.
        """
        import dataclasses

        if isinstance(onset, str):
            try:
                onset = dt.datetime.fromisoformat(onset.replace("Z", "+00:00"))
            except ValueError:
                raise CaseError(f"onset {onset!r} is not an ISO 8601 time", hint="e.g. 2018-08-29T23:00:00Z") from None
        if onset.tzinfo is None:
            onset = onset.replace(tzinfo=dt.timezone.utc)
        if onset <= self.launch:
            raise CaseError(f"onset {onset.isoformat()} is not after launch {self.launch.isoformat()}",
                            source=self.source_file)
        ev = dict(self.evidence)
        if self.docking is not None:
            ev["onset_phase"] = "docked" if onset >= self.docking else "free_flight"
        return dataclasses.replace(self, leak_onset=onset, evidence=ev)

    def rules(self) -> list[Rule]:
        """The catalogue rules that the recorded evidence selects (unknown values contribute nothing)."""
        return [CATALOGUE[(f, v)] for f, v in self.evidence.items() if v != "unknown"]


_CASE_TOP = {"name", "description", "sources", "vehicle", "hole", "evidence", "priors"}
_VEHICLE_KEYS = {"wall", "wall_area_m2", "wall_area_note", "wall_thickness_mm", "altitude_km", "inclination_deg",
                 "surface", "launch", "docking", "leak_onset"}
_HOLE_KEYS = {"diameter_mm", "diameter_low_mm", "diameter_high_mm"}


def list_cases() -> list[str]:
    """Names of the built-in cases (``cause/cases/*.toml``)."""
    lib = resources.files("hullbreach.cause") / "cases"
    return sorted(p.name[:-5] for p in lib.iterdir() if p.name.endswith(".toml"))


def load_case(name_or_path: str | Path) -> Case:
    """Load a built-in case by name (``ms09``) or a case TOML file by path.

    Raises
    ------
    CaseError
        Unknown name, missing file, invalid TOML, unknown key, impossible value (negative area or speed,
        dates out of order, unknown evidence value); the message names the file, line and key.
    """
    text_name = str(name_or_path)
    p = Path(text_name)
    if p.suffix.lower() == ".toml" or p.exists():
        if not p.is_file():
            raise CaseError(f"case file {text_name} does not exist", hint="check the path, or use a built-in case: "
                            + ", ".join(list_cases()))
        return parse_case(p.read_text(encoding="utf-8"), str(p))
    if text_name in list_cases():
        path = resources.files("hullbreach.cause") / "cases" / f"{text_name}.toml"
        return parse_case(path.read_text(encoding="utf-8"), f"<built-in {text_name}>")
    raise CaseError(f"unknown case {text_name!r}", hint=f"built-in cases: {', '.join(list_cases())}; or give a .toml path")


def parse_case(text: str, filename: str = "<string>") -> Case:
    """Parse and validate a case TOML text (see ``cause/cases/ms09.toml`` for the format)."""
    data, lines = load_toml(text, filename, CaseError)

    def fail(msg, table="", key="", hint=None):
        raise CaseError(msg, source=lines.where(filename, table, 0, key or None), hint=hint)

    def check_keys(tbl: dict, allowed: set, table: str):
        for k in tbl:
            if k not in allowed:
                fail(f"unknown key {k!r}", table, k, hint=f"allowed keys: {', '.join(sorted(allowed))}")

    def table(name) -> dict:
        t = data.get(name, {})
        if not isinstance(t, dict):
            fail(f"[{name}] must be a table", "", name)
        return t

    def number(tbl, table_name, key, required=True, positive=True, default=None):
        if key not in tbl:
            if required:
                fail(f"missing key {key!r}", table_name, "", hint=f"add {key} = <number> under [{table_name}]")
            return default
        v = tbl[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            fail(f"{key} must be a number, got {v!r}", table_name, key)
        if positive and v <= 0:
            fail(f"{key} must be > 0, got {v!r}", table_name, key, hint="areas, sizes, speeds and altitudes are positive")
        return float(v)

    def when(tbl, table_name, key, required=True):
        if key not in tbl:
            if required:
                fail(f"missing key {key!r}", table_name, "", hint=f"add {key} = 2018-08-29T23:00:00Z")
            return None
        v = tbl[key]
        if isinstance(v, dt.datetime):
            return v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)
        if isinstance(v, dt.date):
            return dt.datetime(v.year, v.month, v.day, tzinfo=dt.timezone.utc)
        if isinstance(v, str):
            try:
                t = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            except ValueError:
                fail(f"{key} is not an ISO 8601 time: {v!r}", table_name, key)
            return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
        fail(f"{key} must be a date/time, got {v!r}", table_name, key)

    check_keys(data, _CASE_TOP, "")
    veh, hole, ev, pri = table("vehicle"), table("hole"), table("evidence"), table("priors")
    check_keys(veh, _VEHICLE_KEYS, "vehicle")
    check_keys(hole, _HOLE_KEYS, "hole")

    from hullbreach.cause.ballistic import WALL_KINDS
    from hullbreach.cause.flux import SURFACE_ALIASES, SURFACES

    wall = veh.get("wall", "soyuz-om")
    if wall not in WALL_KINDS:
        fail(f"unknown wall {wall!r}", "vehicle", "wall", hint=f"use one of {', '.join(WALL_KINDS)}")
    area = number(veh, "vehicle", "wall_area_m2")
    thick = number(veh, "vehicle", "wall_thickness_mm", required=False)
    alt_km = number(veh, "vehicle", "altitude_km", required=False, default=400.0)
    if alt_km <= 100.0:
        fail(f"altitude_km {alt_km:g} is not an orbit", "vehicle", "altitude_km", hint="give an altitude above 100 km")
    inc = number(veh, "vehicle", "inclination_deg", required=False, positive=False, default=51.6)
    if not 0.0 <= inc <= 180.0:
        fail(f"inclination_deg must be within 0-180, got {inc:g}", "vehicle", "inclination_deg")
    surface = veh.get("surface", "random")
    if surface not in SURFACES and surface not in SURFACE_ALIASES:
        fail(f"unknown surface {surface!r}", "vehicle", "surface",
             hint=f"use one of {', '.join(SURFACES + tuple(SURFACE_ALIASES))}")
    launch = when(veh, "vehicle", "launch")
    docking = when(veh, "vehicle", "docking", required=False)
    onset = when(veh, "vehicle", "leak_onset")
    if docking is not None and docking < launch:
        fail("docking is before launch", "vehicle", "docking", hint="dates must run launch <= docking <= leak_onset")
    if onset <= launch:
        fail("leak_onset is not after launch", "vehicle", "leak_onset", hint="dates must run launch <= docking <= leak_onset")
    if docking is not None and onset < docking:
        fail("leak_onset is before docking", "vehicle", "leak_onset", hint="dates must run launch <= docking <= leak_onset")

    d = number(hole, "hole", "diameter_mm")
    d_lo = number(hole, "hole", "diameter_low_mm", required=False, default=d)
    d_hi = number(hole, "hole", "diameter_high_mm", required=False, default=d)
    if not d_lo <= d <= d_hi:
        fail("need diameter_low_mm <= diameter_mm <= diameter_high_mm", "hole", "diameter_low_mm")

    evidence = {}
    for k, v in ev.items():
        if k not in FEATURES:
            fail(f"unknown evidence key {k!r}", "evidence", k, hint=f"known features: {', '.join(FEATURES)}")
        if isinstance(v, bool):
            v = "yes" if v else "no"
        if k == "attempts" and isinstance(v, int):
            if v < 1:
                fail(f"attempts must be >= 1, got {v}", "evidence", k)
            v = "one" if v == 1 else "several"
        if not isinstance(v, str) or (v not in FEATURE_VALUES[k] and v != "unknown"):
            fail(f"unknown value {v!r} for {k}", "evidence", k,
                 hint=f"use one of {', '.join(FEATURE_VALUES[k] + ['unknown'])}")
        evidence[k] = v
    if "onset_phase" not in evidence and docking is not None:
        evidence["onset_phase"] = "docked" if onset >= docking else "free_flight"

    priors = {}
    for k, v in pri.items():
        if k not in HYPOTHESES or k in MMOD:
            fail(f"unknown or non-overridable prior {k!r}", "priors", k,
                 hint=f"override only {', '.join(h for h in HYPOTHESES if h not in MMOD)} "
                      "(MMOD priors come from the flux and ballistic-limit physics)")
        if not isinstance(v, dict) or set(v) - {"estimate", "low", "high", "rationale", "source"} or "estimate" not in v:
            fail(f"prior {k} must be {{estimate = x, low = x, high = x, rationale = '...'}}", "priors", k)
        e, lo, hi = (v.get("estimate"), v.get("low", v.get("estimate")), v.get("high", v.get("estimate")))
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x <= 1 for x in (e, lo, hi)) or not lo <= e <= hi:
            fail(f"prior {k} needs 0 < low <= estimate <= high <= 1", "priors", k)
        priors[k] = PriorRate(float(e), float(lo), float(hi), str(v.get("rationale", "case file override")),
                              str(v.get("source", filename)))

    sources = data.get("sources", [])
    if not isinstance(sources, list):
        fail("sources must be a list of strings", "", "sources")
    return Case(
        name=str(data.get("name", Path(filename).stem)), source_file=filename, wall=wall, wall_area_m2=area,
        altitude_m=alt_km * 1e3, inclination_deg=inc, surface=surface, launch=launch, docking=docking,
        leak_onset=onset, hole_diameter_m=Interval(d * 1e-3, d_lo * 1e-3, d_hi * 1e-3), evidence=evidence,
        priors=priors, wall_thickness_m=None if thick is None else thick * 1e-3,
        description=str(data.get("description", "")), sources=tuple(str(s) for s in sources),
        wall_area_note=str(veh.get("wall_area_note", "")),
    )
