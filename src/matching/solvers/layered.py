"""Min-cost flow with a (mentor, KBU) layer, and its certificate over every allowed pair.

The network behind the flow goals (:mod:`matching.solvers.load_flow`,
:mod:`matching.solvers.maximin`): source -> mentee (capacity 1), mentee -> (mentor,
mentee's KBU) node -> mentor -> sink, and a source -> sink bypass. The layer node
carries ``limit`` units free and, when ``penalty`` is set, any further unit at that
cost (a convex cost: a soft load limit); without a limit (or for mentees whose KBU is
unknown) a mentee's arcs go straight to the mentor.

Two objectives: ``"lex"`` maximises ``W * priority + score - penalties`` (``W`` exceeds
any difference in the rest, so matched priority comes first); ``"priority"`` maximises
matched priority only (the feasibility check of a bottleneck threshold).

:func:`certified_flow` solves over a working set of arcs and proves the answer optimal
for every allowed pair with score at least ``floor``: node potentials from shortest
paths on the residual graph (least potentials, then each mentee's raised to its
largest) give every arc a reduced cost; a ``scan`` of the pairs left out finds those
with a negative one, which join the working set, until none is left.

Examples
--------
>>> import numpy as np
>>> net = Network(n=2, m=1, group=np.array([0, 0]), prio=np.array([1, 1]), left=np.array([2]), limit=1)
>>> net.solve(np.array([0, 1]), np.array([0, 0]), np.array([5, 3]), "lex", weight=20)[0].tolist()
[0, -1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from .._numeric import unique
from ..errors import SolverError
from .certified import relax
from .flow import STATUS_TEXT, check_cost_range

__all__ = ["NO_BOUND", "Network", "Prices", "certified_flow", "near_pairs"]

NO_BOUND = np.iinfo(np.int64).min
#: Scan prices are capped here first; rows the cap leaves undecided are scanned at exact prices.
PRICE_CAP = 1 << 26
MAX_ROUNDS = 60


@dataclass(frozen=True, eq=False)
class Network:
    """The fixed part of the network: people, groups (KBU, -1 none), free seats, the limit."""

    n: int
    m: int
    group: np.ndarray          # per mentee: its layer group (-1: straight to the mentor)
    prio: np.ndarray           # per mentee, > 0 (0: the mentee takes no part, e.g. pinned)
    left: np.ndarray           # free seats per mentor
    limit: int | None = None   # units per (mentor, group) node at no cost
    penalty: int | None = None  # cost of each unit over ``limit`` (None: hard)
    pinned: np.ndarray | None = None  # node key of each pinned pair in the layer (sorted), or None
    first: np.ndarray | None = None  # per mentor, a bonus for its first mentee (a concave gain), or None

    @property
    def width(self) -> int:
        return int(self.group.max(initial=0)) + 1

    def free_units(self, keys: np.ndarray) -> np.ndarray:
        """Units of each node (by key ``mentor * width + group``) the limit leaves after pins."""
        taken = np.zeros(len(keys), np.int64)
        if self.pinned is not None and len(self.pinned):
            taken = np.searchsorted(self.pinned, keys, side="right") - np.searchsorted(self.pinned, keys)
        return np.maximum(int(self.limit) - taken, 0)

    def solve(self, i, j, score, mode: str, *, weight: int = 1):
        """``(mentor_of, potentials)`` of the optimum on arcs ``(i, j)``."""
        g = self.group[i] if self.limit is not None else np.full(len(i), -1)
        layered = g >= 0
        keys = j[layered] * self.width + g[layered]
        node_keys, node_of = np.unique(keys, return_inverse=True)
        n, m, k = self.n, self.m, len(node_keys)
        s, t = n + m + k, n + m + k + 1
        people = np.flatnonzero(self.prio > 0)
        head = np.where(layered, 0, n + j)
        head[layered] = n + m + node_of
        node_j = node_keys // self.width
        free = self.free_units(node_keys) if k else np.zeros(0, np.int64)
        entry = -(weight * self.prio[people]) if mode == "lex" else -self.prio[people]
        pair_cost = -np.asarray(score, np.int64) if mode == "lex" else np.zeros(len(i), np.int64)
        parts = [(np.full(len(people), s), people, np.ones(len(people)), entry),
                 (i, head, np.ones(len(i)), pair_cost),
                 (n + m + np.arange(k), n + node_j, free, np.zeros(k))]
        if self.penalty is not None and k:
            extra = int(self.penalty) if mode == "lex" else 0  # a soft limit never restricts who is matched
            parts.append((n + m + np.arange(k), n + node_j, self.left[node_j], np.full(k, extra)))
        parts += self._seat_arcs(n, t, mode)
        parts += [(np.array([s]), np.array([t]), np.array([len(people)]), np.zeros(1))]
        tail, hd, cap, cost = (np.concatenate([p[c] for p in parts]).astype(np.int64) for c in range(4))
        flows = self._everyone(tail, hd, cap, cost, people, i, t) if mode == "lex" else None
        if flows is None:
            flows = _run(tail, hd, cap, cost, t + 1, s, t, len(people))
        pairs = slice(len(people), len(people) + len(i))
        mentor_of = np.full(n, -1, np.int64)
        mentor_of[i[flows[pairs] > 0]] = j[flows[pairs] > 0]
        pot = _potentials(tail, hd, cap, cost, flows, t + 1, n, m)
        return mentor_of, Prices(pot, n, m, node_keys, self.width)

    def _seat_arcs(self, n: int, t: int, mode: str) -> list:
        """Mentor -> sink arcs: the free seats; with ``first`` (lex only) the first seat earns the bonus."""
        left = self.left.copy()
        parts = []
        if self.first is not None and mode == "lex":
            bonus = np.flatnonzero((left > 0) & (self.first > 0))
            parts.append((n + bonus, np.full(len(bonus), t), np.ones(len(bonus)), -self.first[bonus]))
            left[bonus] -= 1
        seats = np.flatnonzero(left > 0)
        return parts + [(n + seats, np.full(len(seats), t), left[seats], np.zeros(len(seats)))]

    def _everyone(self, tail, head, cap, cost, people, i, t):
        """The lexicographic optimum when every mentee with an arc can be matched: then scores
        alone decide (small costs solve much faster); None when they cannot all be."""
        has = np.zeros(self.n, bool)
        has[i] = True
        if int(self.left[self.left > 0].sum()) < int(has.sum()):
            return None
        cap, cost = cap.copy(), cost.copy()
        cap[:len(people)] = has[people]
        cost[:len(people)] = 0
        cap[-1] = 0  # no bypass: everyone with an arc is matched
        return _run(cap=cap, cost=cost, tail=tail, head=head, n_nodes=t + 1, s=t - 1, t=t, supply=int(has.sum()),
                    strict=False)


@dataclass(frozen=True, eq=False)
class Prices:
    """Node potentials of an optimal flow: mentee ``i``'s, and any (mentor, group) node's."""

    pot: np.ndarray
    n: int
    m: int
    node_keys: np.ndarray
    width: int

    def mentee(self) -> np.ndarray:
        return self.pot[:self.n]

    def node(self, g: int) -> np.ndarray:
        """Potential of the node each mentee of group ``g`` (-1: none) would enter at every mentor."""
        out = self.pot[self.n:self.n + self.m].copy()
        if g < 0 or not len(self.node_keys):
            return out
        mine = (self.node_keys % self.width) == g
        out[self.node_keys[mine] // self.width] = self.pot[self.n + self.m + np.flatnonzero(mine)]
        return out


def _run(tail, head, cap, cost, n_nodes, s, t, supply, strict: bool = True) -> np.ndarray | None:
    """Arc flows of the min-cost flow (None when infeasible and not ``strict``)."""
    check_cost_range(cost, n_nodes)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tail.astype(np.int32), head.astype(np.int32), cap, cost)
    supplies = np.zeros(n_nodes, np.int64)
    supplies[s], supplies[t] = supply, -supply
    flow.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    status = flow.solve()
    if not strict and status == flow.INFEASIBLE:
        return None
    if status != flow.OPTIMAL:
        name = status.name if hasattr(status, "name") else str(status)
        raise SolverError(STATUS_TEXT.get(name, f"unexpected min-cost flow status {name}"), status=name)
    return np.asarray(flow.flows(np.arange(len(tail), dtype=np.int32)), np.int64)


def _potentials(tail, head, cap, cost, flows, n_nodes, n, m) -> np.ndarray:
    """Potentials with non-negative reduced costs on the residual graph, chosen to cover the
    most pairs left out: the largest (shortest distances from a root reaching every node at
    cost 0), then layer nodes and mentors lowered and mentees raised as far as they go."""
    fwd, back = flows < cap, flows > 0
    rt = np.concatenate([tail[fwd], head[back]])
    rh = np.concatenate([head[fwd], tail[back]])
    rc = np.concatenate([cost[fwd], -cost[back]])
    pot = _shortest(n_nodes, rt, rh, rc)
    nodes = np.arange(n_nodes)
    layer, mentors = (nodes >= n + m) & (nodes < n_nodes - 2), (nodes >= n) & (nodes < n + m)
    for mask, lower in ((layer, True), (mentors, True), (layer, True), (nodes < n, False)):
        _extreme(pot, rt, rh, rc, mask, lower)
    if (rc + pot[rt] - pot[rh] < 0).any():
        raise SolverError("could not build a certificate of optimality (internal error)", status="NOT_CERTIFIED")
    return pot


def _shortest(n_nodes, tail, head, w) -> np.ndarray:
    """Shortest distances from a root with a 0-cost arc to every node (the certificate's
    vectorized Bellman-Ford, :func:`matching.solvers.certified.relax`)."""
    d = np.zeros(n_nodes, np.int64)
    relax(d, tail, head, w)
    return d


def _extreme(pot, rt, rh, rc, mask, lower: bool) -> None:
    """Move the potentials of ``mask`` (pairwise non-adjacent nodes) down (or up) as far as
    the reduced costs of their residual arcs allow, in place."""
    big = np.iinfo(np.int64).max // 4
    if lower:  # rc + pot[x] - pot[h] >= 0 for arcs leaving x: pot[x] >= pot[h] - rc
        sel = mask[rt] & ~mask[rh]
        low = np.full(len(pot), -big, np.int64)
        np.maximum.at(low, rt[sel], pot[rh[sel]] - rc[sel])
        pot[mask] = np.where(low[mask] > -big, low[mask], pot[mask])
    else:  # arcs entering x: pot[x] <= pot[t] + rc
        sel = mask[rh] & ~mask[rt]
        top = np.full(len(pot), big, np.int64)
        np.minimum.at(top, rh[sel], pot[rt[sel]] + rc[sel])
        pot[mask] = np.where(top[mask] < big, top[mask], pot[mask])


def certified_flow(net: Network, i, j, score, mode: str, *, weight: int = 1, floor: int | None = None,
                   scan=None, bound=None, top: int = 0):
    """Solve on arcs ``(i, j, score)`` and prove the optimum for every allowed pair scoring ``>= floor``.

    ``scan(rows, price, k) -> (i, j, score, bound)`` lists, for mentees ``rows``, allowed
    pairs with the largest ``score - price[j]`` (at least ``k`` per row where there are)
    and a bound on the rest; None when ``(i, j)`` already holds every allowed pair.
    ``bound`` (per mentee) caps the score of any allowed pair left out (``NO_BOUND``:
    none left out). ``top`` exceeds every allowed score.

    Returns ``(mentor_of, i, j, score, rounds, prices)``: the optimum, the arcs solved, a
    record per round and the certifying potentials (:class:`Prices`).
    """
    floor = NO_BOUND + 1 if floor is None else int(floor)
    keep = (score >= floor) & (net.left[j] > 0)
    i, j, score = i[keep], j[keep], score[keep]
    rounds = []
    for _ in range(MAX_ROUNDS):
        mentor_of, prices = net.solve(i, j, score, mode, weight=weight)
        if scan is None:
            return mentor_of, i, j, score, rounds, prices
        rows = np.flatnonzero((net.prio > 0) & (bound != NO_BOUND) & (bound >= floor))
        fi, fj, fs = _violations(net, prices, rows, scan, mode, floor, top, i * net.m + j)
        rounds.append({"arcs": int(len(i)), "rows_scanned": int(len(rows)), "violations": int(len(fi))})
        if not len(fi):
            return mentor_of, i, j, score, rounds, prices
        i, j, score = np.concatenate([i, fi]), np.concatenate([j, fj]), np.concatenate([score, fs])
    raise SolverError(f"no certificate of optimality after {MAX_ROUNDS} rounds (internal error)",
                      status="NOT_CERTIFIED")


def near_pairs(net: Network, prices: Prices, i, j, score, *, gap: int, scan=None, bound=None, top: int = 0):
    """Every allowed pair whose reduced cost (``"lex"`` potentials) is at most ``gap``.

    A matching that matches as much priority as the optimum and uses pair ``a`` scores at
    most the optimum minus ``a``'s reduced cost: pairs above ``gap`` cannot be in any
    matching within ``gap`` of the optimum (reduced-cost fixing). ``(i, j, score)`` are
    the arcs solved; the rest are found by ``scan``. Returns ``(i, j, score)``.
    """
    g = net.group[i] if net.limit is not None else np.full(len(i), -1)
    node = np.empty(len(i), np.int64)
    for gg in unique(g):
        node[g == gg] = prices.node(int(gg))[j[g == gg]]
    keep = (prices.mentee()[i] - node - score <= gap) & (net.prio[i] > 0)
    if scan is None:
        return i[keep], j[keep], score[keep]
    rows = np.flatnonzero((net.prio > 0) & (bound != NO_BOUND))
    fi, fj, fs = _violations(net, prices, rows, scan, "lex", NO_BOUND + 1, top, i * net.m + j, margin=gap + 1)
    return np.concatenate([i[keep], fi]), np.concatenate([j[keep], fj]), np.concatenate([score[keep], fs])


def _violations(net, prices, rows, scan, mode, floor, top, known, margin: int = 0):
    """Allowed pairs left out (score >= floor) with a reduced cost below ``-margin + 1``, not in ``known``."""
    slack = prices.mentee()
    seats = net.left > 0
    found = []
    groups = net.group[rows] if net.limit is not None else np.full(len(rows), -1)
    for g in unique(groups):
        node = prices.node(int(g))
        mine = rows[groups == g]
        keys = [None] if mode == "lex" else unique(slack[mine])
        for key in keys:
            sub = mine if key is None else mine[slack[mine] == key]
            if mode == "lex":  # a pair breaks when score + node > mentee (reduced cost -score + mentee - node)
                c = int(node[seats].max(initial=0))
                price = np.where(seats, c - node, int(c - node.min(initial=0)) + top + 1)
                found.append(_scan_rows(sub, price, slack[sub] - c - margin, scan, floor))
            else:  # a pair breaks when its mentor-side potential exceeds the mentee's
                price = np.where(seats & (node > key), 0, top - floor + 1 if floor > NO_BOUND + 1 else top)
                found.append(_scan_rows(sub, price, np.full(len(sub), floor - 1), scan, floor))
    fi, fj, fs = (np.concatenate([f[c] for f in found]) if found else np.zeros(0, np.int64) for c in range(3))
    probe = fi * net.m + fj
    fresh = ~np.isin(probe, known)
    _, first = np.unique(probe, return_index=True)
    pick = np.zeros(len(probe), bool)
    pick[first] = True
    pick &= fresh
    return fi[pick], fj[pick], fs[pick]


def _scan_rows(rows, price, slack, scan, floor):
    """Pairs of ``rows`` with ``score - price > slack`` (and ``score >= floor``), scanning
    deeper where pairs below ``floor`` hid the answer. ``slack`` is per row (in ``rows`` order)."""
    out = ([], [], [])
    k = 10
    capped = np.minimum(price, PRICE_CAP)
    where = np.full(int(rows.max(initial=-1)) + 1, -1, np.int64)
    todo, lim = rows, slack
    for attempt in range(8):
        if not len(todo):
            break
        use = capped if attempt == 0 else price
        ni, nj, ns, nb = scan(todo, use, k)
        where[todo] = np.arange(len(todo))
        red = ns - price[nj]
        breaks = (red > lim[where[ni]]) & (ns >= floor)
        for store, arr in zip(out, (ni[breaks], nj[breaks], ns[breaks])):
            store.append(arr)
        broke = np.bincount(where[ni[breaks]], minlength=len(todo)) > 0
        open_ = (nb != NO_BOUND) & (nb > lim) & ~broke
        todo, lim = todo[open_], lim[open_]
        if attempt > 0:
            k *= 4
    else:
        raise SolverError("the certificate's scan did not settle (internal error)", status="NOT_CERTIFIED")
    return tuple(np.concatenate(a) if a else np.zeros(0, np.int64) for a in out)
