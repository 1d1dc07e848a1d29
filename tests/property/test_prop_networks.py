"""Property tests of general ReLU networks (registered in reluapprox.properties.networks)."""

from reluapprox.verify import hypothesis_test

test_float_matches_exact = hypothesis_test("networks.float_matches_exact")
test_exact_conversion = hypothesis_test("networks.exact_conversion")
