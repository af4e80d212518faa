"""Questions answered by many sizings: the inverse questions (fit.py); later sweeps and comparisons."""
