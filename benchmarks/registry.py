"""The benchmarks by name, in the order ``python -m benchmarks`` runs them."""

from benchmarks.reproduce import bench_reproduce

BENCHMARKS = {
    "reproduce": bench_reproduce,
}
