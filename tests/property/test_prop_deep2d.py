"""Property test of the deep 2-D polynomial networks (reluapprox.properties.approximation2d)."""

from reluapprox.verify import hypothesis_test

test_deep_polynomial_bound_holds = hypothesis_test("approximation2d.deep_polynomial_bound_holds")
