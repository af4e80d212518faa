"""The first stage: the scenario's names resolved to catalog entries (the server's performance
profile too), and the context clamped to the model's limit (the card: every figure uses the
clamped value; the JSON echoes both)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import findings as f
from ..errors import InputError


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


def _draft(name: str, catalog):
    """The draft model of --speculative draft:MODEL: a catalog name, a config path, a model directory
    or hf:ORG/NAME, as --model takes."""
    from ..catalog.huggingface import is_model_reference, model_entry_from_reference

    return model_entry_from_reference(name) if is_model_reference(name) else catalog.model(name)


def resolve(scenario, catalog) -> Resolved:
    model = catalog.model(scenario.model)
    speculation = scenario.speculation
    if speculation.active:
        draft = _draft(speculation.draft, catalog).architecture if speculation.method == "draft" else None
        model = model.speculating(speculation, draft)
    server = catalog.server(scenario.server)
    storage = catalog.storage_profile(scenario.storage)
    profile = catalog.profile_for(server, scenario.service.profile)
    if profile is None and scenario.service.has_targets:
        raise InputError(f"latency targets need a performance profile: {catalog.no_profile(server)}")
    context = min(scenario.effective_context, model.max_position_embeddings)
    found = f.context_clamped(scenario.effective_context, model.max_position_embeddings, model.name)
    return Resolved(scenario, model, server, storage, profile, context, tuple(found))
