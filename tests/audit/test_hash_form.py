"""The event hash is computed from its canonical form written out directly (editorial.models.hash_of_form);
the bytes are those of the first version's canonical JSON, so chains already written keep verifying."""

from __future__ import annotations

import datetime
import hashlib
import json
import random

import pytest

from editorial.models import HASH_DOMAIN, event_hash

UTC = datetime.UTC


def first_version_hash(fields: dict) -> str:
    """event_hash as the first version wrote it: json.dumps over a dict of the fields."""
    body = {k: v for k, v in fields.items() if k != "prev_hash"}
    body["at"] = fields["at"].isoformat(timespec="microseconds")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(HASH_DOMAIN + fields["prev_hash"].encode() + canonical.encode()).hexdigest()


EVENT = {
    "seq": 42,
    "at": datetime.datetime(2026, 3, 1, 14, 2, 11, 5, tzinfo=UTC),
    "actor_id": 7,
    "actor_name": "Dr. A. Smith",
    "action": "decision.approve",
    "object_type": "reviewers.decision",
    "object_id": "12",
    "article_id": 3,
    "before": {"state": "under_review", "ß": ["é", 1.5, None]},
    "after": {"state": "approved", "revision": 2},
    "reason": 'Accurate "and" complete\n',
    "prev_hash": "ab" * 32,
}


def test_the_hash_of_a_known_event_is_the_one_the_first_version_wrote():
    # Computed with the first version's code; a chain written then must keep verifying.
    assert event_hash(EVENT) == "cb41bee6305bdcbfdae2524190aff678a6defa0835786f070c34e7640af91307"
    empty = dict(EVENT, actor_id=None, article_id=None, before=None, after=None, reason="")
    assert event_hash(empty) == "dd4fc8cae420bbefd0fda926ae1d8a8463df088b44c8436a6e61eb25927772d7"


CHARACTERS = ["a", "é", '"', "\\", "\n", "\x00", "\u2028", "😀", "\t", "/", "<", "\x7f", " "]


def random_text(rng) -> str:
    return "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(0, 8)))


def random_json(rng, depth: int = 0):
    roll = rng.random()
    if depth > 2 or roll < 0.3:
        return rng.choice([None, True, False, 0, -5, 2**70, 1.5, 1e16, random_text(rng)])
    if roll < 0.6:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {random_text(rng): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


@pytest.mark.parametrize("seed", range(5))
def test_the_hash_is_the_first_versions_for_any_values(seed):
    rng = random.Random(seed)
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(500):
        fields = {
            "seq": rng.randint(1, 10**12),
            "at": start + datetime.timedelta(microseconds=rng.randint(0, 10**13)),
            "actor_id": rng.choice([None, 1, 12345]),
            "actor_name": random_text(rng),
            "action": random_text(rng),
            "object_type": random_text(rng),
            "object_id": rng.choice([random_text(rng), 5]),
            "article_id": rng.choice([None, 7]),
            "before": random_json(rng),
            "after": random_json(rng),
            "reason": random_text(rng),
            "prev_hash": rng.choice(["0" * 64, random_text(rng)]),
        }
        assert event_hash(fields) == first_version_hash(fields), fields


def test_any_change_of_a_hashed_field_changes_the_hash():
    changed = {
        "seq": 43,
        "at": EVENT["at"] + datetime.timedelta(microseconds=1),
        "actor_id": None,
        "actor_name": "Dr. A. Smith ",
        "action": "decision.reject",
        "object_type": "reviewers.decisio",
        "object_id": 12,
        "article_id": None,
        "before": {"state": "under_review", "ß": ["é", 1.5]},
        "after": {"state": "approved", "revision": "2"},
        "reason": "Accurate",
        "prev_hash": "ab" * 31 + "ac",
    }
    original = event_hash(EVENT)
    for name, value in changed.items():
        assert event_hash(dict(EVENT, **{name: value})) != original, name
