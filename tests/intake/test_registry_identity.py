"""The civil registry's identity read: a documents officer of the person's municipality may
read the name and date of birth, for documentation only, audited; another municipality's
officer hears 404, other roles 403."""

from __future__ import annotations

from homeward.common.testing.apps import ServiceHarness
from tests.intake.intake_helpers import family

COORDINATOR, OFFICER = "coordinator.riverton", "documents.riverton"


async def test_an_officer_reads_a_name_to_issue_papers_in_audited(intake: ServiceHarness) -> None:
    response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=family())
    assert response.status_code == 201, response.text
    case = response.json()
    mother = case["persons"][0]
    path = f"/v1/registry/persons/{mother['id']}/identity"

    read = await intake.call(OFFICER, "GET", path, params={"purpose": "documentation"})
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["person_code"] == mother["code"] and body["full_name"]
    assert set(body) == {"person_id", "person_code", "full_name", "date_of_birth"}

    wrong = await intake.call(OFFICER, "GET", path, params={"purpose": "safeguarding"})
    assert wrong.status_code == 422  # the registry reads for documentation only
    for user, status in (("documents.lakeside", 404), (COORDINATOR, 403), ("auditor", 403),
                         ("school.riverton", 403)):  # fmt: skip
        refused = await intake.call(user, "GET", path, params={"purpose": "documentation"})
        assert refused.status_code == status, user
    missing = "/v1/registry/persons/00000000-0000-4000-8000-000000000000/identity"
    assert (await intake.call(OFFICER, "GET", missing, params={"purpose": "documentation"})
            ).status_code == 404  # fmt: skip

    where = {"case_code": case["code"], "action": "identity.read"}
    trail = await intake.call("auditor", "GET", "/v1/audit", params=where)
    [entry] = trail.json()["items"]
    assert entry["purpose"] == "documentation" and entry["subject_code"] == mother["code"]
    assert entry["fields"] == ["date_of_birth", "full_name"]
