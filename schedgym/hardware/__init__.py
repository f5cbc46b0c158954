"""Problem-independent hardware descriptions: processing elements, links and power."""

from schedgym.hardware.platform import (
    Platform,
    ProcessingElement,
    read_platform,
    uniform_platform,
)

__all__ = ["Platform", "ProcessingElement", "read_platform", "uniform_platform"]
