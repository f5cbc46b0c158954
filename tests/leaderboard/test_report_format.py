"""Table cells: no negative zero, fixed decimals per score kind."""

from __future__ import annotations

from schedgym.core.problem import Score
from schedgym.leaderboard.report import fmt_score


def test_scores_never_print_negative_zero() -> None:
    gap, ratio, objective = Score("gap", "gap"), Score("r", "ratio"), Score("o", "objective")
    assert fmt_score(gap, -0.001) == "0.00"
    assert fmt_score(gap, -0.0) == "0.00"
    assert fmt_score(gap, -0.5) == "-0.50"
    assert fmt_score(ratio, -0.0001) == "0.000"
    assert fmt_score(objective, -0.0) == "0"
    assert fmt_score(objective, -1e-9) == "-1e-09"
    assert fmt_score(gap, None) == "-"
