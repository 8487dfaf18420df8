"""``fulfill_contract``: fulfill a contract whose deliveries are complete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.contracts import CONTRACT_ID, contract_id, normalize_id
from runner.actions.registry import Action
from runner.domain.commands import Command, FulfillContract
from runner.playbook.context import StepContext


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """One FulfillContract."""
    return [FulfillContract(contract_id(args))]


ACTION = Action(name="fulfill_contract",
                summary="Fulfill a contract: an id, or the active one.",
                schema=CONTRACT_ID, normalize=normalize_id, expand=expand, bare=True,
                example="fulfill_contract")
