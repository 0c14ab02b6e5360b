import os
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.sim.test_mass_conservation import scenarios, test_mass_conserved_in_every_scenario as _t

N = int(os.environ.get("HB_N", "600"))

@settings(max_examples=N, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sc=scenarios(), seed=st.integers(0, 2**31 - 1))
def test_wide(three_station, sc, seed):
    _t.hypothesis.inner_test(three_station, sc, seed)
