"""reluapprox: constructive ReLU network theory with exact and certified checks.

The public API, in one flat namespace:

- :class:`ReluNetwork` (general depth, exact or float64) and :class:`ShallowNetwork`
  (``b + sum_k w_k relu(x - t_k)``);
- :func:`interpolate` (exact interpolation, course Ex 2a/2b) and :func:`approximate`
  (universal approximation with a certified bound, course Ex 2 "Extra");
- the problem sheet: :func:`perceptron`, :func:`linear_separator` (exact LP, Farkas
  certificates), :func:`count_threshold_functions`, :func:`parameter_count`,
  :func:`widen`, :func:`deepen`, :func:`softmax`, :func:`conv_matrix`;
- Homework 2, Ex 1: :func:`ex1a_network`, :func:`train_two_layer`,
  :func:`search_max_accuracy`, :func:`convex_region_bound` (2-2-2 classifiers);
- the exception hierarchy rooted in :class:`ReluApproxError`.
"""

from reluapprox.approximation import Approximation, approximate
from reluapprox.architecture import deepen, parameter_count, widen
from reluapprox.argmax import softmax
from reluapprox.convolution import conv_matrix
from reluapprox.errors import InvalidArgument, ReluApproxError
from reluapprox.interpolation import interpolate
from reluapprox.network import ReluNetwork
from reluapprox.separability import (
    LOGIC_GATES,
    count_threshold_functions,
    linear_separator,
    perceptron,
    threshold_functions,
)
from reluapprox.shallow import ShallowNetwork
from reluapprox.twolayer import (
    convex_region_bound,
    ex1a_network,
    load_classification_csv,
    search_max_accuracy,
    train_two_layer,
)

__version__ = "0.1.0"

__all__ = [
    "LOGIC_GATES",
    "Approximation",
    "InvalidArgument",
    "ReluApproxError",
    "ReluNetwork",
    "ShallowNetwork",
    "__version__",
    "approximate",
    "conv_matrix",
    "convex_region_bound",
    "count_threshold_functions",
    "deepen",
    "ex1a_network",
    "interpolate",
    "linear_separator",
    "load_classification_csv",
    "parameter_count",
    "perceptron",
    "search_max_accuracy",
    "softmax",
    "threshold_functions",
    "train_two_layer",
    "widen",
]
