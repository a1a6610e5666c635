"""Hostile input from the adversarial round answers 422 naming the field, and the case stays readable."""
from __future__ import annotations

import json

from tests.api.test_case_flow import GOOD, _setup


def _post_raw(api, user, path, raw: str):
    return api.client.post(path, data=raw.encode("utf-8"), content_type="application/json",
                           headers={"Authorization": f"Bearer {api.world.tokens[user]}"})


def test_ids_and_offsets_beyond_32_bits_are_422_naming_the_parameter(api):
    for path in ("/api/tasks/2147483648", "/api/instances/99999999999999999999", "/api/definitions/2147483648"):
        response = api.get(path)
        assert response.status_code == 422, (path, response.get_json())
        assert response.get_json()["code"] == "invalid"
        assert "out of range" in response.get_json()["message"]
    response = api.get("/api/instances", query_string={"offset": str(2**63)})
    assert response.status_code == 422
    assert "offset" in response.get_json()["details"]["fields"]["query"]
    assert api.get("/api/tasks/2147483647").status_code == 404  # the largest id is simply not there


def test_nul_bytes_and_lone_surrogates_are_422_naming_the_field(api):
    _setup(api)
    response = api.start("aufenthalt_leistung", "a\x00b")
    assert response.status_code == 422
    assert response.get_json()["details"] == {"field": "body.business_key"}
    response = _post_raw(api, "abh", "/api/instances",
                         '{"process_key": "aufenthalt_leistung", "business_key": "AZ-1", "data": {"x": "\\ud800"}}')
    assert response.status_code == 422 and "surrogate" in response.get_json()["message"]
    assert response.get_json()["details"] == {"field": "body.data.x"}
    assert api.get("/api/instances", query_string={"business_key": "a\x00"}).status_code == 422
    assert api.get("/api/instances").get_json()["total"] == 0  # nothing half-written


def test_deeply_nested_completion_data_is_refused_and_the_case_stays_readable(api):
    _setup(api)
    case = api.start("aufenthalt_leistung", "AZ-DEEP").get_json()
    task = case["active_tasks"][0]
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/claim").status_code == 200
    deep = "[" * 600 + "]" * 600
    response = _post_raw(api, "abh", f"/api/tasks/{task['id']}/complete",
                         json.dumps({"data": {**GOOD, "notiz": "PLACEHOLDER"}}).replace('"PLACEHOLDER"', deep))
    assert response.status_code == 422 and "nested deeper" in response.get_json()["message"]
    very_deep = "[" * 100_000 + "]" * 100_000  # beyond Python's recursion limit: refused before parsing
    assert _post_raw(api, "abh", f"/api/tasks/{task['id']}/complete", very_deep).status_code == 422
    assert api.as_("abh").get(f"/api/instances/{case['id']}").status_code == 200
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/complete", {"data": GOOD}).status_code == 200


def test_non_finite_numbers_and_huge_integers_in_data_are_refused(api):
    _setup(api)
    raw = '{"process_key": "aufenthalt_leistung", "business_key": "AZ-N", "data": {"n": NaN}}'
    assert _post_raw(api, "abh", "/api/instances", raw).get_json()["details"] == {"field": "body.data.n"}
    raw = '{"process_key": "aufenthalt_leistung", "business_key": "AZ-N", "data": {"n": ' + str(2**70) + "}}"
    assert _post_raw(api, "abh", "/api/instances", raw).status_code == 422
