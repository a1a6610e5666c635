"""No lost updates: where parallel branches meet, each branch's changes since the split are applied."""
from __future__ import annotations

import pytest

from tests.casefile.conftest import complete, deploy
from tests.casefile.models import multi_instance, split_join
from tests.factories import case_variables


def _open(api, user, case_id):
    return {t["element_id"]: t for t in api.as_(user).tasks(instance_id=case_id)}


@pytest.mark.parametrize("abh_first", [True, False])
def test_parallel_offices_keep_both_values_in_either_order(api, casefile_world, abh_first):
    assert deploy(api, split_join("parallel_offices")).status_code == 201
    case = api.start("parallel_offices", "AZ-P-1", {"shared": "alt"}).get_json()
    abh, jc = _open(api, "abh", case["id"])["ut_abh"], _open(api, "jc", case["id"])["ut_jc"]
    steps = [("abh", abh["id"], {"shared": "neu"}), ("jc", jc["id"], {"leistung": "SGB II"})]
    for user, task_id, data in (steps if abh_first else reversed(steps)):
        complete(api, user, task_id, data)
    variables = case_variables(case["id"])
    assert variables["shared"] == "neu" and variables["leistung"] == "SGB II"
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    assert "data_conflict" not in [e["kind"] for e in trail]


def test_two_offices_changing_the_same_key_is_a_recorded_conflict_shown_to_leads(api, casefile_world):
    deploy(api, split_join("parallel_clash"))
    case = api.start("parallel_clash", "AZ-P-2", {"shared": "alt"}).get_json()
    abh, jc = _open(api, "abh", case["id"])["ut_abh"], _open(api, "jc", case["id"])["ut_jc"]
    complete(api, "abh", abh["id"], {"shared": "von ABH"})
    complete(api, "jc", jc["id"], {"shared": "vom Jobcenter"})
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    [conflict] = [e for e in trail if e["kind"] == "data_conflict"]
    assert conflict["details"]["key"] == "shared" and conflict["element_id"] == "join"
    assert conflict["details"]["offices"] == ["Ausländerbehörde", "Jobcenter"]
    assert conflict["payload"] is None  # the values are case content: not for a supervisor
    lead_view = api.as_("abh_lead").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    [seen] = [e for e in lead_view if e["kind"] == "data_conflict"]
    assert seen["payload"] == {"key": "shared", "first": "von ABH", "second": "vom Jobcenter"}
    assert case_variables(case["id"])["shared"] == "vom Jobcenter"  # recorded, the later change stands


def test_an_inclusive_gateway_taking_both_paths_keeps_both_changes(api, casefile_world):
    assert deploy(api, split_join("inclusive_offices", "inclusiveGateway",
                                  ("abh_noetig == True", "jc_noetig == True"))).status_code == 201
    case = api.start("inclusive_offices", "AZ-P-3", {"shared": "alt", "abh_noetig": True,
                                                      "jc_noetig": True}).get_json()
    abh, jc = _open(api, "abh", case["id"])["ut_abh"], _open(api, "jc", case["id"])["ut_jc"]
    complete(api, "abh", abh["id"], {"shared": "neu"})
    complete(api, "jc", jc["id"], {"leistung": "SGB XII"})
    variables = case_variables(case["id"])
    assert variables["shared"] == "neu" and variables["leistung"] == "SGB XII"
    assert "ut_ende" in _open(api, "abh", case["id"])


def test_a_parallel_multi_instance_keeps_every_instances_change(api, casefile_world):
    assert deploy(api, multi_instance("mi_offices")).status_code == 201
    case = api.start("mi_offices", "AZ-P-4", {"shared": "alt"}, user="jc").get_json()
    first, second = sorted((t for t in api.as_("jc").tasks(instance_id=case["id"])), key=lambda t: t["id"])
    complete(api, "jc", first["id"], {"shared": "neu", "a": 1})
    complete(api, "jc", second["id"], {"b": 2, "x": "zwei"})
    variables = case_variables(case["id"])
    assert (variables["shared"], variables["a"], variables["b"]) == ("neu", 1, 2)
