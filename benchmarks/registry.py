"""The benchmarks by name, in the order ``python -m benchmarks`` runs them."""

from benchmarks.analysis_vs_brms import bench_analysis_vs_brms
from benchmarks.calibration_derivatives import bench_calibration_derivatives
from benchmarks.compile_cache import bench_compile_cache
from benchmarks.fastmath import bench_fastmath
from benchmarks.fits import bench_fits, bench_gradient_floor, bench_scaling
from benchmarks.grid import bench_grid
from benchmarks.piecewise_variants import bench_piecewise_variants
from benchmarks.large_cohort import bench_large_cohort
from benchmarks.reproduce import bench_reproduce
from benchmarks.sensitivity_draws import bench_sensitivity_draws
from benchmarks.stan import bench_stan
from benchmarks.warmup import bench_warmup

BENCHMARKS = {
    "reproduce": bench_reproduce,
    "fits": bench_fits,
    "piecewise_variants": bench_piecewise_variants,
    "grid": bench_grid,
    "scaling": bench_scaling,
    "gradient_floor": bench_gradient_floor,
    "stan": bench_stan,
    "compile_cache": bench_compile_cache,
    "analysis_vs_brms": bench_analysis_vs_brms,
    "sensitivity_draws": bench_sensitivity_draws,
    "large_cohort": bench_large_cohort,
    "calibration_derivatives": bench_calibration_derivatives,
    "warmup": bench_warmup,
    "fastmath": bench_fastmath,
}
