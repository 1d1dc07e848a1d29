"""reluapprox: constructive ReLU network theory with exact and certified checks.

The public API, in one flat namespace:

- :class:`ReluNetwork` (general depth, exact or float64) and :class:`ShallowNetwork`
  (``b + sum_k w_k relu(x - t_k)``);
- :func:`interpolate` (exact interpolation, course Ex 2a/2b);
- the exception hierarchy rooted in :class:`ReluApproxError`.
"""

from reluapprox.errors import InvalidArgument, ReluApproxError
from reluapprox.interpolation import interpolate
from reluapprox.network import ReluNetwork
from reluapprox.shallow import ShallowNetwork

__version__ = "0.1.0"

__all__ = [
    "InvalidArgument",
    "ReluApproxError",
    "ReluNetwork",
    "ShallowNetwork",
    "__version__",
    "interpolate",
]
