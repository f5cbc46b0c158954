"""Interim leaderboard specs of problems whose own folder does not carry one yet.

The registry (:data:`schedgym.leaderboard.spec.LEADERBOARDS`) looks for a problem's spec in its
own folder first (``schedgym/PROBLEM/leaderboard.py``); these modules are the fallback, to be
moved there by the problem's owners (the frozen manifests stay valid: they depend on instance
contents only).
"""
