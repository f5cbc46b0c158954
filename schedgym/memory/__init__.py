"""ML-compiler memory mapping (mallocGame): buffers placed in a small fast memory or left slow.

Modules, as in every problem folder: ``instance`` (the instance), ``formats`` (MiniMalloc CSV
and JSON files), ``problem`` (``load_instance``: a shipped name or a file), ``schedule`` (the
mapping record and its JSON file), ``render`` (time x address pictures), ``simulator`` (the
placement state: free gaps and candidate offsets), ``generator`` (compiler-like traces, tight
packing instances), ``env`` (``schedgym/MemoryMapping-v0``), ``observation`` (the padded buffer
graph), ``validate`` (the independent checker and the objective), plus ``cost`` (the
modelled-time cost model) and ``evaluation`` (the CLI adapter).
"""

from __future__ import annotations

from schedgym.memory.cost import CostModel
from schedgym.memory.formats import read_csv, read_instance, read_json, write_csv, write_json
from schedgym.memory.instance import VARIANTS, Buffer, MemoryInstance, Variant
from schedgym.memory.schedule import SLOW, MemoryMapping, read_mapping
from schedgym.memory.validate import MappingReport, mapping_objective, validate_mapping

__all__ = [
    "SLOW",
    "VARIANTS",
    "Buffer",
    "CostModel",
    "MappingReport",
    "MemoryInstance",
    "MemoryMapping",
    "Variant",
    "mapping_objective",
    "read_csv",
    "read_instance",
    "read_json",
    "read_mapping",
    "validate_mapping",
    "write_csv",
    "write_json",
]
