"""The lead list: open work by default (web and API), Hot keeps to it, Score sorts highest
first, and the list says how many it holds (counted up to a cap, never the whole table)."""

from __future__ import annotations

from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from pipewise.leads.models import Lead
from pipewise.leads.services import lead_change_status, lead_convert, lead_create
from pipewise.web.lists import capped_count, count_label, keyset_page


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def book(people, sales):
    """Besides the AE's warm lead Max Bauer: a hot disqualified one and a hot converted one."""
    gone = lead_create(by=people.ae, last_name="Gone", company="Gone GmbH", rating="hot")
    lead_change_status(lead=gone, by=people.ae, to_status="disqualified", reason="No budget")
    won = lead_create(by=people.ae, last_name="Signed", company="Signed AG", rating="hot")
    lead_convert(lead=won, by=people.ae, create_opportunity=False)
    hot = lead_create(by=people.ae, last_name="Eager", company="Eager KG", rating="hot")
    return gone, won, hot


def test_it_lists_the_open_leads_by_default_and_says_how_many(sales, people):
    book(people, sales)
    html = signed_in(people.ae).get("/leads/").content.decode()
    assert "Max Bauer" in html and "Eager" in html
    assert "Gone GmbH" not in html and "Signed AG" not in html
    assert "data-list-count>2 open leads<" in html
    assert '<option value="" selected>Open (new, working, qualified)</option>' in html
    every = signed_in(people.ae).get("/leads/", {"status": "any"}).content.decode()
    assert "Gone GmbH" in every and "data-list-count>4 leads<" in every
    converted = signed_in(people.ae).get("/leads/", {"status": "converted"}).content.decode()
    assert "Signed AG" in converted and "data-list-count>1 converted lead<" in converted


def test_it_keeps_the_hot_filter_to_open_leads_unless_status_asks(sales, people):
    book(people, sales)
    client = signed_in(people.ae)
    hot = client.get("/leads/", {"rating": "hot", "status": ""}).content.decode()
    assert "Eager" in hot and "Gone GmbH" not in hot and "Signed AG" not in hot
    asked = client.get("/leads/", {"rating": "hot", "status": "disqualified"}).content.decode()
    assert "Gone GmbH" in asked and "Eager" not in asked


def test_it_lists_open_leads_in_the_api_unless_asked(api, people, sales):
    gone, won, hot = book(people, sales)
    client = api.as_user(people.ae)

    def listed(**params):
        response = client.get("/api/v1/leads/", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert listed(rating="hot") == {hot.pk}
    assert listed(status="any", rating="hot") == {gone.pk, won.pk, hot.pk}
    assert client.get(f"/api/v1/leads/{won.pk}/").status_code == 200


def test_it_sorts_by_score_highest_first_on_the_first_click_with_unscored_leads_last(sales, people):
    for name, score in (("Low", 10), ("None", None), ("High", 90)):
        lead_create(by=people.ae, last_name=name, company=f"{name} Co", score=score)
    client = signed_in(people.ae)
    html = client.get("/leads/").content.decode()
    assert 'href="?sort=-score"' in html
    rows = client.get("/leads/", {"sort": "-score"}).context["page"].rows
    assert [lead.last_name for lead in rows][:2] == ["High", "Low"]
    assert rows[-1].score is None
    html = client.get("/leads/", {"sort": "-score"}).content.decode()
    assert 'href="?sort=score"' in html  # the second click turns the order round


def test_it_pages_back_through_a_descending_sort_with_empty_values(sales, people):
    for index in range(7):
        lead_create(by=people.ae, last_name=f"L{index}", score=index * 10 if index % 2 else None)
    leads, sorts = Lead.objects.all(), {"score": ("Score", "score")}
    whole = keyset_page(_request(sort="-score"), leads, sort_options=sorts, size=50).rows
    first = keyset_page(_request(sort="-score"), leads, sort_options=sorts, size=3)
    second = keyset_page(
        _request(sort="-score", after=first.next_cursor), leads, sort_options=sorts, size=3
    )
    back = keyset_page(
        _request(sort="-score", before=second.prev_cursor), leads, sort_options=sorts, size=3
    )
    assert [lead.pk for lead in first.rows + second.rows] == [lead.pk for lead in whole[:6]]
    assert [lead.pk for lead in back.rows] == [lead.pk for lead in first.rows]
    scores = [lead.score for lead in whole]
    assert scores == sorted(filter(None, scores), reverse=True) + [None] * scores.count(None)


def _request(**params):
    return RequestFactory().get("/leads/", params)


def test_it_counts_up_to_the_cap_with_one_bounded_query(sales, people):
    for index in range(4):
        lead_create(by=people.ae, last_name=f"Many {index}")
    leads = Lead.objects.all()
    with CaptureQueriesContext(connection) as queries:
        counted = capped_count(leads, cap=2)
    assert counted == 3 and len(queries) == 1 and "LIMIT 3" in queries[0]["sql"]
    assert count_label(counted, "open lead", cap=2) == "2+ open leads"
    assert count_label(1, "open lead") == "1 open lead"
    assert count_label(capped_count(leads), "lead") == f"{leads.count():,} leads"


def test_it_counts_a_list_of_one_page_from_the_page_itself(sales, people):
    client = signed_in(people.ae)
    client.get("/leads/")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/leads/").content.decode()
    assert "data-list-count>1 open lead<" in html
    assert not any("COUNT(" in query["sql"] for query in queries)
