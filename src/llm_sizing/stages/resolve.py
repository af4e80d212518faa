"""The first stage: the scenario's names resolved to catalog entries, and the context clamped to
the model's limit (SPEC: every figure uses the clamped value; the JSON echoes both)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import findings as f


@dataclass(frozen=True)
class Resolved:
    scenario: object  # scenario.Scenario, as requested
    model: object  # catalog.ModelEntry
    server: object  # catalog.ServerEntry
    storage: object  # catalog.StorageProfile
    context_tokens: int  # the effective context after clamping to max_position_embeddings
    findings: tuple

    @property
    def clamped(self) -> bool:
        return self.context_tokens != self.scenario.effective_context


def resolve(scenario, catalog) -> Resolved:
    model = catalog.model(scenario.model)
    server = catalog.server(scenario.server)
    storage = catalog.storage_profile(scenario.storage)
    context = min(scenario.effective_context, model.max_position_embeddings)
    found = f.context_clamped(scenario.effective_context, model.max_position_embeddings, model.name)
    return Resolved(scenario, model, server, storage, context, tuple(found))
