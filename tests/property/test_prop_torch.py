"""Property: conversion to torch.nn.Sequential and back is exact in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reluapprox import ReluNetwork
from reluapprox.strategies import relu_networks

torch = pytest.importorskip("torch")

#: Relative tolerance between torch's and numpy's float64 matrix products (they may
#: sum in different orders); parameters themselves must round-trip bit for bit.
MATMUL_RTOL = 1e-12


@given(relu_networks(exact=False, max_depth=4), st.integers(min_value=0, max_value=2**32 - 1))
def test_torch_round_trip_is_exact(net: ReluNetwork, seed: int) -> None:
    module = net.to_torch()
    assert ReluNetwork.from_torch(module) == net
    x = np.random.default_rng(seed).uniform(-3, 3, size=(8, net.input_dim))
    with torch.no_grad():
        out = module(torch.from_numpy(x)).numpy()
    assert np.allclose(out, net(x), rtol=MATMUL_RTOL, atol=MATMUL_RTOL * 100)


@given(relu_networks(exact=True, max_depth=3))
def test_exact_network_to_torch_keeps_the_function(net: ReluNetwork) -> None:
    module = net.to_torch()
    back = ReluNetwork.from_torch(module)
    assert back == net.to_float()
