"""Property tests of softmax and its argmax limit."""

from reluapprox.verify import hypothesis_test

test_rate_bound = hypothesis_test("argmax.rate_bound")
test_float_softmax_stable = hypothesis_test("argmax.float_softmax_stable")
