"""All configuration in one place: environment variables prefixed ``PHEU_`` with safe defaults.

The defaults make ``pheu demo`` work on a fresh machine with nothing set: an SQLite file in the working
folder, Vietnamese as the interface language, Ho Chi Minh City time.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PHEU_", env_file=None, extra="ignore")

    database_url: str = "sqlite:///pheu.db"
    # A fresh random key per process is safe (sessions just end on restart); set one in production so
    # several web processes accept each other's cookies.
    secret_key: str = secrets.token_urlsafe(32)
    default_locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    session_max_age_seconds: int = 60 * 60 * 12
    https_only_cookies: bool = False
    # Ads lead webhooks. A provider whose secret is empty refuses every delivery with 503: a signature keyed
    # with "" proves nothing. The Page access token (leads_retrieval) reads Facebook leads from Graph.
    facebook_app_secret: str = ""
    facebook_verify_token: str = ""
    facebook_page_access_token: str = ""
    facebook_graph_version: str = "v21.0"
    tiktok_app_secret: str = ""
    zalo_app_id: str = ""
    zalo_oa_secret_key: str = ""
    # Mail for notifications (assignment, breached deadlines). Off while the host is empty; in-app
    # notifications work either way. ``base_url`` makes the links in mails absolute.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "Phễu <pheu@localhost>"
    smtp_starttls: bool = False
    base_url: str = "http://127.0.0.1:8000"
    # The web app's background hand-off loop (retry waiting leads, escalate breaches, send mail); 0 turns it
    # off, e.g. when cron runs ``pheu handoff tick`` instead.
    handoff_tick_seconds: int = 60
    # "queued": the web process answers a form submission once it is stored, and a lander process lands it
    # (``pheu serve`` and ``pheu demo`` set this); "inline": landed before the answer, in the web process.
    form_landing: Literal["inline", "queued"] = "inline"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
