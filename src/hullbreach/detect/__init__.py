"""Leak detection: air mass per zone, sequential detector, and leak estimates with intervals.

The entry points::

    from hullbreach.detect import detect, DetectorConfig, StreamingDetector, DetectionResult

:func:`detect` runs on a checked record (batch), :class:`StreamingDetector` on live batches; both return a
:class:`DetectionResult` (docs/detection.md).
"""

from hullbreach.detect.detector import DetectorConfig, detect
from hullbreach.detect.result import DetectionResult
from hullbreach.detect.stream import StreamingDetector

__all__ = ["detect", "DetectorConfig", "StreamingDetector", "DetectionResult"]
