"""``accept_contract``: accept a contract (default: the newest offered one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.contracts import CONTRACT_ID, contract_id, normalize_id
from runner.actions.registry import Action
from runner.domain.commands import AcceptContract, Command
from runner.playbook.context import StepContext


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """One AcceptContract."""
    return [AcceptContract(contract_id(args))]


ACTION = Action(name="accept_contract",
                summary="Accept a contract: an id, or the newest negotiated/offered one.",
                schema=CONTRACT_ID, normalize=normalize_id, expand=expand, bare=True,
                example="accept_contract")
