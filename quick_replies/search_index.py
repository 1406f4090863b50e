"""Search that reads a few entries per keystroke instead of all of them, and still answers exactly as the plain
scan over every entry (search.search) would: the same entries, in the same order.

Entries are numbered in tie-break order (search.tie_break: shorter first, then the higher layer), so the
lowest set bits of a candidate set (search_candidates.py) are the entries a tie would favour.

Lossless top-k, in the family of MaxScore: each term's candidates are split into tiers by field and kind of
match, each with a bound, the most any of its entries can score. Combinations of one tier per term are
visited best bound first, and their entries are scored exactly with the scan's own code (search.score_doc),
in rank order, until the results in hand beat everything left: an entry can only enter the results by a
higher score, or by the same score and a lower rank, so once the worst result held scores above a tier's
bound, or equal to it at a lower rank than the next entry, that entry and every later one in the tier are
passed over without being read. Bonuses that are in no bound are handled apart: the exact shortcut and the
titles equal to the query are scored first (a dictionary finds them), and entries with a usage history are
held back in tiers of their own, bounded by their tier plus their boost.
"""

from __future__ import annotations

import heapq
from collections import Counter
from itertools import chain, compress
from operator import itemgetter

import numpy as np

from quick_replies.matcher import START_BONUS
from quick_replies.search import (
    CATEGORIES,
    CATEGORY_STEP,
    TITLE_EQUALS_QUERY,
    SearchDoc,
    SearchHit,
    Usage,
    parse_query,
    phrase_key,
    score_doc,
    tie_break,
    usage_boost,
)
from quick_replies.search_candidates import Candidates
from quick_replies.search_index_build import Postings, build_postings

FIELD_NAMES = {"s": "shortcut", "t": "title", "k": "tags", "b": "body"}


def rank_order(docs: list[SearchDoc]) -> list[SearchDoc]:
    """The plain scan's tie-break order."""
    return sorted(docs, key=tie_break)


def field_texts(docs: list[SearchDoc]) -> dict[str, list[str]]:
    """Field code -> each entry's text, the same texts score_doc matches (SearchDoc.fields)."""
    columns = {"s": "shortcut", "t": "title", "k": "labels", "b": "body"}
    return {code: [getattr(doc, name) for doc in docs] for code, name in columns.items()}


class SearchIndex:
    def __init__(self, docs: list[SearchDoc], postings: Postings):
        """`docs` in rank order, as numbered in `postings`."""
        self.docs = docs
        self.count = len(docs)
        self.postings = postings
        self.candidates = Candidates(postings, len(docs))
        # Built with C-level iteration: a start with 100,000 entries should not wait on Python loops.
        self.rank_of = dict(zip(map(itemgetter(1), docs), range(len(docs))))
        shortcuts = [doc.shortcut for doc in docs]
        self.shortcut_ranks = _ranks_by(list(map(str.lower, compress(shortcuts, shortcuts))),
                                        list(compress(range(len(docs)), shortcuts)))
        self.title_ranks = _ranks_by(list(map(phrase_key, map(itemgetter(2), docs))), range(len(docs)))

    @classmethod
    def build(cls, docs: list[SearchDoc]) -> SearchIndex:
        ordered = rank_order(docs)
        return cls(ordered, build_postings(field_texts(ordered), len(ordered)))

    # -- answering a query

    def search(self, query: str, *, limit: int = 20, usage: dict[str, Usage] | None = None,
               now: float = 0.0) -> list[SearchHit]:
        terms = parse_query(query)
        if not terms or limit <= 0:
            return []
        per_term = [self.candidates.term_parts(term) for term in terms]
        candidates = -1
        for parts in per_term:
            candidates &= _union(part.bits for part in parts)
        if not candidates:
            return []
        query_key = phrase_key(" ".join(terms))
        boosts = self._boosts(usage or {}, now, candidates)
        used = self.candidates.to_bits(np.fromiter(boosts, dtype=np.int64, count=len(boosts)))
        found: dict[int, SearchHit | None] = {}  # None: a candidate that did not match
        worst: list[tuple[float, int]] = []  # min-heap of (score, -rank) of the `limit` best so far

        def consider(rank: int) -> None:
            if rank in found:
                return
            doc = self.docs[rank]
            hit = score_doc(doc, terms, query_key)
            if hit is None:
                found[rank] = None
                return
            score = hit.score + boosts.get(rank, 0.0)
            found[rank] = SearchHit(doc, score, hit.highlights)
            (heapq.heappush if len(worst) < limit else heapq.heappushpop)(worst, (score, -rank))

        def visit(bound: float, bits: int) -> None:
            for rank in _ranks_ascending(bits):
                if len(worst) >= limit and (worst[0][0] > bound or (worst[0][0] == bound and -worst[0][1] < rank)):
                    return  # this entry, and every later one of the tier, can neither beat nor tie-win
                consider(rank)

        tiers = self._tiers_best_first(per_term, candidates)
        first = next(tiers, None)
        if first is None:
            return []
        if len(terms) == 1:
            for rank in self.shortcut_ranks.get(terms[0], ()):
                consider(rank)
        titled = [rank for rank in self.title_ranks.get(query_key, ()) if (candidates >> rank) & 1]
        for rank in titled if len(titled) <= limit else [rank for rank in titled if rank in boosts]:
            consider(rank)
        if len(titled) > limit:  # a title many entries share: read them in rank order, as a tier
            visit(first[0] + TITLE_EQUALS_QUERY, self.candidates.to_bits(np.array(titled, dtype=np.int64)))
        held: list[tuple[float, int, int]] = []  # (-bound, order, entries) for used entries, held back
        most_boost = max(boosts.values(), default=0.0)
        for order, (bound, entries) in enumerate(chain([first], tiers)):
            if len(worst) >= limit and worst[0][0] > bound + most_boost:
                break  # no entry in this tier or any after it can make the results, even with its boost
            if entries & used:
                waiting = entries & used
                heapq.heappush(held, (-(bound + max(boosts[r] for r in _ranks_ascending(waiting))), order, waiting))
                entries &= ~used
            while held and -held[0][0] >= bound:
                negative_bound, _, waiting = heapq.heappop(held)
                visit(-negative_bound, waiting)
            if entries:
                visit(bound, entries)
        while held:
            negative_bound, _, waiting = heapq.heappop(held)
            visit(-negative_bound, waiting)
        ranked = sorted((-hit.score, rank) for rank, hit in found.items() if hit is not None)
        return [found[rank] for _, rank in ranked[:limit]]

    def _boosts(self, usage: dict[str, Usage], now: float, candidates: int) -> dict[int, float]:
        """rank -> usage boost, for the candidates the agent has used."""
        present = candidates.to_bytes((self.count + 7) // 8 + 1, "little", signed=True)
        boosts = {}
        for key, use in usage.items():
            rank = self.rank_of.get(key)
            if rank is not None and present[rank >> 3] >> (rank & 7) & 1:
                boost = usage_boost(use, now)
                if boost > 0:
                    boosts[rank] = boost
        return boosts

    def _tiers_best_first(self, per_term, candidates):
        """(bound, entries) for combinations of one tier per term, the highest bound first."""
        tier_lists = []
        for parts in per_term:
            merged: dict[float, int] = {}
            for part in parts:
                here = part.bits & candidates
                if here:
                    bound = CATEGORIES[FIELD_NAMES[part.field]][part.kind] * CATEGORY_STEP + part.score
                    head = here & part.head  # where the match may start the field, for START_BONUS more
                    if head:
                        merged[bound + START_BONUS] = merged.get(bound + START_BONUS, 0) | head
                    if here & ~head:
                        merged[bound] = merged.get(bound, 0) | (here & ~head)
            disjoint, above = [], 0
            for bound in sorted(merged, reverse=True):
                if merged[bound] & ~above:
                    disjoint.append((bound, merged[bound] & ~above))
                above |= merged[bound]
            tier_lists.append(disjoint)
        if any(not tiers for tiers in tier_lists):
            return
        start = (0,) * len(tier_lists)
        queue = [(-sum(tiers[0][0] for tiers in tier_lists), start)]
        seen = {start}
        while queue:
            negative_bound, picks = heapq.heappop(queue)
            entries = candidates
            for tiers, pick in zip(tier_lists, picks):
                entries &= tiers[pick][1]
                if not entries:
                    break
            if entries:
                yield -negative_bound, entries
            for position in range(len(picks)):
                if picks[position] + 1 < len(tier_lists[position]):
                    following = picks[:position] + (picks[position] + 1,) + picks[position + 1:]
                    if following not in seen:
                        seen.add(following)
                        bound = sum(tiers[pick][0] for tiers, pick in zip(tier_lists, following))
                        heapq.heappush(queue, (-bound, following))


def _ranks_by(keys: list[str], ranks) -> dict[str, list[int]]:
    """key -> the ranks holding it. Built with C-level iteration: a start with 100,000 entries should not wait
    on a Python loop; keys that several entries share are rare, and only those are looped over."""
    single = dict(zip(keys, ([rank] for rank in ranks)))
    if len(single) < len(keys):
        repeated = {key for key, count in Counter(keys).items() if count > 1}
        for key in repeated:
            single[key] = []
        for key, rank in zip(keys, ranks):
            if key in repeated:
                single[key].append(rank)
    return single


def _ranks_ascending(bits: int):
    """The set bits of `bits`, lowest first; a large set is unpacked with numpy, a small one bit by bit."""
    if bits.bit_count() <= 32:
        while bits:
            lowest = bits & -bits
            yield lowest.bit_length() - 1
            bits ^= lowest
        return
    raw = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    yield from np.flatnonzero(np.unpackbits(raw, bitorder="little")).tolist()


def _union(values) -> int:
    bits = 0
    for value in values:
        bits |= value
    return bits
