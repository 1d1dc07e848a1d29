"""Property tests of the independent checker (registered in reluapprox.properties.check)."""

from reluapprox.verify import hypothesis_test

test_network_sup_norm = hypothesis_test("check.network_sup_norm")
test_farkas_agrees = hypothesis_test("check.farkas_agrees")
