"""ML-compiler memory mapping (mallocGame): buffers placed in a small fast memory or left slow.

Modules, as in every problem folder: ``instance`` (the instance), ``formats`` (MiniMalloc CSV
and JSON files), ``generator`` (compiler-like traces, tight packing instances), ``env``
(``schedgym/MemoryMapping-v0``), ``observation`` (the padded buffer graph), ``validate`` (the
independent checker and the objective), plus ``cost`` (the modelled-time cost model), ``state``
(free gaps and candidate offsets), ``mapping`` (the mapping record and its JSON file), ``plot``
(time x address pictures) and ``evaluation`` (the CLI adapter).
"""

from __future__ import annotations

from schedgym.memory.cost import CostModel
from schedgym.memory.formats import read_csv, read_instance, read_json, write_csv, write_json
from schedgym.memory.instance import VARIANTS, Buffer, MemoryInstance, Variant, load_instance
from schedgym.memory.mapping import SLOW, MemoryMapping, read_mapping
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
    "load_instance",
    "mapping_objective",
    "read_csv",
    "read_instance",
    "read_json",
    "read_mapping",
    "validate_mapping",
    "write_csv",
    "write_json",
]
