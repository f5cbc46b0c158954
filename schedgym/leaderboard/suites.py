"""Frozen suites: versioned manifests of instance checksums, verified before every run.

A manifest (``manifests/PROBLEM.json``) records, for every instance of every frozen suite, the
sha256 of the problem's canonical instance bytes (:attr:`Problem.fingerprint`), its
reference value and its size group, and for each suite its instance list and a digest over
them. A suite's content never changes under the same name: :func:`freeze` adds new suites and
refuses to alter an existing one, and :func:`verify` recomputes the checksums (the harness runs
it before any solve, so changed instances or bounds are caught, not silently scored).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schedgym.core.errors import InstanceFormatError, SchedGymError, UnknownNameError
from schedgym.core.problem import Problem

MANIFEST_FORMAT = 1
MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"


def manifest_path(problem: Problem) -> Path:
    """The frozen-suite manifest of ``problem``: ``manifests/<name>.json`` beside this module."""
    return MANIFEST_DIR / f"{problem.name}.json"


class FrozenSuiteError(SchedGymError):
    """A frozen suite's content differs from its manifest, or a freeze would change it."""


@dataclass(frozen=True)
class InstanceEntry:
    """One instance in a manifest: content digest, reference value and size group."""

    name: str
    sha256: str
    reference: float | None
    size_group: str


@dataclass(frozen=True)
class FrozenSuite:
    """A frozen suite: its instances in order and a digest over their entries."""

    problem: str
    name: str
    instances: tuple[InstanceEntry, ...]
    sha256: str

    @property
    def names(self) -> list[str]:
        """Instance names, in order."""
        return [e.name for e in self.instances]


def _ref(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def suite_digest(entries: Sequence[InstanceEntry]) -> str:
    """sha256 over ``name sha256 reference size_group`` lines, in suite order."""
    text = "".join(f"{e.name} {e.sha256} {_ref(e.reference)} {e.size_group}\n" for e in entries)
    return hashlib.sha256(text.encode()).hexdigest()


def instance_entry(spec: Problem, name: str) -> InstanceEntry:
    """Load ``name`` and compute its manifest entry."""
    instance = spec.load(name)
    digest = hashlib.sha256(spec.fingerprint(instance)).hexdigest()
    return InstanceEntry(name, digest, spec.reference(name), spec.group_of(instance))


def read_manifest(spec: Problem) -> dict[str, FrozenSuite]:
    """Every frozen suite of ``spec``'s manifest by name (empty when there is no manifest)."""
    path = manifest_path(spec)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
        if data.get("format") != MANIFEST_FORMAT or data.get("problem") != spec.name:
            raise InstanceFormatError(path, f"expected format {MANIFEST_FORMAT} for {spec.name}")
        table = {
            name: InstanceEntry(name, e["sha256"], e["reference"], e["size_group"])
            for name, e in data["instances"].items()
        }
        return {
            name: FrozenSuite(spec.name, name, tuple(table[n] for n in s["instances"]), s["sha256"])
            for name, s in data["suites"].items()
        }
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise InstanceFormatError(path, f"malformed manifest ({exc!r})") from None


def frozen_suite(spec: Problem, name: str) -> FrozenSuite:
    """The frozen suite ``name``; raises :class:`UnknownNameError` listing the frozen suites."""
    suites = read_manifest(spec)
    if name not in suites:
        known = ", ".join(suites) or "none"
        raise UnknownNameError(
            f"{name!r} is not a frozen leaderboard suite of {spec.name} (frozen: {known})"
        )
    return suites[name]


def verify(spec: Problem, suite: FrozenSuite) -> list[str]:
    """Recompute every checksum of ``suite``; returns one message per difference (none: ok)."""
    problems = []
    for entry in suite.instances:
        now = instance_entry(spec, entry.name)
        for field in ("sha256", "reference", "size_group"):
            if getattr(now, field) != getattr(entry, field):
                problems.append(
                    f"{suite.name}/{entry.name}: {field} is {getattr(now, field)!r}, "
                    f"frozen as {getattr(entry, field)!r}"
                )
    if suite_digest(suite.instances) != suite.sha256:
        problems.append(f"{suite.name}: suite digest does not match its entries")
    return problems


def check(spec: Problem, name: str) -> FrozenSuite:
    """The frozen suite ``name`` after :func:`verify`; raises :class:`FrozenSuiteError`."""
    suite = frozen_suite(spec, name)
    problems = verify(spec, suite)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FrozenSuiteError(
            f"frozen suite {spec.name}/{name} changed: {problems[0]}{more}; "
            "a suite never changes under its name: freeze the new content under a new name"
        )
    return suite


def suite_listing(spec: Problem) -> list[tuple[str, int, str | None]]:
    """Every suite of ``spec`` as ``(name, instance count, frozen digest or None)``: the suites
    the problem lists, then frozen ones it no longer lists. ``schedgym suites`` and
    ``schedgym leaderboard suites`` both print this."""
    frozen = read_manifest(spec)
    listing = [
        (n, len(spec.suite(n)), frozen[n].sha256 if n in frozen else None)
        for n in spec.suite_names()
    ]
    listed = {n for n, _, _ in listing}
    listing += [(n, len(s.instances), s.sha256) for n, s in frozen.items() if n not in listed]
    return listing


def unfrozen_suite(spec: Problem, name: str, settings: dict[str, Any] | None = None) -> FrozenSuite:
    """Suite ``name`` of ``spec`` for ``schedgym evaluate``: the verified frozen suite when it is
    one (and no instance ``settings`` apply), else its instances fingerprinted now. Under
    settings the suite is named ``name[key=value,...]``, so its rows never mix with shipped ones.
    """
    if not settings and name in read_manifest(spec):
        return check(spec, name)
    entries = tuple(instance_entry(spec, n) for n in spec.suite(name))
    label = name
    if settings:
        label += "[" + ",".join(f"{k}={v}" for k, v in sorted(settings.items())) + "]"
    return FrozenSuite(spec.name, label, entries, suite_digest(entries))


def freeze(spec: Problem, names: Iterable[str]) -> list[str]:
    """Add suites ``names`` to the manifest (written in place); returns the names added.

    A name already frozen with the same content is left alone; with different content it raises
    :class:`FrozenSuiteError` and writes nothing.
    """
    suites = read_manifest(spec)
    known = {e.name: e for s in suites.values() for e in s.instances}
    added: list[str] = []
    for name in names:
        entries = tuple(instance_entry(spec, n) for n in spec.suite(name))
        for e in entries:
            if known.setdefault(e.name, e) != e:
                raise FrozenSuiteError(
                    f"instance {e.name} of {spec.name}/{name} differs from its frozen entry"
                )
        new = FrozenSuite(spec.name, name, entries, suite_digest(entries))
        if name in suites:
            if suites[name].sha256 != new.sha256:
                raise FrozenSuiteError(
                    f"suite {spec.name}/{name} is frozen with other content; choose a new name"
                )
            continue
        suites[name] = new
        added.append(name)
    if added:
        _write(manifest_path(spec), spec.name, suites)
    return added


def _write(path: Path, problem: str, suites: dict[str, FrozenSuite]) -> None:
    instances: dict[str, Any] = {}
    for suite in suites.values():
        for e in suite.instances:
            instances[e.name] = {
                "sha256": e.sha256,
                "reference": e.reference,
                "size_group": e.size_group,
            }
    data = {
        "format": MANIFEST_FORMAT,
        "problem": problem,
        "about": "Frozen leaderboard suites: never edit by hand; see schedgym.leaderboard.suites",
        "suites": {s.name: {"sha256": s.sha256, "instances": s.names} for s in suites.values()},
        "instances": dict(sorted(instances.items())),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)
