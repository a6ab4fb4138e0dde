"""The scoring model pages on SQLite and PostgreSQL: the list, the editor saving a copy as a new version,
bad input refused with nothing stored, the backtest, switching models, and who may do what."""

from __future__ import annotations

import re

from sqlalchemy import select

from pheu.db import unit_of_work
from pheu.lifecycle import Stage
from pheu.services.scoring import parse
from pheu.store import Lead, ScoringModelVersion, StageChange
from tests.score_web.conftest import Login, Scored, versions


def _model(url: str, model_id: int) -> ScoringModelVersion:
    with unit_of_work(url) as session:
        row = session.get(ScoringModelVersion, model_id)
        assert row is not None
        session.expunge(row)
        return row


def _edit_form(client: object, **changes: str) -> dict[str, str]:
    """The editor's form as the page serves it (every input with its value), with ``changes`` applied."""
    html = client.get("/scoring/edit").text  # type: ignore[attr-defined]
    form = html[html.index('id="model-form"') : html.index('id="edit-yaml-pane"')]
    fields = dict(re.findall(r'name="([^"]+)"\s+value="([^"]*)"', form))
    fields.update(changes)
    return fields


def test_the_scoring_page_shows_the_active_model_and_its_versions(scored: Scored, login: Login) -> None:
    marketer = login("marketer@pheu.test")
    page = marketer.get("/scoring")
    assert page.status_code == 200
    assert "mac-dinh v1" in page.text and "data-active" in page.text
    assert "Xem bảng giá" in page.text  # a behaviour rule, readable
    assert 'href="/scoring/edit"' in page.text
    english = marketer.get("/scoring?lang=en").text
    assert "Active model: mac-dinh v1" in english and "Viewed the pricing page" in english
    download = marketer.get("/scoring/export")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert parse(download.text).label == "mac-dinh v1"


def test_saving_the_editor_stores_a_new_inactive_version_and_keeps_the_old_one(
    scored: Scored, login: Login
) -> None:
    marketer = login("marketer@pheu.test")
    form = _edit_form(
        marketer, **{"points__mo-email": "7", "half_life__mo-email": "", "min_score__mql": "30"}
    )
    form["remove__xem-trang"] = "1"
    saved = marketer.post("/scoring/edit", data=form)
    assert saved.status_code == 303, saved.text
    new_id = int(saved.headers["location"].split("/")[3])
    assert saved.headers["location"] == f"/scoring/models/{new_id}/backtest"
    assert versions(scored.url) == [
        (scored.default_id, "mac-dinh", 1, True),
        (new_id, "mac-dinh", 2, False),
    ]
    model = parse(_model(scored.url, new_id).yaml)
    opens = next(r for r in model.behaviour_rules if r.id == "mo-email")
    assert (opens.points, opens.half_life_days, opens.cap) == (7, None, 10)
    assert "xem-trang" not in {r.id for r in model.behaviour_rules}
    mql = model.stage_rule(Stage.MQL)
    assert mql is not None and mql.min_score == 30
    old = parse(_model(scored.url, scored.default_id).yaml)
    assert next(r for r in old.behaviour_rules if r.id == "mo-email").points == 2


def test_a_wrong_number_is_shown_next_to_its_input_and_nothing_is_stored(
    scored: Scored, login: Login
) -> None:
    marketer = login("marketer@pheu.test")
    form = _edit_form(marketer, **{"points__mo-email": "nhiều", "cap__xem-bang-gia": "3"})
    refused = marketer.post("/scoring/edit", data=form)
    assert refused.status_code == 422
    assert 'id="points__mo-email-error"' in refused.text
    assert 'value="nhiều"' in refused.text  # what was typed stays
    assert versions(scored.url) == [(scored.default_id, "mac-dinh", 1, True)]
    form["points__mo-email"] = "2"
    refused = marketer.post("/scoring/edit", data=form)
    assert refused.status_code == 422
    assert 'id="cap__xem-bang-gia-error"' in refused.text  # the model's own check, placed at its input
    form["cap__xem-bang-gia"] = "24"
    form["hot_at"] = "10"  # below warm: a check across the model, placed at its input too
    refused = marketer.post("/scoring/edit", data=form)
    assert refused.status_code == 422
    assert 'id="hot_at-error"' in refused.text
    assert len(versions(scored.url)) == 1


def test_bad_yaml_is_refused_with_where_each_problem_is(scored: Scored, login: Login) -> None:
    marketer = login("marketer@pheu.test")
    html = marketer.get("/scoring/edit").text
    text = re.search(r'<textarea[^>]*id="yaml"[^>]*>(.*?)</textarea>', html, re.S)
    assert text is not None and "version: 2" in text.group(1)
    broken = (
        text.group(1)
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&#34;", '"')
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )
    broken = broken.replace("points: 15", "pionts: 15", 1)
    refused = marketer.post(
        "/scoring/edit",
        data={"csrf_token": marketer.csrf, "mode": "yaml", "from": "", "yaml": broken},  # type: ignore[attr-defined]
    )
    assert refused.status_code == 422
    assert (
        "quy tắc phù hợp &#39;nguoi-quyet-dinh&#39;, pionts: thiết lập không có trong mô hình."
        in refused.text
    )
    upload = marketer.post(
        "/scoring/upload",
        data={"csrf_token": marketer.csrf},  # type: ignore[attr-defined]
        files={"file": ("model.yaml", b"name: x\nversion: [1\n", "application/yaml")},
    )
    assert upload.status_code == 422
    assert "tệp không phải YAML hợp lệ" in upload.text and "line 2" in upload.text
    assert len(versions(scored.url)) == 1
    fixed = broken.replace("pionts: 15", "points: 15")
    stored = marketer.post(
        "/scoring/upload",
        data={"csrf_token": marketer.csrf},  # type: ignore[attr-defined]
        files={"file": ("model.yaml", fixed.encode(), "application/yaml")},
    )
    assert stored.status_code == 303
    assert [v[2:] for v in versions(scored.url)] == [(1, True), (2, False)]


def test_backtest_shows_both_models_side_by_side(scored: Scored, login: Login) -> None:
    marketer = login("marketer@pheu.test")
    page = marketer.get(f"/scoring/models/{scored.default_id}/backtest")
    assert page.status_code == 200 and 'id="run-backtest"' in page.text
    result = marketer.get(
        f"/scoring/models/{scored.default_id}/backtest?run=1", headers={"HX-Request": "true"}
    )
    assert result.status_code == 200
    assert "<html" not in result.text  # the fragment HTMX swaps in
    for measure in ("roc_auc", "top_decile_lift", "mqls", "sqls", "mql_to_sql", "sql_to_customer"):
        assert f'data-measure="{measure}"' in result.text
    assert 'id="backtest-months"' in result.text and 'id="backtest-data"' in result.text


def test_activating_a_version_rescores_every_lead_and_the_model_moves_them(
    scored: Scored, login: Login
) -> None:
    marketer = login("marketer@pheu.test")
    anh = scored.pipeline.anh_id
    with unit_of_work(scored.url) as session:
        before = session.get(Lead, anh)
        assert before is not None and before.stage == Stage.IQL.value
    saved = marketer.post(
        "/scoring/edit", data=_edit_form(marketer, **{"min_score__mql": "20", "points__mo-email": "5"})
    )
    new_id = int(saved.headers["location"].split("/")[3])
    done = marketer.post(f"/scoring/models/{new_id}/activate", data={"csrf_token": marketer.csrf})  # type: ignore[attr-defined]
    assert done.status_code == 303 and done.headers["location"] == "/scoring"
    toast = marketer.get("/scoring").text
    assert "mac-dinh v2" in toast
    assert [v[3] for v in versions(scored.url)] == [False, True]
    with unit_of_work(scored.url) as session:
        lead = session.get(Lead, anh)
        assert lead is not None
        assert (lead.stage, lead.score_model_id) == (Stage.MQL.value, new_id)
        assert 25 <= lead.score <= 30  # 25 fit points, and the email open's 5 fading since it happened
        move = session.scalars(
            select(StageChange).where(StageChange.lead_id == anh).order_by(StageChange.id.desc())
        ).first()
        assert move is not None and move.actor_label == "model mac-dinh v2"
    assert re.search(
        r"đã chấm lại 4 khách hàng tiềm năng, \d+ điểm thay đổi, [1-9]\d* chuyển sang giai đoạn mới", toast
    )
    lead_page = marketer.get(f"/leads/{anh}").text
    assert "model mac-dinh v2" in lead_page or "mac-dinh v2" in lead_page


def test_only_admins_and_marketers_change_models(scored: Scored, login: Login) -> None:
    for email in ("rep1@pheu.test", "manager@pheu.test"):
        client = login(email)
        page = client.get("/scoring")
        assert page.status_code == 200
        assert "/scoring/edit" not in page.text and 'action="/scoring/upload"' not in page.text
        token = {"csrf_token": client.csrf}  # type: ignore[attr-defined]
        assert client.get("/scoring/edit").status_code == 403
        assert client.post("/scoring/edit", data={**token, "mode": "yaml", "yaml": "x"}).status_code == 403
        assert client.get(f"/scoring/models/{scored.default_id}/backtest?run=1").status_code == 403
        assert client.post(f"/scoring/models/{scored.default_id}/activate", data=token).status_code == 403
        upload = client.post("/scoring/upload", data=token, files={"file": ("m.yaml", b"x", "text/yaml")})
        assert upload.status_code == 403
    admin = login("admin@pheu.test")
    assert admin.get("/scoring/edit").status_code == 200
    no_token = admin.post(f"/scoring/models/{scored.default_id}/activate")
    assert no_token.status_code == 403  # CSRF
    assert len(versions(scored.url)) == 1
