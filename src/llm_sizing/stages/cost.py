"""What the fleet draws and costs. Pure.

    power_kw_cluster  = node power (catalog; else GPUs x TDP, said so) x nodes_final
    usd_per_hour      = GPUs per node x nodes_final x price per GPU-hour (--price-per-gpu-hour, else the catalog's)
    usd_per_million_output_tokens = usd_per_hour / (output tokens per second of the fleet x 3600) x 10^6
Formulas: docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class PowerCost:
    nodes: Optional[int]
    power_kw_per_node: Optional[float]
    power_kw_cluster: Optional[float]
    power_source: str  # "catalog node power" | "GPUs x TDP only (no node figure)" | "unknown"
    price_per_gpu_hour_usd: Optional[float]
    usd_per_hour: Optional[float]
    usd_per_million_output_tokens: Optional[float]
    output_tokens_per_s_cluster: Optional[float]


def power_and_cost(server, nodes: Optional[int], price_per_gpu_hour: Optional[float],
                   output_tokens_per_s_cluster: Optional[float]) -> PowerCost:
    if server.node_power_kw:
        per_node, source = server.node_power_kw, "catalog node power"
    elif server.tdp_per_gpu_w:
        per_node, source = server.gpus_per_node * server.tdp_per_gpu_w / 1000, "GPUs x TDP only (no node figure)"
    else:
        per_node, source = None, "unknown"
    cluster = per_node * nodes if (per_node is not None and nodes is not None) else None
    price = price_per_gpu_hour if price_per_gpu_hour is not None else server.price_per_gpu_hour_usd
    per_hour = price * server.gpus_per_node * nodes if (price is not None and nodes is not None) else None
    per_million = None
    if per_hour is not None and output_tokens_per_s_cluster:
        per_million = per_hour / (output_tokens_per_s_cluster * 3600) * 1e6
    return PowerCost(nodes, per_node, cluster, source, price, per_hour, per_million, output_tokens_per_s_cluster)


def cost_stage(resolved, final_capacity, latency) -> PowerCost:
    """Power and cost of the fleet the sizing ends with, at the planned load's output rate."""
    rate = None
    if latency is not None and latency.performance is not None:
        rate = latency.performance.output_tokens_per_s_per_session * resolved.scenario.concurrency
    return power_and_cost(resolved.server, final_capacity.nodes_final, resolved.scenario.service.price_per_gpu_hour_usd,
                          rate)
