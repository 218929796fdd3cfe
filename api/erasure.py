"""GDPR erasure that leaves nothing behind: Neo4j (graph/erasure.py), every stored model version
(gnn/artifacts.py), the candidate's row of the audit's sensitive-attributes file (audit/attributes.py), the text
files under the data directory (rejects, reports), and the model in the memory of
every API process: this one at once, the others within one freshness poll, from the tombstone (a keyed hash of the
id, `digest`) that the erasure records.

Neo4j's own store files and transaction logs keep deleted records until they are overwritten or rotated away: the
one exception, with its retention, in docs/api.md (*Erasure*).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from audit.attributes import erase_attributes
from graph import erasure
from graph.db import Database
from vivier.settings import get_settings

log = logging.getLogger("vivier.api.erasure")

# Folders of the data directory that erasure does not rewrite: Neo4j's store (deleted through Cypher, the store's
# internals documented apart) and the ontology (repertories: no candidate in it). `models/` has its own rewrite.
_NOT_SCRUBBED = ("neo4j", "ontology", "models")
# Files read as text and rewritten without the id; anything else is checked and reported if it mentions it.
_TEXT_SUFFIXES = (".jsonl", ".json", ".md", ".csv", ".txt", ".log")
_MAX_SCRUB_BYTES = 256 * 1024 * 1024


def digest(candidate_id: str) -> str:
    """The tombstone's key: an HMAC of the id with the pseudonym key, so the tombstone names nobody to whoever
    lacks the key, while every process holding the key recognises the ids it holds."""
    key = get_settings().pseudonym_key.get_secret_value().encode()
    return hmac.new(key, f"erasure:{candidate_id}".encode(), hashlib.sha256).hexdigest()


def matching(candidate_ids: Iterable[str], digests: Iterable[str]) -> set[str]:
    """The ids among `candidate_ids` whose digest is one of `digests`."""
    wanted = set(digests)
    if not wanted:
        return set()
    return {c for c in candidate_ids if c and digest(c) in wanted}


def erase_in_graph(db: Database, candidate_id: str) -> dict[str, Any] | None:
    """The Neo4j part, one transaction: node, relationships, suggestions, log ids, tombstone."""
    return erasure.erase_candidate(db, candidate_id, digest(candidate_id))


def erase_from_files(candidate_id: str) -> dict[str, int]:
    """Every stored model version, the candidate's row of the sensitive-attributes file (audit/attributes.py),
    then the text files under the data directory (rejects, reports, logs), rewritten without the id. Counts of
    files rewritten and of attribute rows removed."""
    models = erase_stored_models({candidate_id})
    data_dir = get_settings().data_dir
    # The row goes whole: scrubbing would leave the attributes under an `erased` key (and two such keys make
    # the file unreadable to the audit).
    attribute_rows = erase_attributes({candidate_id}, data_dir)
    files = scrub_text_files(data_dir, candidate_id)
    return {"model_files": models, "files": len(files) + int(attribute_rows > 0), "attribute_rows": attribute_rows}


def erase_stored_models(candidate_ids: set[str]) -> int:
    """Rewrite every stored model version without these candidates; the number of files rewritten."""
    from gnn.artifacts import erase_candidates_from_versions  # the gnn layer is loaded late, as for serving

    return len(erase_candidates_from_versions(candidate_ids))


def scrub_text_files(root: Path, needle: str) -> list[Path]:
    """Replace `needle` by `erased` in the text files under `root` (the folders of `_NOT_SCRUBBED` aside), each
    rewritten through a temporary file and a rename. Symbolic links are not followed."""
    rewritten: list[Path] = []
    encoded = needle.encode()
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        if here == root:
            dirs[:] = [d for d in dirs if d not in _NOT_SCRUBBED]
        for name in names:
            path = here / name
            if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_SCRUB_BYTES:
                continue
            data = path.read_bytes()
            if encoded not in data:
                continue
            if not name.endswith(_TEXT_SUFFIXES):
                log.warning("erasure: %s mentions an erased candidate and is not a text file Vivier rewrites", path)
                continue
            tmp = path.with_name(f".{name}.{os.getpid()}.erasure")
            tmp.write_bytes(data.replace(encoded, erasure.ERASED.encode()))
            os.replace(tmp, path)
            rewritten.append(path)
    return rewritten
