"""Property tests of the deep constructions (registered in reluapprox.properties.depth)."""

from reluapprox.verify import hypothesis_test

test_polynomial_bound_holds = hypothesis_test("depth.polynomial_bound_holds")
test_multiply_bound_holds = hypothesis_test("depth.multiply_bound_holds")
test_square_sizes = hypothesis_test("depth.square_sizes")
test_schedule_optimal = hypothesis_test("depth.schedule_optimal")
test_float64_within_bound = hypothesis_test("depth.float64_within_bound")
