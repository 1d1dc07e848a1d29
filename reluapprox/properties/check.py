"""Properties of the independent checker (:mod:`reluapprox.check`) on random claims."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from reluapprox.certificate import farkas_certificate, network_certificate
from reluapprox.check import check_certificate
from reluapprox.network import ReluNetwork
from reluapprox.properties.separability import Data, _labelled_points
from reluapprox.separability import FarkasCertificate, linear_separator
from reluapprox.strategies import relu_networks
from reluapprox.verify import register

#: The domain [-A, A] and the number of sample intervals of the network property.
HALF_WIDTH = 4
SAMPLES = 256
TIE = Fraction(1, 2**30)


def _lipschitz(net: ReluNetwork) -> Fraction:
    """A Lipschitz constant of a 1-D network: the product of the max-row-sum norms."""
    constant = Fraction(1)
    for w in net.weights:
        constant *= max(sum(abs(Fraction(v)) for v in row) for row in w.tolist())
    return constant


@register(
    "check.network_sup_norm",
    "for a random deep 1-D network f and g = 0, the checker accepts a claimed bound "
    "above max |f| (sampled maximum plus Lipschitz slack, plus 2^-30) and rejects one below a "
    "sampled value of |f|",
    lambda: relu_networks(input_dim=1, output_dim=1, max_depth=4, exact=True),
)
def network_sup_norm(net: ReluNetwork) -> None:
    step = Fraction(2 * HALF_WIDTH, SAMPLES)
    sampled = max(abs(net.exact([-HALF_WIDTH + k * step])[0]) for k in range(SAMPLES + 1))
    # 2^-30 above the exact bound: an exact tie with a non-dyadic number (|f| = 1/3
    # everywhere) cannot be decided by ball arithmetic, see docs/check.md
    above = (sampled + _lipschitz(net) * step / 2) * (1 + TIE) + TIE
    domain = (-HALF_WIDTH, HALF_WIDTH)
    doc = network_certificate(net, "0", domain=domain, eps=above + 1, bound=above)
    result = check_certificate(doc)
    assert result.valid, result.reason
    if sampled > 0:
        below = sampled * Fraction(1023, 1024)
        doc = network_certificate(net, "0", domain=domain, eps=above + 1, bound=below)
        assert not check_certificate(doc).valid


@st.composite
def _farkas_mutants(draw: st.DrawFn) -> tuple[Data, list[Fraction]]:
    points, labels = draw(_labelled_points())
    result = linear_separator(points, labels)
    multipliers = [Fraction(1)] * len(points)
    if result.certificate is not None:
        multipliers = list(result.certificate.multipliers)
    k = draw(st.integers(0, len(points) - 1))
    multipliers[k] += draw(st.sampled_from([Fraction(0), Fraction(1, 7), Fraction(-1, 2)]))
    return (points, labels), multipliers


@register(
    "check.farkas_agrees",
    "the checker accepts Farkas multipliers (found or perturbed) exactly when "
    "FarkasCertificate.verify() does",
    _farkas_mutants,
)
def farkas_agrees(data: tuple[Data, list[Fraction]]) -> None:
    (points, labels), multipliers = data
    certificate = FarkasCertificate(
        tuple(tuple(p) for p in points), tuple(labels), tuple(multipliers)
    )
    assert check_certificate(farkas_certificate(certificate)).valid == certificate.verify()
