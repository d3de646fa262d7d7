"""Scenarios as data: the parameter schema, presets, priors and the files a scenario reads."""
