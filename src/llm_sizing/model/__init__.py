"""What a checkpoint is: its config.json read once (`architecture`), one class per layer and cache
kind (`layers`, `caches`), its parameters by component and its weights' formats."""

from .architecture import Architecture, read_architecture

__all__ = ["Architecture", "read_architecture"]
