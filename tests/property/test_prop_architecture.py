"""Property tests of parameter counts, widening and deepening."""

from reluapprox.verify import hypothesis_test

test_widen_same_function = hypothesis_test("architecture.widen_same_function")
test_deepen_same_function = hypothesis_test("architecture.deepen_same_function")
test_parameter_count_formula = hypothesis_test("architecture.parameter_count_formula")
