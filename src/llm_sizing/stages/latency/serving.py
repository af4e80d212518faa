"""Serving under load, as benchmarks measure it (docs/performance.md, "Serving under load").

Closed loop (a client keeping C requests of I prompt and O output tokens in flight per replica,
each replaced when it finishes; vLLM `benchmark_serving.py --max-concurrency C`), per attention rank
(C / dp requests), in steady state:

    cycle   = TTFT + O x TPOT                      one request's life
    lambda  = C / cycle                            requests started (and finished) per unit time
    D       = C x O x TPOT / cycle                 sequences decoding in a step
    q       = min(I, budget - D)                   prompt tokens a prefill step takes (chunked prefill)
    f       = min(1, lambda x I x tau / q)         share of steps that carry a prompt chunk
    tau     = (1 - f) x step(D) + f x step(D + q)  the mean step; TPOT = tau (a decoding sequence
                                                   gains one token a step)
    S       = ceil(I / q) x step(D + q)            one prompt's own prefill steps
    W       = f / (2 (1 - f)) x S                  waiting for prompts ahead (M/D/1, utilisation f)
    TTFT    = R + W + S + tau / 2                  (an arrival waits for the step in flight; R the
                                                   engine's request overhead: stages/latency/engines.py)
    throughput per replica = C x O / (TTFT + O x TPOT)  output tokens per second

solved as one equation in D (`_SteadyState`). A benchmark that starts all C requests at once (`num_prompts` N
requests in all) adds the first wave's queue to the mean TTFT: those C prompts wait for each other,
(C x I / q + 1) / 2 prefill steps on average, a share C / N of the requests.

Fixed batch (vLLM `benchmark_latency.py`: B prompts prefilled together, then O decode steps):
TTFT = the batch's prefill steps, TPOT = (TTFT + O decode steps at the mean context) / O, as that
benchmark reports latency / output tokens. Pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from ...model.operators import Step
from ...units import ceil_div
from .step import StepCost, WeightFormats, step_cost


@dataclass(frozen=True)
class ServingPerformance:
    mode: str  # "closed_loop" | "fixed_batch"
    concurrency: int  # requests in flight per replica (closed loop), or the batch (fixed batch)
    input_tokens: int
    output_tokens: int
    decode_step: StepCost  # a step decoding every running sequence
    prefill_step: StepCost  # a step that also carries a prompt chunk
    prefill_steps: int  # steps one prompt's prefill takes
    prefill_share: float  # share of steps carrying a prompt chunk (closed loop)
    queue_ms: float  # waiting for prompts ahead (closed loop: steady state and first wave)
    ttft_ms: float
    tpot_ms: float
    notes: tuple[str, ...] = ()

    @property
    def output_tokens_per_s(self) -> float:
        """Per replica: C x O / (TTFT + O x TPOT), in tokens per second."""
        if not (math.isfinite(self.ttft_ms) and math.isfinite(self.tpot_ms)):
            return 0.0
        return self.concurrency * self.output_tokens / ((self.ttft_ms + self.output_tokens * self.tpot_ms) / 1e3)

    @property
    def output_tokens_per_s_per_session(self) -> float:
        return 1e3 / self.tpot_ms if self.tpot_ms > 0 and math.isfinite(self.tpot_ms) else 0.0

    @property
    def batch(self) -> int:
        return self.concurrency


class _Steps:
    """Step costs of one replica, memoised by (decode, prefill) so the iteration prices each shape once."""

    def __init__(self, arch, layout, components, profile, engine, kv_bytes, link_gb_s):
        self.args = (arch, layout, components, profile, engine)
        self.kv_bytes, self.link = kv_bytes, link_gb_s
        self.weights = WeightFormats(components, profile.peaks)
        self.dp = layout.data_parallel
        self.cache: dict = {}

    def __call__(self, decode: int, context: int, prefill: int = 0, start: int = 0) -> StepCost:
        key = (decode, context, prefill, start)
        if key not in self.cache:
            step = Step(decode, context, prefill, start, routed=(decode + prefill) * self.dp, kv_bytes=self.kv_bytes)
            arch, layout, components, profile, engine = self.args
            self.cache[key] = step_cost(arch, layout, components, profile, engine, step, self.link, self.weights)
        return self.cache[key]


def closed_loop(arch, layout, components, profile, engine, kv_bytes: int, concurrency: int, input_tokens: int,
                output_tokens: int, budget: int, link_gb_s: float, num_prompts: Optional[int] = None) -> ServingPerformance:
    steps = _Steps(arch, layout, components, profile, engine, kv_bytes, link_gb_s)
    per_rank = max(1, ceil_div(concurrency, layout.data_parallel))
    context = input_tokens + (output_tokens + 1) // 2
    decode_only = steps(per_rank, context)
    if budget - per_rank < 1:
        note = f"the {per_rank} decoding sequences fill max_num_batched_tokens ({budget}): no room for prefill"
        return ServingPerformance("closed_loop", concurrency, input_tokens, output_tokens, decode_only, decode_only,
                                  0, 0.0, math.inf, math.inf, decode_only.total_ms, (note,))
    state = _SteadyState(steps, per_rank, context, input_tokens, output_tokens, budget, engine.request_overhead_ms)
    solved = state.solve()
    ttft, queue = solved.ttft_ms, solved.queue_ms
    if num_prompts and num_prompts >= concurrency:
        first_wave = (per_rank * input_tokens / max(1, budget - per_rank) + 1) / 2 * solved.prefill.total_ms
        extra = concurrency / num_prompts * max(0.0, first_wave - ttft)
        queue += extra
        ttft += extra
    return ServingPerformance("closed_loop", concurrency, input_tokens, output_tokens, decode_only, solved.prefill,
                              solved.chunk_steps, solved.share, queue, ttft, solved.tpot_ms)


@dataclass(frozen=True)
class _Solved:
    tpot_ms: float
    ttft_ms: float
    queue_ms: float
    share: float
    chunk_steps: int
    prefill: StepCost
    decoding: float


@dataclass(frozen=True)
class _SteadyState:
    """The closed loop's steady state, solved for D, the sequences decoding in a step
    (docs/performance.md). A request decodes for O x tau of its cycle, so D = C x O x tau / cycle and
    lambda = C / cycle = D / (O x tau): the prefill share f = lambda x I x tau / q = D x I / (O x q)
    depends on D alone, and with it tau, S, W and TTFT. What is left is one equation in D,

        N(D) = D x (1 + TTFT(D) / (O x tau(D))) = C,

    N rising from 0 (D -> 0) to at least C (D = C): false position on that bracket finds the root to
    a part in 10^9, the same answer however it is approached. A step at a fractional D is priced
    linearly between the whole batches either side (at least one: the sequence itself), so nothing
    jumps."""

    steps: _Steps
    per_rank: int
    context: int
    input_tokens: int
    output_tokens: int
    budget: int
    overhead_ms: float

    def step_ms(self, decoding: float, prefill: int = 0, start: int = 0) -> float:
        decoding = max(1.0, decoding)
        low = min(self.per_rank, math.floor(decoding))
        cost = self.steps(low, self.context, prefill, start).total_ms
        weight = decoding - low
        if weight <= 0 or low >= self.per_rank:
            return cost
        return cost + weight * (self.steps(low + 1, self.context, prefill, start).total_ms - cost)

    def at(self, decoding: float) -> _Solved:
        """Everything else, given D."""
        chunk = min(self.input_tokens, self.budget - math.ceil(decoding))  # >= 1: budget > C >= D
        start = max(0, self.input_tokens - chunk) // 2
        share = min(0.99, decoding * self.input_tokens / (self.output_tokens * chunk))
        prefill_ms = self.step_ms(decoding, chunk, start)
        tpot = (1 - share) * self.step_ms(decoding) + share * prefill_ms
        chunk_steps = ceil_div(self.input_tokens, chunk)
        service = chunk_steps * prefill_ms
        queue = share / (2 * (1 - share)) * service
        ttft = self.overhead_ms + queue + service + tpot / 2
        prefill = self.steps(max(1, min(self.per_rank, round(decoding))), self.context, chunk, start)
        return _Solved(tpot, ttft, queue, share, chunk_steps, prefill, decoding)

    def excess(self, decoding: float) -> float:
        solved = self.at(decoding)
        return decoding * (1 + solved.ttft_ms / (self.output_tokens * solved.tpot_ms)) - self.per_rank

    def solve(self) -> _Solved:
        """False position (the Illinois variant, which keeps the bracket) on N(D) - C over (0, C]."""
        low, f_low = 0.0, -float(self.per_rank)
        high = float(self.per_rank)
        f_high = self.excess(high)
        if f_high <= 0:
            return self.at(high)
        side = 0
        for _ in range(200):
            if high - low <= 1e-9 * high:
                break
            middle = high - f_high * (high - low) / (f_high - f_low)
            if not low < middle < high:
                middle = (low + high) / 2
            f_middle = self.excess(middle)
            if f_middle == 0:
                high = middle
                break
            if f_middle < 0:
                low, f_low = middle, f_middle
                if side == -1:
                    f_high /= 2
                side = -1
            else:
                high, f_high = middle, f_middle
                if side == 1:
                    f_low /= 2
                side = 1
        return self.at(high)


def fixed_batch(arch, layout, components, profile, engine, kv_bytes: int, batch: int, input_tokens: int,
                output_tokens: int, budget: int, link_gb_s: float) -> ServingPerformance:
    steps = _Steps(arch, layout, components, profile, engine, kv_bytes, link_gb_s)
    per_rank = max(1, ceil_div(batch, layout.data_parallel))
    tokens = per_rank * input_tokens
    chunk = min(tokens, budget)
    prefill_steps = ceil_div(tokens, chunk)
    prefill = steps(0, 0, chunk, max(0, input_tokens - min(input_tokens, chunk)) // 2)
    ttft = prefill_steps * prefill.total_ms
    decode = steps(per_rank, input_tokens + (output_tokens + 1) // 2)
    tpot = (ttft + output_tokens * decode.total_ms) / output_tokens
    return ServingPerformance("fixed_batch", batch, input_tokens, output_tokens, decode, prefill, prefill_steps, 0.0,
                              0.0, ttft, tpot)
