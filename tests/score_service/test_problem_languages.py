"""A refused scoring model explained in the caller's language, on SQLite and PostgreSQL: the API's problem
details (``Accept-Language``; English by default) list every problem with its code, params and both texts,
and the editor page shows them in the person's language. Nothing is stored either way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pheu.auth.roles import Role
from pheu.score import default_model, to_yaml
from pheu.web.app import create_app
from tests.conftest import NOW
from tests.factories import add_channels, add_user, api_token
from tests.score_web.conftest import build_scored, versions
from tests.web.conftest import log_in

BROKEN = (
    to_yaml(default_model())
    .replace("points: 15", "pionts: 15", 1)
    .replace("hot_at: 70", "hot_at: [70]")
    .replace("version: 1", "version: 2")
)


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[TestClient, str]]:
    add_channels(db_url)
    add_user(db_url, "mkt@x.vn", Role.MARKETING, NOW)
    with TestClient(create_app(db_url)) as client:
        yield client, api_token(db_url, "mkt@x.vn", ["leads:read", "leads:write"], NOW)


def _post(client: TestClient, token: str, path: str, **headers: str) -> dict[str, object]:
    r = client.post(
        path,
        content=BROKEN,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/yaml", **headers},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = r.json()
    return body


def test_the_api_lists_every_problem_in_english_by_default_and_in_vietnamese_on_request(
    db_url: str, api: tuple[TestClient, str]
) -> None:
    client, token = api
    english = _post(client, token, "/api/v1/scoring/models")
    assert english["code"] == "invalid_model" and english["status"] == 422
    assert english["type"] == "https://pheu.dev/problems/invalid-model"
    assert english["instance"] == "/api/v1/scoring/models"
    detail = str(english["detail"])
    assert detail.startswith("The scoring model has 3 problem(s): ")
    assert "fit rule 'nguoi-quyet-dinh', pionts: unknown setting." in detail
    errors = english["errors"]
    assert isinstance(errors, list) and len(errors) == 3
    by_code = {e["code"]: e for e in errors}
    assert set(by_code) == {"unknown_setting", "number_needed", "not_a_number"}
    unknown = by_code["unknown_setting"]
    assert (unknown["where"], unknown["field"]) == ("fit rule 'nguoi-quyet-dinh'", "pionts")
    assert unknown["message"] == unknown["en"] and unknown["message"].startswith(
        "fit rule 'nguoi-quyet-dinh', pionts: unknown setting."
    )
    assert unknown["vi"].startswith("quy tắc phù hợp 'nguoi-quyet-dinh', pionts: thiết lập không có")
    assert by_code["not_a_number"]["params"] == {"value": "[70]", "example": "10"}
    vietnamese = _post(
        client, token, "/api/v1/scoring/models", **{"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}
    )
    assert str(vietnamese["detail"]).startswith("Mô hình chấm điểm có 3 vấn đề: ")
    assert "hot_at: [70] không phải là số. Chấp nhận: một số, ví dụ 10." in str(vietnamese["detail"])
    vi_errors = vietnamese["errors"]
    assert isinstance(vi_errors, list)
    assert [e["message"] for e in vi_errors] == [e["vi"] for e in errors]
    assert [e["code"] for e in vi_errors] == [e["code"] for e in errors]
    backtest = _post(client, token, "/api/v1/scoring/backtest", **{"Accept-Language": "fr, vi"})
    assert backtest["code"] == "invalid_model" and str(backtest["detail"]).startswith("Mô hình chấm điểm")
    assert versions(db_url) == []


def test_the_editor_shows_problems_in_the_persons_language(db_url: str) -> None:
    scored = build_scored(db_url)
    with TestClient(create_app(db_url), follow_redirects=False) as client:
        token = log_in(client, "marketer@pheu.test")
        form = {"csrf_token": token, "mode": "yaml", "from": "", "yaml": BROKEN}
        vi = client.post("/scoring/edit", data=form)
        assert vi.status_code == 422
        assert "Chưa lưu mô hình:" in vi.text  # the heading and the lines under it, in one language
        assert "hot_at: [70] không phải là số. Chấp nhận: một số, ví dụ 10." in vi.text
        en = client.post("/scoring/edit?lang=en", data=form)
        assert en.status_code == 422
        assert "The model was not saved:" in en.text
        assert "temperature, hot_at: [70] is not a number. Accepted: a number such as 10." in en.text
        upload = client.post(
            "/scoring/upload?lang=en",
            data={"csrf_token": token},
            files={"file": ("model.yaml", BROKEN.encode(), "application/yaml")},
        )
        assert upload.status_code == 422 and "pionts: unknown setting." in upload.text
    assert len(versions(scored.url)) == 1
