"""The majority vote over several samples' answers: one definition for `deepmath-agent --samples`,
`deepmath-eval` (maj@k) and training metrics.

Rules (docs/eval.md, "maj@k"):
  - answers are grouped into equivalence clusters (`agent_client.equivalence`): each answer is
    compared with the clusters' first answers in order of first appearance and joins the first
    that matches, so a cluster id is the index of its earliest sample;
  - unparsable answers (and missing ones) do not vote;
  - the largest cluster wins; a tie goes to the cluster whose first sample came earliest. A tie
    is reported as one (`Vote.tied`), so a display can say "tie" instead of naming a winner
    that only the tie-break chose.
Why here: see `agent_client.equivalence` (agent_client may not import eval or train).
What "equivalent" means is pluggable (`Equivalence`): plain math-verify by default; eval passes the
form-aware one of `eval.answer_forms` for problems with an answer form (DeepMind Mathematics), so
the vote groups answers exactly as the grader compares them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agent_client.equivalence import equivalent, parse_math


@dataclass(frozen=True)
class Equivalence:
    """How answers are read and compared: `parse(answer)` is falsy when the answer is unparsable;
    `same(earlier, later)` compares two parsed answers (the cluster's first answer first)."""

    parse: Callable[[str | None], Any]
    same: Callable[[Any, Any], bool]


MATH_VERIFY = Equivalence(parse_math, equivalent)


def cluster_answers(answers: Sequence[str | None], equivalence: Equivalence = MATH_VERIFY) -> list[int | None]:
    """Per answer, its cluster id (the index of the earliest equivalent answer), or None when it
    is unparsable."""
    reps: list[tuple[int, Any]] = []
    out: list[int | None] = []
    for i, answer in enumerate(answers):
        parsed = equivalence.parse(answer)
        if not parsed:
            out.append(None)
            continue
        for rep_id, rep in reps:
            if equivalence.same(rep, parsed):
                out.append(rep_id)
                break
        else:
            reps.append((i, parsed))
            out.append(i)
    return out


def majority_vote(clusters: Sequence[int | None]) -> int | None:
    """The winning cluster id, or None if no sample was parsable. Ties -> the earliest cluster."""
    counts = Counter(c for c in clusters if c is not None)
    if not counts:
        return None
    first_seen: dict[int, int] = {}
    for i, c in enumerate(clusters):
        if c is not None:
            first_seen.setdefault(c, i)
    return min(counts, key=lambda c: (-counts[c], first_seen[c]))


@dataclass(frozen=True)
class Vote:
    """The outcome of a vote over `len(clusters)` samples."""

    clusters: list[int | None]
    winner: int | None = None  # cluster id = index of the winning cluster's first sample
    votes: int = 0  # samples in the winning cluster
    voters: int = 0  # parsable samples
    tied: list[int] | None = None  # every cluster id with the top count, when more than one


def vote(answers: Sequence[str | None], equivalence: Equivalence = MATH_VERIFY) -> Vote:
    """Cluster `answers` and vote (None and unparsable answers do not vote)."""
    clusters = cluster_answers(answers, equivalence)
    win = majority_vote(clusters)
    if win is None:
        return Vote(clusters=clusters)
    counts = Counter(c for c in clusters if c is not None)
    top = sorted((c for c in counts if counts[c] == counts[win]), key=clusters.index)
    return Vote(clusters=clusters, winner=win, votes=counts[win], voters=sum(counts.values()),
                tied=top if len(top) > 1 else None)
