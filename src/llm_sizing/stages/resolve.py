"""The first stage: the scenario's names resolved to catalog entries (the server's performance
profile too), and the context clamped to the model's limit (the card: every figure uses the
clamped value; the JSON echoes both)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import findings as f


@dataclass(frozen=True)
class Resolved:
    scenario: object  # scenario.Scenario, as requested
    model: object  # catalog.ModelEntry
    server: object  # catalog.ServerEntry
    storage: object  # catalog.StorageProfile
    profile: object  # catalog.PerformanceProfile of the server's GPU, or None
    context_tokens: int  # the effective context after clamping to max_position_embeddings
    findings: tuple

    @property
    def clamped(self) -> bool:
        return self.context_tokens != self.scenario.effective_context


def resolve(scenario, catalog) -> Resolved:
    model = catalog.model(scenario.model)
    server = catalog.server(scenario.server)
    storage = catalog.storage_profile(scenario.storage)
    profile = catalog.profile_for(server, scenario.service.profile)
    context = min(scenario.effective_context, model.max_position_embeddings)
    found = f.context_clamped(scenario.effective_context, model.max_position_embeddings, model.name)
    return Resolved(scenario, model, server, storage, profile, context, tuple(found))
