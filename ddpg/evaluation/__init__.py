"""Evaluating a saved policy: the policy folder, episodes, preflight checks, records, videos."""
