"""The board: each stage of a pipeline as a column of its most recently moved leads."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from pheu.db import unit_of_work
from pheu.lifecycle import LeadKind
from pheu.services import stages
from pheu.web.auth import CurrentViewer, Viewer
from pheu.web.errors import PageRoute
from pheu.web.templating import render

router = APIRouter(route_class=PageRoute)
CARDS_PER_COLUMN: Final = 20


def board_context(session: Session, viewer: Viewer, kind: LeadKind) -> dict[str, Any]:
    columns = stages.board(session, viewer.principal, kind, per_stage=CARDS_PER_COLUMN)
    return {"columns": columns, "kind": kind.value, "section": "board"}


@router.get("/board")
def board_page(request: Request, viewer: CurrentViewer) -> Response:
    kind = LeadKind.RECRUITMENT if request.query_params.get("kind") == "recruitment" else LeadKind.SALES
    with unit_of_work(request.app.state.db_url) as session:
        return render(request, "board/board.html", board_context(session, viewer, kind))
