"""Simulated recruitment histories from the real repertories (issue 5): writes files the loaders read."""
