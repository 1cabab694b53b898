"""The coordinator's pages without a browser (the APIs faked as in test_app): my cases as
intake's filter, the coordinator chosen from intake's list of known coordinators, the family
page's timeline (what the user was told, what documents recorded)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.console.test_app import CASE, CASE_ID, PERSON_ID, FakeApis
from tests.console.test_roles import apis, signed_in  # noqa: F401  (the fixtures)

PAGE = {"items": [], "total": 41, "next_offset": 20}


async def test_my_cases_is_intake_s_filter_and_pages_like_the_rest(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    client, _ = await signed_in("coordinator")
    apis.on("GET", "/v1/cases", body={**PAGE, "items": [CASE]})
    page = await client.get("/cases", params={"mine": "true", "page": "2"})
    assert page.status_code == 200
    [request] = [r for r in apis.seen if r.url.path == "/v1/cases"]
    assert dict(request.url.params) == {"status": "open", "coordinator": "me",
                                        "limit": "20", "offset": "20"}  # fmt: skip
    assert "HW-7KQ3-M9" in page.text and "Page 2 of 3" in page.text
    apis.seen.clear()
    await client.get("/cases")
    [request] = [r for r in apis.seen if r.url.path == "/v1/cases"]
    assert "coordinator" not in request.url.params


async def test_the_coordinator_is_picked_from_intake_s_list_never_typed(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    client, session = await signed_in("coordinator")
    apis.on("GET", f"/v1/cases/{CASE_ID}", body=CASE)
    known = [{"username": u, "last_seen_at": "2025-03-01T10:00:00Z"}
             for u in ("coordinator.riverton", "coordinator.riverton.2")]  # fmt: skip
    apis.on("GET", "/v1/coordinators", body={"items": known})
    form = await client.get(f"/cases/{CASE_ID}/coordinator")
    assert form.status_code == 200
    assert '<select class="select" id="coordinator" name="coordinator"' in form.text
    assert '<option value="coordinator.riverton" selected>' in form.text  # the current one
    assert '<option value="coordinator.riverton.2">' in form.text
    assert 'type="text"' not in form.text.split("<main", 1)[1]  # no free text

    empty = await client.post(f"/cases/{CASE_ID}/coordinator",
                              data={"csrf_token": session.csrf_token})  # fmt: skip
    assert empty.status_code == 422 and 'href="#coordinator"' in empty.text

    problem = {"status": 422, "detail": "not a coordinator of the case's municipality"}
    apis.on("PUT", f"/v1/cases/{CASE_ID}/coordinator", 422, problem)
    stale = await client.post(f"/cases/{CASE_ID}/coordinator",
                              data={"csrf_token": session.csrf_token,
                                    "coordinator": "coordinator.gone"})  # fmt: skip
    assert stale.status_code == 422 and 'href="#coordinator"' in stale.text
    assert "Choose one of the coordinators in the list" in stale.text

    apis.on("PUT", f"/v1/cases/{CASE_ID}/coordinator",
            body={**CASE, "coordinator": "coordinator.riverton.2"})  # fmt: skip
    done = await client.post(f"/cases/{CASE_ID}/coordinator",
                             data={"csrf_token": session.csrf_token,
                                   "coordinator": "coordinator.riverton.2"})  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == f"/cases/{CASE_ID}?done=coordinator"
    put = [r for r in apis.seen if r.method == "PUT"][-1]
    assert put.read() == b'{"coordinator":"coordinator.riverton.2"}'


def _agency(agency_id: str, name: str, capacity: str, **fields: Any) -> dict[str, Any]:
    return {"id": agency_id, "name": name, "capacity": capacity, "languages": [],
            "accreditations": [], **fields}  # fmt: skip


async def test_the_coordinator_asks_for_agencies_whose_staff_speak_the_familys_language(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    client, _ = await signed_in("coordinator")
    person = CASE["persons"][0]["id"]
    apis.on("GET", f"/v1/cases/{CASE_ID}", body=CASE)
    apis.on("GET", f"/v1/cases/{CASE_ID}/persons/{person}/assessments", body=[])
    trained = [{"code": "theologian-trained-for-reintegration", "count": 2}]
    imam = _agency("a-imam", "Central Mosque", "open", languages=["kk", "ru"],
                   accreditations=trained)  # fmt: skip
    apis.on("GET", "/v1/agencies", body=[imam])
    query = {"person": person, "category": "religious-guidance", "language": "kk",
             "accreditation": "theologian-trained-for-reintegration"}  # fmt: skip
    form = await client.get(
        f"/cases/{CASE_ID}/refer", params=query, headers={"Accept-Language": "ru"}
    )
    assert form.status_code == 200, form.text
    [asked] = [r.url.params for r in apis.seen if r.url.path == "/v1/agencies"]
    assert (asked["language"], asked["accreditation"]) == (
        "kk",
        "theologian-trained-for-reintegration",
    )
    spoken = '<span lang="kk">Қазақша</span>, <span lang="ru">Русский</span>'
    assert f"Сотрудники говорят на языках: {spoken}" in form.text
    assert "Богословы, подготовленные для работы по реинтеграции: 2" in form.text
    assert '<option value="kk" lang="kk" selected>' in form.text
    assert '<input type="hidden" name="language" value="kk">' in form.text  # kept for step 2
    apis.seen.clear()
    await client.get(f"/cases/{CASE_ID}/refer", params={**query, "language": "xx",
                                                        "accreditation": "wizard"})  # fmt: skip
    [ignored] = [r.url.params for r in apis.seen if r.url.path == "/v1/agencies"]
    assert "language" not in ignored and "accreditation" not in ignored


async def test_an_agency_not_taking_referrals_cannot_be_chosen_and_a_waitlist_says_so(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    client, session = await signed_in("coordinator")
    person = CASE["persons"][0]["id"]
    apis.on("GET", f"/v1/cases/{CASE_ID}", body=CASE)
    apis.on("GET", f"/v1/cases/{CASE_ID}/persons/{person}/assessments", body=[])
    apis.on("GET", "/v1/agencies", body=[
        _agency("a-closed", "Closed School", "closed"),
        _agency("a-wait", "Busy School", "waitlist"),
        _agency("a-open", "Open School", "open"),
    ])  # fmt: skip
    query = {"person": person, "category": "school-enrolment"}
    form = await client.get(f"/cases/{CASE_ID}/refer", params=query)
    assert form.status_code == 200
    assert 'value="a-closed" disabled>' in form.text
    assert 'value="a-open">' in form.text and 'value="a-wait">' in form.text
    assert "Busy School</span>: Waiting list" in form.text
    assert "Closed School</span>: Not taking referrals" in form.text
    assert form.text.index("Open School") < form.text.index("Busy School")

    body = {"csrf_token": session.csrf_token, **query, "reason": "School for the child"}
    refused = await client.post(f"/cases/{CASE_ID}/refer", data={**body, "agency": "a-closed"})
    assert refused.status_code == 422
    assert "This agency is not taking referrals now" in refused.text
    assert not [r for r in apis.seen if r.method == "POST"]  # never asked the API

    # Closed between reading the form and sending it: the API's 422, explained in Russian.
    apis.on("POST", "/v1/referrals", 422, {"status": 422, "detail": "closed its capacity"})
    apis.on("GET", "/v1/agencies/a-open", body=_agency("a-open", "Open School", "closed"))
    raced = await client.post(f"/cases/{CASE_ID}/refer", data={**body, "agency": "a-open"},
                              headers={"Accept-Language": "ru"})  # fmt: skip
    assert raced.status_code == 422
    assert "Эта организация сейчас не принимает направления" in raced.text
    assert 'href="#agency"' in raced.text


async def test_a_transfer_a_supervisor_decides_is_shown_to_the_coordinator_as_information(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    """Intake says per transfer what the caller may do: with supervisors deciding (its
    default), none of accept or decline for a coordinator; the home page offers no button."""
    client, _ = await signed_in("coordinator")
    transfer = {"id": "t-1", "case_id": CASE_ID, "case_code": "HW-7KQ3-M9",
                "from_municipality": "lakeside", "to_municipality": "riverton",
                "status": "pending", "requested_at": "2025-04-01T08:00:00Z",
                "decided_at": None, "decision_reason": None, "allowed_actions": []}  # fmt: skip
    apis.on("GET", "/v1/referrals", body={"items": [], "total": 0, "next_offset": None})
    apis.on("GET", "/v1/transfers", body=[transfer])
    apis.on("GET", "/v1/notifications", body={"items": [], "unread": 0, "next_offset": None})
    apis.on("GET", "/v1/consents/expiring", body=[])
    apis.on("GET", "/v1/records", body={"items": [], "total": 0, "next_offset": None})
    apis.on("GET", "/v1/suggestions", body=[])
    home = await client.get("/")
    assert home.status_code == 200
    assert "HW-7KQ3-M9 from lakeside, asked on 01.04.2025" in home.text
    assert "Transfers coming in" in home.text and "A supervisor decides it." in home.text
    assert "/cases/transfers/t-1/accept" not in home.text
    assert "/cases/transfers/t-1/decline" not in home.text


async def test_the_timeline_tells_what_the_user_was_notified_about_the_case_in_eight_calls(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    client, _ = await signed_in("coordinator")
    _family_page_reads(apis)
    told = {"id": 7, "event_type": "homeward.documentation_task.raised.v1",
            "summary": "A documentation task was raised", "case_code": "HW-7KQ3-M9",
            "details": {}, "link": "https://x.example/notifications", "read_at": None,
            "created_at": "2025-03-05T09:00:00Z", "acknowledged_at": None}  # fmt: skip
    apis.on("GET", "/v1/notifications", body={"items": [told], "total": 1, "unread": 1,
                                              "next_offset": None})  # fmt: skip
    page = await client.get(f"/cases/{CASE_ID}", headers={"Accept-Language": "ru"})
    assert page.status_code == 200, page.text
    assert "Вам пришло уведомление: Создана задача по документам" in page.text
    reads = [r for r in apis.seen if r.method == "GET"]
    assert len(reads) == 8  # receiving family and documents' history: absent (404), one call
    [inbox] = [r for r in reads if r.url.path == "/v1/notifications"]
    assert inbox.url.params["case_id"] == CASE_ID


PERSON = CASE["persons"][0]
# What documents answers for the case: the child's birth certificate opened as missing,
# issued later, then expired; a school task raised and closed when it was issued.
DOCUMENTED = {
    "case_id": CASE_ID, "case_code": "HW-7KQ3-M9",
    "persons": [{"person_id": PERSON["id"], "person_code": PERSON["code"], "records": [{
        "id": "r-1", "document_type": "birth-certificate", "status": "expired",
        "requested_on": None, "issued_on": "2025-03-04", "expiry_on": "2025-03-09",
        "changes": [
            {"at": "2025-03-01T10:05:00Z", "from_status": None, "to_status": "missing"},
            {"at": "2025-03-04T12:00:00Z", "from_status": "missing", "to_status": "issued"},
            {"at": "2025-03-10T03:00:00Z", "from_status": "issued", "to_status": "expired"},
        ],
    }]}],
    "tasks": [{
        "id": "t-1", "referral_id": "ref-1", "case_code": "HW-7KQ3-M9",
        "person_id": PERSON["id"], "person_code": None, "service_category": "school-enrolment",
        "needed": [["birth-certificate"]], "status": "closed",
        "raised_at": "2025-03-02T09:00:00Z", "closed_at": "2025-03-04T12:00:00Z",
        "closed_because": "documents-issued",
    }],
}  # fmt: skip
DOCUMENTS_ENTRIES = {
    "en": [
        "The status of the birth certificate of P-4TXR-8N became: Expired.",
        "The status of the birth certificate of P-4TXR-8N became: Issued.",
        "The documentation task for P-4TXR-8N (documents for School enrolment) was closed.",
        "A documentation task was raised for P-4TXR-8N: documents for School enrolment.",
        "A record of the birth certificate of P-4TXR-8N was opened.",
    ],
    "ru": [
        "Новый статус документа «свидетельство о рождении» для P-4TXR-8N: Срок истёк.",
        "Новый статус документа «свидетельство о рождении» для P-4TXR-8N: Выдан.",
        "Задача по документам для P-4TXR-8N (документы для услуги «Зачисление в школу») закрыта.",
        "Создана задача по документам для P-4TXR-8N: документы для услуги «Зачисление в школу».",
        "Открыта запись о документе «свидетельство о рождении» для P-4TXR-8N.",
    ],
}


@pytest.mark.parametrize("locale", list(DOCUMENTS_ENTRIES))
async def test_the_timeline_shows_documents_records_status_changes_and_tasks(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
    locale: str,
) -> None:
    client, _ = await signed_in("coordinator")
    _family_page_reads(apis)
    apis.on("GET", f"/v1/cases/{CASE_ID}/records", body=DOCUMENTED)
    page = await client.get(f"/cases/{CASE_ID}", headers={"Accept-Language": locale})
    assert page.status_code == 200, page.text
    timeline = _timeline(page.text)
    entries = DOCUMENTS_ENTRIES[locale]
    assert [entry for entry in timeline if entry in entries] == entries  # newest first
    [read] = [r for r in apis.seen if r.url.path == f"/v1/cases/{CASE_ID}/records"]
    assert read.headers["authorization"].startswith("Bearer ")  # the user's own token


async def test_a_family_documents_has_not_heard_of_has_a_timeline_without_documents(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    client, _ = await signed_in("coordinator")
    _family_page_reads(apis)  # documents' history: 404, as the API answers an unknown case
    page = await client.get(f"/cases/{CASE_ID}")
    assert page.status_code == 200, page.text
    assert _timeline(page.text) == ["The case was registered."]


def _family_page_reads(fake: FakeApis) -> None:
    fake.on("GET", f"/v1/cases/{CASE_ID}", body=CASE)
    fake.on("GET", "/v1/referrals", body={"items": [], "total": 0, "next_offset": None})
    for read in ("assessments", "consents", "readiness"):
        fake.on("GET", f"/v1/cases/{CASE_ID}/{read}", body=[])
    fake.on("GET", "/v1/notifications", body={"items": [], "total": 0, "unread": 0,
                                             "next_offset": None})  # fmt: skip


def _timeline(html: str) -> list[str]:
    """The timeline's sentences, in the page's order, without their dates."""
    listing = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", listing, flags=re.S)
    return [" ".join(re.sub(r"<span class=\"timeline__when\">.*?</span>", "", item,
                            flags=re.S).split()) for item in items]  # fmt: skip


def _referral(referral_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": referral_id, "case_id": CASE_ID, "case_code": "HW-7KQ3-M9",
            "person_id": PERSON_ID, "person_code": "P-4TXR-8N",
            "service_category": "school-enrolment", "state": "requested", "blocked_on": [],
            "missing_documents": [], "missing_consent": [], "escalation_level": None,
            "created_at": "2025-03-02T10:00:00Z", **fields}  # fmt: skip


async def test_each_home_card_counts_its_whole_list_and_opens_it(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    """The cards ask the APIs for filtered lists (blocked, answers, overdue, expiring): a
    card's count is its list's total, not what fits on the card."""
    client, _ = await signed_in("coordinator")
    overdue = _referral("r-late", escalation_level="supervisor")
    apis.on("GET", "/v1/referrals", body={"items": [overdue], "total": 12, "next_offset": 5})
    apis.on("GET", "/v1/transfers", body=[])
    apis.on("GET", "/v1/notifications", body={"items": [], "unread": 0, "next_offset": None})
    apis.on("GET", "/v1/consents/expiring", body=[])
    passport = {"id": "d-1", "case_id": CASE_ID, "case_code": "HW-7KQ3-M9",
                "person_id": PERSON_ID, "person_code": "P-4TXR-8N",
                "document_type": "passport", "status": "issued", "expiry_on": "2025-04-02",
                "updated_at": "2025-03-01T00:00:00Z"}  # fmt: skip
    apis.on("GET", "/v1/records", body={"items": [passport], "total": 3, "next_offset": None})
    apis.on("GET", "/v1/suggestions", body=[])
    home = await client.get("/", headers={"Accept-Language": "ru"})
    assert home.status_code == 200, home.text
    assert "12 направлений заблокировано" in home.text
    assert "Просрочено: руководитель уведомлён" in home.text
    assert "3 документа истекают в течение 30 дней" in home.text
    assert (
        'href="/referrals?show=overdue"' in home.text and 'href="/expiring#documents"' in home.text
    )
    asked = [dict(r.url.params.multi_items()) for r in apis.seen if r.url.path == "/v1/referrals"]
    assert {"blocked": "true", "limit": "5", "offset": "0"} in asked
    assert {"escalated": "coordinator", "limit": "5", "offset": "0"} in asked
    states = [r.url.params.get_list("state") for r in apis.seen if r.url.path == "/v1/referrals"]
    assert ["accepted", "rejected", "on-hold"] in states
    [records] = [r for r in apis.seen if r.url.path == "/v1/records"]
    assert records.url.params["expiring_within_days"] == "30"


async def test_the_referral_list_pages_through_the_apis_filter(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    client, _ = await signed_in("coordinator")
    late = _referral("r-1", escalation_level="coordinator")
    apis.on("GET", "/v1/referrals", body={"items": [late], "total": 41, "next_offset": 40})
    page = await client.get("/referrals?show=overdue&page=2")
    assert page.status_code == 200, page.text
    [asked] = [r for r in apis.seen if r.url.path == "/v1/referrals"]
    assert asked.url.params["escalated"] == "coordinator"
    assert (asked.url.params["limit"], asked.url.params["offset"]) == ("20", "20")
    assert "41 referrals" in page.text and "Page 2 of 3" in page.text
    assert 'href="/referrals?show=overdue&amp;page=3"' in page.text
    assert "Overdue: coordinator told" in page.text


async def test_the_expiring_page_lists_documents_and_consents_soonest_first(
    signed_in: Any,  # noqa: F811
    apis: FakeApis,  # noqa: F811
) -> None:
    certificate = {"id": "d-1", "case_id": CASE_ID, "case_code": "HW-7KQ3-M9",
                   "person_id": PERSON_ID, "person_code": "P-4TXR-8N",
                   "document_type": "birth-certificate", "status": "issued",
                   "expiry_on": "2025-04-02", "updated_at": "2025-03-01T00:00:00Z"}  # fmt: skip
    consent = {"case_id": CASE_ID, "case_code": "HW-7KQ3-M9", "person_code": "P-4TXR-8N",
               "recipient_agency_type": "school", "valid_until": "2025-04-20"}  # fmt: skip
    apis.on("GET", "/v1/records", body={"items": [certificate], "total": 1, "next_offset": None})
    apis.on("GET", "/v1/consents/expiring", body=[consent])
    client, _ = await signed_in("coordinator")
    page = await client.get("/expiring")
    assert page.status_code == 200, page.text
    assert "02.04.2025" in page.text and "20.04.2025" in page.text
    assert f'href="/cases/{CASE_ID}#person-P-4TXR-8N"' in page.text

    officer, _ = await signed_in("documents-officer")
    apis.seen.clear()
    page = await officer.get("/expiring")
    assert page.status_code == 200, page.text
    assert f'href="/registry/persons/{PERSON_ID}"' in page.text
    assert "ending-consents" not in page.text
    assert [r.url.path for r in apis.seen] == ["/v1/records"]  # intake's consents not asked
