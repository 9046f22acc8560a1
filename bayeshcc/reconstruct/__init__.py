"""Individual patient data reconstructed from published Kaplan-Meier curves (Guyot 2012)."""

from bayeshcc.reconstruct.api import Reconstruction, reconstruct_ipd, run_reconstruct, spec_for_ipd
from bayeshcc.reconstruct.digitized import read_at_risk_csv, read_curve_csv, read_events_csv
from bayeshcc.reconstruct.plot import plot_reconstruction

__all__ = [
    "Reconstruction",
    "plot_reconstruction",
    "read_at_risk_csv",
    "read_curve_csv",
    "read_events_csv",
    "reconstruct_ipd",
    "run_reconstruct",
    "spec_for_ipd",
]
