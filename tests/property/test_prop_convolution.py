"""Property tests of convolution matrices."""

from reluapprox.verify import hypothesis_test

test_matrix_equals_definition = hypothesis_test("convolution.matrix_equals_definition")
test_banded_toeplitz = hypothesis_test("convolution.banded_toeplitz")
