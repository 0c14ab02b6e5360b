"""The ingest parser (pure): accepted vs rejected samples, and a hypothesis fuzz of malformed bodies."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullbreach.ops.ingest import IngestError, parse_body, parse_time_ns

KNOWN = {"USLAB000058", "node1.pressure"}


def test_json_and_csv_give_the_same_samples():
    rows = [("2018-08-29T22:00:00Z", "USLAB000058", 755.1), ("1535580010", "node1.pressure", 754.9)]
    js = json.dumps({"samples": [{"time": t, "channel": c, "value": v} for t, c, v in rows]}).encode()
    csv = ("time,channel,value\n" + "\n".join(f"{t},{c},{v}" for t, c, v in rows)).encode()
    a, b = parse_body(js, "application/json", KNOWN), parse_body(csv, "text/csv", KNOWN)
    assert a.n == b.n == 2 and a.t_ns.tolist() == b.t_ns.tolist() and a.value.tolist() == b.value.tolist()
    assert a.t_ns[1] - a.t_ns[0] == 10 * 10**9


def test_rejections_name_row_and_reason():
    body = json.dumps({"samples": [
        {"time": "2018-08-29T22:00:00Z", "channel": "NOPE", "value": 1},
        {"time": "yesterday", "channel": "USLAB000058", "value": 1},
        {"time": 1535580000, "channel": "USLAB000058", "value": "NaN"},
        {"time": 1535580000, "channel": "USLAB000058", "value": 755},
        {"time": 1535570000, "channel": "USLAB000058", "value": 756},   # backwards in time: accepted
    ]}).encode()
    p = parse_body(body, None, KNOWN)
    assert p.n == 2 and p.n_rejected == 3
    reasons = {r["row"]: r["reason"] for r in p.rejected}
    assert "unknown channel 'NOPE'" in reasons[1] and "time" in reasons[2] and "finite" in reasons[3]


@pytest.mark.parametrize("body,ctype", [(b"{not json", "application/json"), (b'{"x": 1}', "application/json"),
                                        (b"a,b\n1,2", "text/csv"), (b"\xff\xfe", "text/csv"), (b"x", "image/png")])
def test_unreadable_bodies_raise_ingest_error(body, ctype):
    with pytest.raises(IngestError):
        parse_body(body, ctype, KNOWN)


def test_time_bounds():
    assert parse_time_ns("1970-01-01T00:00:00Z") == 0
    assert parse_time_ns("2300-01-01") is None and parse_time_ns(float("inf")) is None and parse_time_ns(True) is None
    assert parse_time_ns("2018-08-29T22:00:00+02:00") == parse_time_ns("2018-08-29T20:00:00Z")


sample = st.fixed_dictionaries({
    "time": st.one_of(st.floats(allow_nan=True), st.integers(), st.text(max_size=30), st.none(),
                      st.sampled_from(["2018-08-29T22:00:00Z", "1535580000.5", "2018-13-45"])),
    "channel": st.one_of(st.sampled_from(sorted(KNOWN) + ["", "X" * 100]), st.text(max_size=10), st.integers()),
    "value": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8), st.none(), st.booleans()),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sample, max_size=30))
def test_fuzz_json_every_sample_is_accepted_or_rejected(samples):
    p = parse_body(json.dumps({"samples": samples}, allow_nan=True).encode(), "application/json", KNOWN)
    assert p.n + p.n_rejected == len(samples)
    assert set(p.channel.tolist()) <= KNOWN


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_fuzz_arbitrary_bytes_never_crash(body):
    for ct in ("application/json", "text/csv", None):
        try:
            p = parse_body(body, ct, KNOWN)
        except IngestError:
            continue
        assert p.n >= 0 and p.n_rejected >= 0


def test_times_in_the_future_are_rejected_when_a_clock_is_given():
    """One sample years ahead would make the detector's bins span the gap (found by the crash benchmark:
    21 GB); the service rejects times more than 5 min after its clock."""
    body = json.dumps({"samples": [{"time": 2_500_000_000, "channel": "USLAB000058", "value": 755},
                                   {"time": 1_535_580_000, "channel": "USLAB000058", "value": 755}]}).encode()
    p = parse_body(body, "application/json", KNOWN, max_ns=1_800_000_000 * 10**9)
    assert p.n == 1 and "future" in p.rejected[0]["reason"]


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(
    st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**13, 10**13)),
    st.sampled_from(["USLAB000058", "node1.pressure", "NOPE", ""]),
    st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6))), max_size=40),
    max_ns=st.one_of(st.none(), st.integers(0, 4 * 10**18)))
def test_the_array_fast_path_equals_the_per_sample_parser(rows, max_ns):
    """The usual JSON batch (numeric time and value, string channel) goes through array code; it must give
    exactly what the per-sample parser gives (accepted samples, rejected rows and reasons)."""
    from hullbreach.ops.ingest import _parse_plain, parse_rows

    fast = _parse_plain([{"time": t, "channel": c, "value": v} for t, c, v in rows], KNOWN, max_ns)
    slow = parse_rows(rows, KNOWN, max_ns=max_ns)
    assert fast is not None
    assert fast.t_ns.tolist() == slow.t_ns.tolist() and fast.channel.tolist() == slow.channel.tolist()
    assert fast.value.tolist() == slow.value.tolist()
    assert fast.rejected == slow.rejected and fast.n_rejected == slow.n_rejected
