"""Comparing runs: read them into pandas, group, score, statistics, reports and plots.

Never imports TensorFlow: a user comparing runs on a laptop does not pay its start-up.
"""
