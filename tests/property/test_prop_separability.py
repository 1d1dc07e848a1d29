"""Property tests of perceptrons and separability (registered in reluapprox.properties)."""

from reluapprox.verify import hypothesis_test

test_separator_or_certificate = hypothesis_test("separability.separator_or_certificate")
test_planted_separator = hypothesis_test("separability.planted_separator")
test_enumeration_matches_lp = hypothesis_test("separability.enumeration_matches_lp")
