"""Fleet scenarios: JSON round trip, shipped names, errors naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schedgym.core.errors import InstanceFormatError, UnknownNameError
from schedgym.datasets import fleet as shipped
from schedgym.fleet.formats import read_scenario, write_scenario
from schedgym.fleet.generator import default_scenario
from schedgym.fleet.problem import load_instance
from schedgym.hardware.aircraft import AircraftType, read_aircraft_types


def test_default_is_the_paper_scale_network() -> None:
    scenario = default_scenario()
    assert (scenario.num_vertiports, scenario.num_aircraft, scenario.num_epochs) == (8, 40, 96)
    assert scenario.max_wait_epochs == 3 and scenario.day_seed is None
    assert sum(v.parking for v in scenario.vertiports) >= scenario.num_aircraft


def test_json_round_trip(tmp_path: Path) -> None:
    scenario = default_scenario().with_day(4)
    path = tmp_path / "s.json"
    write_scenario(scenario, path)
    again = read_scenario(path)
    assert again.to_json() == scenario.to_json()
    assert again.name == "dfw-8v40a-d4" and again.day_seed == 4


def test_shipped_names_days_and_suites() -> None:
    assert load_instance("default").name == "dfw-8v40a"
    day = load_instance("default-d7")
    assert day.day_seed == 7 and day.name == "dfw-8v40a-d7"
    assert day.with_day(None).name == "dfw-8v40a" and day.with_day(2).name == "dfw-8v40a-d2"
    assert len(shipped.suite("default20")) == 20 and shipped.suite("dfw-8v40a-d3") == [
        "dfw-8v40a-d3"
    ]
    with pytest.raises(UnknownNameError):
        load_instance("no-such-scenario")
    with pytest.raises(UnknownNameError):
        shipped.suite("nope")


def _broken(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    data = default_scenario().to_json()
    edit(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d["vertiports"][2].update(parking=-1), "field vertiports[2].parking"),
        (lambda d: d["vertiports"][0].pop("x_km"), "field vertiports[0].x_km: missing"),
        (lambda d: d["fleet"][1].update(type="jet"), "field fleet[1].type"),
        (lambda d: d["fleet"][0].update(base="MOON"), "field fleet[0].base"),
        (lambda d: d["aircraft_types"][0].update(seats=2.5), "field aircraft_types[0].seats"),
        (lambda d: d["economics"].update(bogus=1), "field economics.bogus: unknown field"),
        (lambda d: d["day"].update(start="25:00"), "field day.start"),
        (lambda d: d.update(format="other/9"), "field format"),
        (lambda d: d["fleet"][0].update(count=50), "exceed parking"),
    ],
)
def test_errors_name_the_file_and_field(tmp_path: Path, edit, field: str) -> None:  # type: ignore[no-untyped-def]
    path = _broken(tmp_path, edit)
    with pytest.raises(InstanceFormatError) as err:
        read_scenario(path)
    assert str(path) in str(err.value) and field in str(err.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InstanceFormatError, match="no such file"):
        read_scenario(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InstanceFormatError, match="cannot read JSON"):
        read_scenario(bad)


def test_aircraft_type_rounding_is_exact_and_conservative(tmp_path: Path) -> None:
    kind = AircraftType("t", cruise_kmh=240.0, vtol_time_min=5.0, battery_kwh=160.0)
    assert kind.flight_minutes(20.0) == 10  # 5 min cruise + 5 min take-off and landing
    assert kind.flight_units(20.0) == 125  # (0.8 * 20 + 4) kWh of 160 kWh, in 0.1 %
    assert kind.charge_units(10) == 208  # 200 kW for 10 min = 33.3 kWh, rounded down
    assert kind.reserve_units == 200
    path = tmp_path / "types.json"
    path.write_text(json.dumps({"aircraft_types": [kind.to_json()]}))
    assert read_aircraft_types(path) == (kind,)
    path.write_text(json.dumps([{"name": "x", "charge_kw": -5}]))
    with pytest.raises(InstanceFormatError, match=r"aircraft_types\[0\]"):
        read_aircraft_types(path)
