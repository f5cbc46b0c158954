"""The ``schedgym llm`` commands (a typer sub-app, :data:`llm_app`).

``calibrate --gpu G --profile FILE [--json]`` prints the cost model's error against a measured
kernel-time profile (a path, or the name of a shipped profile such as
``a100_Llama-2-7b-hf_mlp``): per op and per layer, the median and 90th-percentile absolute
percentage error. Heavy modules are imported inside the commands so that ``schedgym --help``
stays fast. Bad input (unknown GPU, missing or malformed file) prints one ``error: ...`` line on
stderr and exits with code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from schedgym.core.errors import SchedGymError

llm_app = typer.Typer(
    help="LLM-inference serving: cost-model calibration and trace tools.",
    no_args_is_help=True,
)


@llm_app.callback()
def llm_group() -> None:
    """LLM-inference serving on heterogeneous GPU pools."""


def _profile_file(profile: str) -> Path:
    from schedgym.datasets import llm as shipped

    path = Path(profile)
    if path.exists() or path.suffix or "/" in profile:
        return path
    return shipped.profile_path(profile)


@llm_app.command()
def calibrate(
    gpu: Annotated[str, typer.Option("--gpu", help="GPU type the profile was measured on.")],
    profile: Annotated[
        str, typer.Option("--profile", help="Profile CSV path or shipped profile name.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Error of the cost model against a profile's measured median kernel times."""
    from schedgym.llm.calibration import calibrate as run_calibration
    from schedgym.llm.calibration import read_profile
    from schedgym.llm.hardware import gpu_type

    try:
        report = run_calibration(read_profile(_profile_file(profile)), gpu_type(gpu))
    except SchedGymError as exc:
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report))
        return
    typer.echo(f"{'op':<26} {'median %':>9} {'p90 %':>9}")
    for op, err in report["ops"].items():
        typer.echo(f"{op:<26} {err['median_pct']:>9.1f} {err['p90_pct']:>9.1f}")
    layer = report["layer"]
    typer.echo(f"{'layer (sum of ops)':<26} {layer['median_pct']:>9.1f} {layer['p90_pct']:>9.1f}")
