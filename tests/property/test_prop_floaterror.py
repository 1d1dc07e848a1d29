"""Property tests of the float error bounds (registered in reluapprox.properties.floaterror)."""

from reluapprox.verify import hypothesis_test

test_shallow_call_within_bound = hypothesis_test("floaterror.shallow_call_within_bound")
test_network_call_within_bound = hypothesis_test("floaterror.network_call_within_bound")
test_nodal_is_exact = hypothesis_test("floaterror.nodal_is_exact")
