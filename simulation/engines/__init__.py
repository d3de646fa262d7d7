"""Engines that run the model: the agents engine, the Mesa model, and building an engine for a config."""
