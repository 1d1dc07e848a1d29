"""Property tests of approximate (registered in reluapprox.properties.approximation)."""

from reluapprox.verify import hypothesis_test

test_bound_holds = hypothesis_test("approximation.bound_holds")
test_exact_at_knots = hypothesis_test("approximation.exact_at_knots")
test_certified_is_honest = hypothesis_test("approximation.certified_is_honest")
test_enclosure_is_sound = hypothesis_test("approximation.enclosure_is_sound")
