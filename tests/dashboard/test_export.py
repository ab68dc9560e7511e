"""GET /export.csv over ASGI, on SQLite and PostgreSQL: the table of the view in the query string."""

from __future__ import annotations

import csv
import io

from dashboard_seed import CENTRE

TUESDAY = f"centre={CENTRE}&from=2026-11-03&to=2026-11-03"


def signed_in(client, key):
    response = client.post("/login", data={"key": key, "next": "/"})
    assert response.status_code == 303, response.text
    return client


def test_queue_table_as_csv_with_the_view_filters(client, keys):
    signed_in(client, keys.read)
    response = client.get(f"/export.csv?table=queues&{TUESDAY}&queue=support")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["queue", "Contacts offered [n]", "Contacts answered [n]", "Service level [%]"]
    # support on Tuesday: c3 answered in 5 s, c4 abandoned → 1 of 2 fast, ASA 5 s, abandon 1 of 2,
    # AHT 300 talk + 60 ACW
    assert rows[1:] == [["support", "2", "1", "50.0", "5.0", "50.0", "360.0"]]


def test_unknown_table_names_the_choices(client, keys):
    signed_in(client, keys.read)
    response = client.get(f"/export.csv?table=teams&{TUESDAY}")
    assert response.status_code == 400
    assert "table = &#39;teams&#39;: expected one of queues, agents" in response.text


def test_export_needs_a_session(client, keys):
    response = client.get(f"/export.csv?table=queues&{TUESDAY}")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/export.csv")


def test_scripts_export_with_a_bearer_key_instead_of_a_session(client, keys):
    response = client.get(f"/export.csv?table=agents&{TUESDAY}", headers={"Authorization": f"Bearer {keys.read}"})
    assert response.status_code == 200
    assert response.text.splitlines()[1].startswith("a1,2,")  # Anna answered c1 and c3
    refused = client.get(f"/export.csv?table=agents&{TUESDAY}", headers={"Authorization": f"Bearer {keys.ingest}"})
    assert refused.status_code == 303  # an ingest key may not view: to the login page
