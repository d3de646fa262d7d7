"""Studies over many runs: batches, calibration, optimisation, the lever ladder, analytical checks."""
