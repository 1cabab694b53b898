"""Status updates through FHIR: a partner system (or the coordinator's) PUTs the Task back
with a new status, and that becomes one lifecycle action of the referral.

SDOHCC's CapabilityStatements give Task the `update` interaction for this ("Allows
modification of an existing Task by upstream systems (e.g. to cancel it) or by downstream
systems (to accept or reject it or add output links to performed procedures) ... Assigned
task owners may change the status, statusReason and outputs": CapabilityStatement
SDOHCC-ReferralSource in HL7/fhir-sdoh-clinicalcare at 6604b7ac13b9, input/fsh/instances/
SDOHCC-ReferralSource.fsh; the referral workflow's "Update Task (accepted)" steps are the same
interaction), so an update may change only those three;
the elements that say what the Task is (id, intent, code, focus, for, requester, owner) must
come back as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from homeward.referrals.domain.errors import RuleViolation, TransitionNotAllowed
from homeward.referrals.domain.lifecycle import (
    TRANSITIONS,
    Action,
    Outcome,
    ReasonCode,
    ReferralState,
    allowed_next_states,
)
from homeward.referrals.fhir.mapping import (
    OUTCOME_OUTPUT,
    OUTCOME_SYSTEM,
    OUTPUT_TYPE_SYSTEM,
    REASON_SYSTEM,
)

Code = TypeVar("Code", ReasonCode, Outcome)
FIXED_ELEMENTS = ("id", "intent", "code", "focus", "for", "requester", "owner")


class Coding(BaseModel):
    model_config = ConfigDict(extra="allow")

    system: str | None = Field(default=None, max_length=200)
    code: str | None = Field(default=None, max_length=64)


class CodeableConcept(BaseModel):
    model_config = ConfigDict(extra="allow")

    coding: list[Coding] = Field(default_factory=list, max_length=10)
    text: str | None = Field(default=None, max_length=200)


class TaskOutput(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: CodeableConcept
    valueCodeableConcept: CodeableConcept | None = None


class TaskUpdate(BaseModel):
    """The parts of a PUT Task body that we read; the rest must equal the current Task."""

    model_config = ConfigDict(extra="allow")

    resourceType: Literal["Task"]
    id: str = Field(max_length=64, description="the id in the URL (FHIR: required on update)")
    status: str = Field(max_length=32)
    statusReason: CodeableConcept | None = None
    output: list[TaskOutput] = Field(default_factory=list, max_length=10)


@dataclass(frozen=True, kw_only=True)
class StatusChange:
    """What the update asks: the action from the current state (None: the status stays)."""

    action: Action | None
    reason: ReasonCode | None
    outcome: Outcome | None


def requested_change(body: dict[str, Any], *, current: dict[str, Any]) -> StatusChange:
    """Read a PUT Task body against the Task as it is now; raises RuleViolation (422) or
    TransitionNotAllowed (409, with the states the referral may move to)."""
    update = TaskUpdate.model_validate(body)
    changed = [name for name in FIXED_ELEMENTS if name in body and body[name] != current[name]]
    if changed:
        raise RuleViolation(
            f"only status, statusReason and output of a Task may change, not {', '.join(changed)}"
        )
    try:
        target = ReferralState(update.status)
    except ValueError:
        raise RuleViolation(
            "status must be one of the SDOHCC referral Task statuses: "
            + ", ".join(state.value for state in ReferralState)
        ) from None
    state = ReferralState(current["status"])
    reason = _code(update.statusReason, REASON_SYSTEM, ReasonCode, "statusReason")
    outcomes = [o.valueCodeableConcept for o in update.output if _is_outcome(o)]
    outcome = _code(outcomes[0] if outcomes else None, OUTCOME_SYSTEM, Outcome, "output")
    if target is state:
        return StatusChange(action=None, reason=reason, outcome=outcome)
    return StatusChange(action=action_to(state, target), reason=reason, outcome=outcome)


def action_to(state: ReferralState, target: ReferralState) -> Action:
    """The lifecycle action that moves a referral from `state` to `target`."""
    for (origin, action), reached in TRANSITIONS.items():
        if origin is state and reached is target:
            return action
    raise TransitionNotAllowed(
        f"a referral in state {state.value} cannot move to {target.value}",
        allowed_next_states=[s.value for s in allowed_next_states(state)],
    )


def _is_outcome(output: TaskOutput) -> bool:
    return any(
        c.system == OUTPUT_TYPE_SYSTEM and c.code == OUTCOME_OUTPUT for c in output.type.coding
    )


def _code(
    concept: CodeableConcept | None, system: str, codes: type[Code], element: str
) -> Code | None:
    if concept is None:
        return None
    for coding in concept.coding:
        if coding.system == system:
            try:
                return codes(coding.code)
            except ValueError:
                break
    raise RuleViolation(
        f"{element} needs a coding of {system}, one of: {', '.join(c.value for c in codes)}"
    )
