"""Property tests of exact interpolation (registered in reluapprox.properties.interpolation)."""

from reluapprox.verify import hypothesis_test

test_exact_at_nodes = hypothesis_test("interpolation.exact_at_nodes")
test_network_form = hypothesis_test("interpolation.network_form")
test_float_matches_exact = hypothesis_test("interpolation.float_matches_exact")
