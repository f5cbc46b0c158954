"""Frozen suites: the manifest's checksums recomputed, and a suite never changes its content."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from schedgym.core.errors import UnknownNameError
from schedgym.leaderboard import suites as suites_module
from schedgym.leaderboard.suites import (
    FrozenSuiteError,
    check,
    freeze,
    frozen_suite,
    manifest_path,
    read_manifest,
    verify,
)
from schedgym.problems import get_problem


def test_every_frozen_jobshop_suite_matches_its_checksums() -> None:
    jobshop = get_problem("jobshop")
    suites = read_manifest(jobshop)
    assert {"demo", "ta", "dmu", "ta-15x15", "ta-100x20", "dmu-50x20"} <= set(suites)
    assert len(suites["ta"].instances) == 80 and len(suites["dmu"].instances) == 80
    assert suites["demo"].names == ["ft06", "la01", "la02", "la03", "la04", "la05", "ta01", "ta02"]
    for suite in suites.values():
        assert verify(jobshop, suite) == [], suite.name


def test_size_groups_partition_their_family() -> None:
    suites = read_manifest(get_problem("jobshop"))
    for family in ("ta", "dmu"):
        groups = [s for name, s in suites.items() if name.startswith(f"{family}-")]
        members = sorted(n for s in groups for n in s.names)
        assert members == sorted(suites[family].names)
        for s in groups:
            assert {e.size_group for e in s.instances} == {s.name.split("-", 1)[1]}


def test_references_are_the_best_known_bounds() -> None:
    ta01 = frozen_suite(get_problem("jobshop"), "demo").instances[6]
    assert (ta01.name, ta01.reference, ta01.size_group) == ("ta01", 1231, "15x15")


def test_changed_content_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jobshop = get_problem("jobshop")
    manifest = tmp_path / "jobshop.json"
    shutil.copy(manifest_path(jobshop), manifest)
    data = json.loads(manifest.read_text())
    data["instances"]["la03"]["reference"] = 596  # a "moved" best-known bound
    manifest.write_text(json.dumps(data))
    monkeypatch.setattr(suites_module, "MANIFEST_DIR", tmp_path)
    assert manifest_path(jobshop) == manifest
    with pytest.raises(FrozenSuiteError, match="la03: reference is 597, frozen as 596"):
        check(jobshop, "demo")
    assert check(jobshop, "ft").name == "ft"  # other suites are unaffected


def test_freeze_adds_new_suites_and_never_changes_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(suites_module, "MANIFEST_DIR", tmp_path / "manifests")
    jobshop = get_problem("jobshop")
    assert freeze(jobshop, ["ft", "la-10x5"]) == ["ft", "la-10x5"]
    assert manifest_path(jobshop).is_file()
    assert freeze(jobshop, ["ft"]) == []
    changed = dataclasses.replace(jobshop, fingerprint=lambda inst: b"other " + inst.name.encode())
    with pytest.raises(FrozenSuiteError):
        freeze(changed, ["ft"])
    with pytest.raises(FrozenSuiteError):  # a new suite whose instance differs from its entry
        freeze(changed, ["ft-6x6"])
    assert list(read_manifest(jobshop)) == ["ft", "la-10x5"]


def test_unknown_suite_names_the_frozen_ones() -> None:
    with pytest.raises(UnknownNameError, match="frozen: demo, ft"):
        frozen_suite(get_problem("jobshop"), "ta-99x99")


def test_unknown_problem() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown problem 'nope' \(known: jobshop"):
        get_problem("nope")
