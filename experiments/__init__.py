"""Experiment configs and scripts: training runs, leaderboard suites, reports."""
