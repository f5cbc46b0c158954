"""Leaderboard submissions (one folder per entry) and the README-table generator."""
