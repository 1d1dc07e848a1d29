"""Tests of reluapprox.floaterror and reluapprox.nodal: the proved float error bounds
hold on dense samples, the nodal form is the same exact function and well conditioned."""

from __future__ import annotations

import io
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reluapprox import ReluNetwork, approximate, interpolate
from reluapprox.errors import BudgetExceeded, CertificationError, InvalidArgument
from reluapprox.floaterror import (
    FLOAT32,
    FLOAT64,
    float_error_bound,
    float_format,
    nodal_float_error,
    shallow_float_error,
    shallow_float_errors,
)
from reluapprox.nodal import nodal_network, nodal_parameters
from reluapprox.shallow import ShallowNetwork
from reluapprox.strategies import interpolation_data, relu_networks

torch = pytest.importorskip("torch")

TORCH = {"float64": torch.float64, "float32": torch.float32}


def sample_points(
    knots: list[float], a: float, b: float, seed: int, dtype: str, count: int = 400
) -> np.ndarray:
    """Random points of [a, b], the knots and their float neighbours, in ``dtype``."""
    rng = np.random.default_rng(seed)
    around = np.array([k for k in knots if a <= k <= b], dtype=np.float64)
    pts = np.concatenate(
        [
            rng.uniform(a, b, size=count),
            around,
            np.nextafter(around, np.inf),
            np.nextafter(around, -np.inf),
            [a, b],
        ]
    )
    if dtype == "float32":
        pts = pts.astype(np.float32).astype(np.float64)
    return np.unique(pts[(pts >= a) & (pts <= b)])


def worst_deviation(net: ShallowNetwork, points: np.ndarray, values: np.ndarray) -> Fraction:
    assert np.all(np.isfinite(values))
    return max(
        abs(Fraction(v) - net.exact(p))
        for p, v in zip(points.tolist(), values.tolist(), strict=True)
    )


def run_torch(module: torch.nn.Module, points: np.ndarray, dtype: str) -> np.ndarray:
    with torch.no_grad():
        x = torch.tensor(points, dtype=TORCH[dtype]).reshape(-1, 1)
        return np.asarray(module(x).to(torch.float64).numpy().ravel())


def check_shallow(net: ShallowNetwork, a: float, b: float, seed: int) -> None:
    knots = [float(t) for t in net.knots]
    points = sample_points(knots, a, b, seed, "float64")
    bound = shallow_float_error(net, (a, b))
    if math.isfinite(bound):
        assert worst_deviation(net, points, net(points)) <= Fraction(bound)
    for dtype in ("float64", "float32"):
        pts = sample_points(knots, a, b, seed, dtype)
        for form in ("nodal", "sum"):
            if form == "nodal":
                proved = nodal_float_error(net, (a, b), dtype)
            else:
                proved = float_error_bound(net.to_network(), (a, b), dtype)
            if math.isfinite(proved):
                module = net.to_torch(dtype=TORCH[dtype], form=form)
                found = worst_deviation(net, pts, run_torch(module, pts, dtype))
                assert found <= Fraction(proved), (form, dtype, float(found), proved)


# ------------------------------------------------------------------ the nodal form
def test_nodal_network_is_the_same_function_at_knots_and_between() -> None:
    net = ShallowNetwork(
        knots=[Fraction(-1, 3), 0, Fraction(2, 7), 1], weights=[3, Fraction(-9, 2), 5, -1], bias=2
    )
    exact = nodal_network(net)
    points = [*net.knots, Fraction(-5), Fraction(-1, 2), Fraction(1, 10), Fraction(3, 5), 7]
    for q in points:
        assert exact.exact([q]) == (net.exact(q),)


def test_nodal_network_with_one_neuron() -> None:
    net = ShallowNetwork(knots=[Fraction(1, 2)], weights=[-3], bias=Fraction(5, 4))
    exact = nodal_network(net)
    for q in (Fraction(-2), Fraction(1, 2), Fraction(3)):
        assert exact.exact([q]) == (net.exact(q),)
    out = run_torch(net.to_torch(), np.array([-2.0, 0.5, 3.0]), "float64")
    assert out.tolist() == [1.25, 1.25, -6.25]


def test_nodal_module_pickles_through_the_module_attribute() -> None:

    module = interpolate([0, 0.5, 1], [1, 3, 2]).to_torch()
    buffer = io.BytesIO()
    torch.save(module, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    x = torch.tensor([[0.25], [0.75]], dtype=torch.float64)
    assert type(loaded).__qualname__ == "NodalModule"
    assert loaded(x).ravel().tolist() == [2.0, 2.5]


def test_nodal_network_refuses_large_dense_matrices() -> None:
    net = interpolate(list(range(40)), [k % 3 for k in range(40)])
    with pytest.raises(BudgetExceeded, match="max_neurons=10"):
        nodal_network(net, max_neurons=10)


def test_nodal_parameters_use_the_rounded_knots_and_their_widths() -> None:
    net = ShallowNetwork(knots=[0, Fraction(1, 3), 1], weights=[1, 1, 1])
    params = nodal_parameters(net)
    assert not params.knots_exact
    assert params.knots.tolist() == [0.0, 1 / 3, 1.0]
    assert params.inv_widths.tolist() == [1 / (1 / 3), 1 / (1 - 1 / 3)]
    single = nodal_parameters(net, "float32")
    third = float(np.float32(1 / 3))
    assert single.knots.tolist() == [0.0, third, 1.0]
    assert single.inv_widths.tolist() == [1 / third, 1 / (1 - third)]
    coincide = nodal_parameters(ShallowNetwork(knots=[1, 1 + 2**-40], weights=[1, 1]), "float32")
    assert coincide.inv_widths.tolist() == [float(np.finfo(np.float32).max)]
    assert math.isinf(nodal_float_error(ShallowNetwork([1, 1 + 2**-40], [1, 1]), (0, 2), "float32"))


def test_sum_form_is_the_old_sequential() -> None:
    net = interpolate([0, 1, 2], [0, 2, 1])
    module = net.to_torch(form="sum")
    assert isinstance(module, torch.nn.Sequential)
    assert ReluNetwork.from_torch(module) == net.to_network().to_float()
    with pytest.raises(InvalidArgument, match="form='tree'"):
        net.to_torch(form="tree")


# ------------------------------------------------------- bounds hold on samples
@given(
    interpolation_data(min_size=2, max_size=15, kind="mixed", min_value=-100, max_value=100),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_shallow_bounds_hold_on_random_interpolants(
    data: tuple[list[Fraction], list[Fraction]], seed: int
) -> None:
    xs, ys = data
    net = interpolate(xs, ys)
    a, b = float(xs[0]), float(xs[-1])
    if a == b:  # two nodes closer than a float64 ulp apart
        return
    check_shallow(net, a, b, seed)


def test_bounds_hold_on_a_graded_mesh_with_rational_knots() -> None:
    xs = [Fraction(0)] + [Fraction(1, 3**k) for k in range(12, -1, -1)] + [Fraction(5, 3)]
    ys = [Fraction((-1) ** k * (k + 1), 7) for k in range(len(xs))]
    net = interpolate(xs, ys)
    check_shallow(net, 0.0, 5 / 3, seed=1)
    assert math.isinf(shallow_float_error(net, (0, 5 / 3)))  # knots are not floats
    assert nodal_float_error(net, (0, 5 / 3), "float64") < 1e-12


@given(
    relu_networks(max_depth=4, max_width=4, exact=True) | relu_networks(max_depth=3, exact=False),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_layerwise_bound_holds_for_random_networks(net: ReluNetwork, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-3, 1, size=net.input_dim)
    hi = lo + rng.uniform(0, 3, size=net.input_dim)
    domain = np.stack([lo, hi], axis=1)
    for dtype in ("float64", "float32"):
        bound = Fraction(float_error_bound(net, domain, dtype))
        points = rng.uniform(lo, hi, size=(60, net.input_dim))
        points = np.concatenate([points, lo[None, :], hi[None, :]])
        if dtype == "float32":
            points = points.astype(np.float32).astype(np.float64)
            points = points[np.all((points >= lo) & (points <= hi), axis=1)]
        with torch.no_grad():
            out = net.to_torch(dtype=TORCH[dtype])(torch.tensor(points, dtype=TORCH[dtype]))
        outputs = [out.to(torch.float64).numpy()]
        if dtype == "float64":
            outputs.append(net(points))
        for values in outputs:
            for p, v in zip(points.tolist(), values.tolist(), strict=True):
                exact = net.exact([Fraction(c) for c in p])
                worst = max(abs(Fraction(vi) - e) for vi, e in zip(v, exact, strict=True))
                assert worst <= bound, (dtype, float(worst), float(bound))


def test_layerwise_bound_sees_dead_neurons() -> None:
    net = ReluNetwork([[[1], [1]], [[1, 10**6]]], [[0, -5], [0]])  # neuron 2 dead on [0, 1]
    alive = ReluNetwork([[[1], [1]], [[1, 10**6]]], [[0, 0], [0]])
    assert float_error_bound(net, (0, 1)) < float_error_bound(alive, (0, 1)) / 1e5


def test_layerwise_bound_is_infinite_beyond_the_range() -> None:
    net = ReluNetwork([[[Fraction(10**39)]]], [[0]])
    assert float_error_bound(net, (0, 1), "float64") < math.inf
    assert float_error_bound(net, (0, 1), "float32") == math.inf


# --------------------------------------------------------- conditioning in N
def noisy(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xs = np.sort(rng.uniform(0.0, 1.0, size=n + 1))
    return xs, np.sin(8 * xs) + 0.1 * rng.standard_normal(xs.size)


def test_nodal_bound_does_not_grow_with_the_neurons() -> None:
    bounds = {}
    sums = {}
    for n in (100, 3000):
        xs = np.linspace(0.0, 1.0, n + 1)
        net = interpolate(xs, np.sin(8 * xs) + 0.1 * np.cos(997 * xs))
        bounds[n] = nodal_float_error(net, (0, 1))
        sums[n] = float_error_bound(net.to_network(), (0, 1))
    assert bounds[3000] < 1.5 * bounds[100] < 1e-13
    assert sums[3000] > 100 * sums[100]  # the sum form's bound grows like N^2 here


def test_noisy_interpolant_of_100001_points_exports_within_1e12() -> None:
    xs, ys = noisy(100_000)
    net = interpolate(xs, ys)
    scale = float(np.abs(ys).max())
    domain = (float(xs[0]), float(xs[-1]))
    proved = nodal_float_error(net, domain)
    assert proved < 1e-12 * scale
    points = np.random.default_rng(1).uniform(*domain, size=200)
    found = worst_deviation(net, points, run_torch(net.to_torch(), points, "float64"))
    assert found <= Fraction(proved)
    assert shallow_float_error(net, domain) < 1e-14 * scale


# ------------------------------------------------------- approximation results
def test_approximation_reports_float_errors() -> None:
    res = approximate("sin(2*pi*x)", 1e-3)
    assert 0 < res.float_error < 1e-14
    assert set(res.torch_float_error) == {"float64", "float32"}
    assert res.torch_float_error["float64"] < 1e-13 < res.torch_float_error["float32"]
    assert res.bound < res.total_bound <= res.bound + 2 * res.float_error
    data = json.loads(json.dumps(res.to_dict()))
    assert data["float_error"] == res.float_error
    assert data["torch_float_error"] == res.torch_float_error
    assert "float_error=" in repr(res)
    errors = shallow_float_errors(res.network, res.domain)
    assert errors["call"] == res.float_error


def test_float32_export_that_cannot_meet_eps_is_refused() -> None:
    res = approximate("exp(3*x)", 1e-6)
    assert res.bound + res.torch_float_error["float32"] >= res.eps
    with pytest.raises(CertificationError, match="cannot meet eps=1e-06"):
        res.to_torch(dtype=torch.float32)
    module = res.to_torch(dtype=torch.float32, allow_inexact=True)
    grid = np.linspace(0, 1, 101).astype(np.float32).astype(np.float64)
    found = worst_deviation(res.network, grid, run_torch(module, grid, "float32"))
    assert found <= Fraction(res.torch_float_error["float32"])
    assert res.bound + res.torch_float_error["float64"] < res.eps
    exported = res.to_torch()
    found = worst_deviation(res.network, grid, run_torch(exported, grid, "float64"))
    assert found <= Fraction(res.torch_float_error["float64"])


def test_float32_export_that_meets_eps_is_given() -> None:
    res = approximate("x**2", 0.2)
    assert res.bound + res.torch_float_error["float32"] < res.eps
    module = res.to_torch(dtype=torch.float32)
    assert module.knots.dtype == torch.float32
    with pytest.raises(CertificationError, match="form='sum'"):
        approximate("exp(3*x)", 1e-6).to_torch(dtype=torch.float32, form="sum")


def test_float_format_and_domain_validation() -> None:
    assert float_format("float64") is FLOAT64
    assert float_format(np.float32) is FLOAT32
    assert float_format(torch.float64) is FLOAT64
    with pytest.raises(InvalidArgument, match=r"dtype=torch\.float16"):
        float_format(torch.float16)
    net = interpolate([0, 1], [0, 1])
    with pytest.raises(InvalidArgument, match="domain="):
        shallow_float_error(net, (1, 0))
    with pytest.raises(InvalidArgument, match="domain="):
        float_error_bound(net.to_network(), [(0, 1), (0, 1)])


def test_benchmark_script_runs_small(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests._benchmarks import BENCHMARKS, load_benchmark

    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the script imports _common from there
    out = tmp_path / "table.md"
    argv = ["--neurons", "40", "--points", "30", "--targets", "x**2@1e-2", "--write", str(out)]
    assert load_benchmark("bench_float_export").main(argv) == 0
    table = out.read_text()
    assert "| 40 | float64 | nodal (default) |" in table
    assert "| `x**2` | 0.01 |" in table
    assert "Every deviation is within its proved bound." in capsys.readouterr().out
