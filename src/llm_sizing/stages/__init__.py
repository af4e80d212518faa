"""The calculation's stages, each a pure function returning a frozen value that holds its inputs,
its equation's figures and its findings (`pipeline.size` runs them in order):

    resolve ─► kv ─► memory (seed | physical) ─► capacity ─► latency ─► cost, storage ─► findings
"""
