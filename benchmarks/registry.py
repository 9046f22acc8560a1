"""The benchmarks by name, in the order ``python -m benchmarks`` runs them."""

from benchmarks.fits import bench_fits, bench_gradient_floor, bench_scaling
from benchmarks.reproduce import bench_reproduce

BENCHMARKS = {
    "reproduce": bench_reproduce,
    "fits": bench_fits,
    "scaling": bench_scaling,
    "gradient_floor": bench_gradient_floor,
}
