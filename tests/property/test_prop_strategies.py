"""Property tests of the public strategies (registered in reluapprox.properties.strategies)."""

from reluapprox.verify import hypothesis_test

test_modulus_is_valid = hypothesis_test("strategies.modulus_is_valid")
test_forms_agree = hypothesis_test("strategies.forms_agree")
test_interpolation_data_contract = hypothesis_test("strategies.interpolation_data_contract")
test_relu_networks_contract = hypothesis_test("strategies.relu_networks_contract")
