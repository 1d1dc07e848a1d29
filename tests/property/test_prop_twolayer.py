"""Property tests of two-layer classifiers (registered in reluapprox.properties.twolayer)."""

from reluapprox.verify import hypothesis_test

test_ex1a_margin = hypothesis_test("twolayer.ex1a_margin")
test_permute_hidden_units = hypothesis_test("twolayer.permute_hidden_units")
test_rescale_hidden_unit = hypothesis_test("twolayer.rescale_hidden_unit")
test_negative_rescale_changes_unit = hypothesis_test("twolayer.negative_rescale_changes_unit")
test_output_fit_optimal = hypothesis_test("twolayer.output_fit_optimal")
test_convex_bound_brute_force = hypothesis_test("twolayer.convex_bound_brute_force")
test_convex_bound_dominates_networks = hypothesis_test("twolayer.convex_bound_dominates_networks")
test_output_fit_every_cell = hypothesis_test("twolayer.output_fit_every_cell")
test_convex_region_half_planes = hypothesis_test("twolayer.convex_region_half_planes")
