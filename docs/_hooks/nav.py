"""MkDocs hook: drop nav entries whose page is not in the checkout.

``docs/llm.md`` and ``docs/memory.md`` are written alongside the rest of the site; until a page
lands, its nav entry is dropped here instead of failing ``mkdocs build --strict``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _prune(items: list[Any], docs: Path) -> list[Any]:
    kept: list[Any] = []
    for item in items:
        if isinstance(item, dict):
            ((title, value),) = item.items()
            if isinstance(value, list):
                value = _prune(value, docs)
                if value:
                    kept.append({title: value})
            elif "://" in str(value) or (docs / str(value)).is_file():
                kept.append(item)
        elif "://" in str(item) or (docs / str(item)).is_file():
            kept.append(item)
    return kept


def on_config(config: Any, **kwargs: Any) -> Any:
    """Keep the nav entries whose file exists under ``docs_dir``."""
    if config.get("nav"):
        config["nav"] = _prune(config["nav"], Path(config["docs_dir"]))
    return config
