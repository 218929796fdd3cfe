"""Settings from the environment or a `.env` file (pydantic-settings).

This module imports nothing from the project: every package may depend on it. Secrets (Neo4j password,
pseudonymisation key, API bootstrap key, webhook secret) are read here and nowhere else.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Neo4j. Leave NEO4J_URI unset to use the embedded server that `vivier db start` runs.
    neo4j_uri: str | None = Field(default=None, alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", alias="NEO4J_USER")
    neo4j_password: SecretStr = Field(default=SecretStr(""), alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", alias="NEO4J_DATABASE")
    embedded_bolt_port: int = Field(default=7687, alias="VIVIER_BOLT_PORT")
    embedded_heap: str = Field(default="2g", alias="VIVIER_NEO4J_HEAP")
    embedded_pagecache: str = Field(default="2g", alias="VIVIER_NEO4J_PAGECACHE")

    # Where Vivier keeps its runtime state: Neo4j store, models, logs, rejects, reports.
    data_dir: Path = Field(default=REPO_ROOT / "var", alias="VIVIER_DATA_DIR")

    # Keyed HMAC for candidate pseudonyms. The default is for local demos only; set it in production.
    pseudonym_key: SecretStr = Field(default=SecretStr("vivier-local-demo-key"), alias="VIVIER_PSEUDONYM_KEY")
    # Signs webhook deliveries (HMAC-SHA256).
    webhook_secret: SecretStr = Field(default=SecretStr("vivier-local-webhook-secret"), alias="VIVIER_WEBHOOK_SECRET")
    # Webhooks may point at loopback or private addresses (tests, a receiver on the same network). Off: a webhook
    # URL could otherwise make the server call internal services (server-side request forgery).
    webhook_allow_private: bool = Field(default=False, alias="VIVIER_WEBHOOK_ALLOW_PRIVATE")
    # How often each API process reads the revision counters and the active API keys (api/freshness.py): a key
    # revoked, a candidate erased or regraded, an offer rewritten by another process counts within this delay.
    # 0: check them against Neo4j on every request instead (one round trip more per request).
    freshness_ms: int = Field(default=100, ge=0, alias="VIVIER_FRESHNESS_MS")
    # Once the model is loaded, move everything then alive out of the garbage collector's reach (`gc.freeze`):
    # its full passes over the model's and libraries' objects stalled every request thread for ~300 ms.
    gc_freeze: bool = Field(default=True, alias="VIVIER_GC_FREEZE")
    # glibc's malloc arenas an API process may use (`mallopt(M_ARENA_MAX)`; 0: glibc's default, 8 per core). Each
    # request thread otherwise gets an arena of its own, and memory freed in one is not reused by the others: under
    # mixed traffic RSS grew 162 MB/min with the default and stayed flat with 2 (docs/api.md, Load).
    malloc_arenas: int = Field(default=2, ge=0, alias="VIVIER_MALLOC_ARENAS")
    # Every this many seconds an API process gives the free pages inside glibc's heaps back to the system
    # (`malloc_trim(0)`, tens of milliseconds on a 2 GB heap); 0: never (docs/api.md, Load).
    malloc_trim_s: float = Field(default=60.0, ge=0, alias="VIVIER_MALLOC_TRIM_S")
    # For finding a leak under load (api/memory.py): append a JSON line of the API process's memory (resident,
    # glibc's heap, the caches' entries) to this file every `VIVIER_MEMORY_LOG_S` seconds. Unset: off.
    memory_log: Path | None = Field(default=None, alias="VIVIER_MEMORY_LOG")
    memory_log_s: float = Field(default=10.0, gt=0, alias="VIVIER_MEMORY_LOG_S")
    # With the memory log: trace Python's allocations (tracemalloc, this many frames each; slows the server) and
    # log the sites that grew most. 0: off.
    memory_trace_frames: int = Field(default=0, ge=0, alias="VIVIER_MEMORY_TRACE")
    # How long the served-recommendation log is kept before `vivier audit purge-logs` deletes it: at least six
    # months (AI Act art. 26(6), a deployer's logs), longer where the deployer's own rules say so.
    log_retention_days: int = Field(default=183, ge=183, alias="VIVIER_LOG_RETENTION_DAYS")

    # Abuse limits of the API (docs/api.md, Limits). Per API key (or per client address without a key), in the
    # `limits` library's notation: several windows separated by ';'. Over it: 429 with Retry-After. The default
    # lets one client key sustain the 200 requests/s of the load benchmark (issue 15), bursts of 300.
    api_rate_limit: str = Field(default="300/second;15000/minute", alias="VIVIER_API_RATE_LIMIT")
    # Bad API keys from one client address: after this many within the back-off window, that address waits
    # (429 + Retry-After) before its next unknown key is even checked: 1 s, then doubling up to the cap.
    api_bad_keys_allowed: int = Field(default=10, ge=1, alias="VIVIER_API_BAD_KEYS_ALLOWED")
    api_bad_key_window_s: int = Field(default=600, ge=1, alias="VIVIER_API_BAD_KEY_WINDOW_S")
    api_bad_key_max_wait_s: int = Field(default=900, ge=1, alias="VIVIER_API_BAD_KEY_MAX_WAIT_S")
    # Browsers' origins allowed to call the API (CORS), comma-separated; empty: CORS closed (no header is sent).
    api_cors_origins: str = Field(default="", alias="VIVIER_API_CORS_ORIGINS")
    # The API is served behind TLS (a reverse proxy terminating https): send Strict-Transport-Security.
    api_behind_tls: bool = Field(default=False, alias="VIVIER_API_BEHIND_TLS")

    # Processes for the text work (`loaders.forked`): reading CVs and offers when a dataset folder is loaded
    # (`vivier load dataset`, the demo), and training's text features past 4,000 texts of a node type (`vivier
    # train`); 0: one per core. The statistical text steps are CPU-bound and Neo4j waits for them, so every core
    # helps; 1 reads everything in the calling process (and shows a worker's error where it happened).
    load_processes: int = Field(default=0, ge=0, alias="VIVIER_LOAD_PROCESSES")

    # Uploaded CVs (loaders/cvs.py): refused with 413 over any of these, before their text is read in full.
    cv_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, alias="VIVIER_CV_MAX_BYTES")
    cv_max_pages: int = Field(default=40, ge=1, alias="VIVIER_CV_MAX_PAGES")
    # A DOCX is a zip: its members' total uncompressed size, and each member's compression ratio (zip bombs).
    cv_max_uncompressed_bytes: int = Field(default=50 * 1024 * 1024, ge=1, alias="VIVIER_CV_MAX_UNCOMPRESSED_BYTES")
    cv_max_compression_ratio: int = Field(default=200, ge=1, alias="VIVIER_CV_MAX_COMPRESSION_RATIO")
    # A PDF's decoded streams (content, object streams): the most one stream may inflate to.
    cv_max_pdf_stream_bytes: int = Field(default=20 * 1024 * 1024, ge=1, alias="VIVIER_CV_MAX_PDF_STREAM_BYTES")

    @property
    def load_process_count(self) -> int:
        return self.load_processes or os.cpu_count() or 1

    @property
    def embedded_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.embedded_bolt_port}"

    @property
    def effective_uri(self) -> str:
        return self.neo4j_uri or self.embedded_uri

    @property
    def uses_embedded(self) -> bool:
        return self.neo4j_uri is None

    @property
    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.api_cors_origins.split(",") if origin.strip()]

    def auth(self) -> tuple[str, str] | None:
        password = self.neo4j_password.get_secret_value()
        return (self.neo4j_user, password) if password else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
