"""What the performance model needs from a memory plan: the layout one replica runs, the weights it
reads, how many replicas a node holds and how many sessions one replica holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Serving:
    layout: object  # layout.Layout
    weight_components: tuple  # weights.ComponentBytes of the whole checkpoint
    replicas_per_node: int
    sessions_per_replica: int  # what memory holds per replica (the largest batch latency may use)
