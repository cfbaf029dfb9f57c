"""The compiled search of :mod:`matching.solvers.augment` (numba; imported on first use).

Successive shortest paths on a residual network whose potentials are valid: each round a
Dijkstra search from every node with excess, stopped at the first node with a deficit it
settles; the settled nodes' potentials follow (so every residual arc keeps a reduced cost
``>= 0``) and one unit moves along the path found.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_INF = np.iinfo(np.int64).max


@nb.njit(cache=True, nogil=True)
def _heap_push(hk, hn, size, key, node):
    q = size
    hk[q], hn[q] = key, node
    while q > 0:
        up = (q - 1) // 2
        if hk[up] <= hk[q]:
            break
        hk[up], hk[q] = hk[q], hk[up]
        hn[up], hn[q] = hn[q], hn[up]
        q = up
    return size + 1


@nb.njit(cache=True, nogil=True)
def _heap_pop(hk, hn, size):
    key, node = hk[0], hn[0]
    size -= 1
    hk[0], hn[0] = hk[size], hn[size]
    q = 0
    while True:
        c = 2 * q + 1
        if c >= size:
            break
        if c + 1 < size and hk[c + 1] < hk[c]:
            c += 1
        if hk[q] <= hk[c]:
            break
        hk[q], hk[c] = hk[c], hk[q]
        hn[q], hn[c] = hn[c], hn[q]
        q = c
    return key, node, size


@nb.njit(cache=True, nogil=True)
def _search(ptr, arc, sign, other, tail, head, cost, cap, flow, p, excess, dist, done, via, hk, hn, seen):
    """One Dijkstra from every excess node; returns ``(deficit reached or -1, its distance,
    nodes touched)``; ``dist``, ``done`` and ``via`` describe the search (``seen[:touched]``).

    Ties are the rule (many arcs have reduced cost 0), so a deficit reached at the
    distance being settled ends the search at once, and keys rank deficits first among
    equal distances (``2 * distance + 1`` for the others).
    """
    size, touched = 0, 0
    for x in range(p.shape[0]):
        if excess[x] > 0:
            dist[x] = 0
            seen[touched] = x
            touched += 1
            size = _heap_push(hk, hn, size, 1, x)
    while size > 0:
        key, x, size = _heap_pop(hk, hn, size)
        d = key >> 1
        if done[x] or d > dist[x]:
            continue
        done[x] = True
        if excess[x] < 0:
            return x, d, touched
        for q in range(ptr[x], ptr[x + 1]):
            a, s, y = arc[q], sign[q], other[q]
            if done[y] or (flow[a] >= cap[a] if s > 0 else flow[a] <= 0):
                continue
            nd = d + s * (cost[a] + p[tail[a]] - p[head[a]])
            if nd < dist[y]:
                if dist[y] == _INF:
                    seen[touched] = y
                    touched += 1
                dist[y], via[y] = nd, q
                if excess[y] < 0 and nd == d:  # no shorter path to any deficit is left
                    done[y] = True
                    return y, d, touched
                size = _heap_push(hk, hn, size, 2 * nd + (0 if excess[y] < 0 else 1), y)
    return -1, 0, touched


@nb.njit(cache=True, nogil=True)
def _zero_paths(ptr, arc, sign, other, tail, head, cost, cap, flow, p, excess, cur, mark, stamp, path):
    """Move more excess to deficits along paths of residual arcs of reduced cost 0 (flow
    on such arcs keeps every reduced cost ``>= 0``): the other shortest paths of a search,
    found by depth-first search (nodes that lead nowhere are skipped for the rest of the
    call). Returns ``(units moved, steps)``."""
    moved, steps, n = 0, 0, p.shape[0]
    for x in range(n):
        cur[x] = ptr[x]
    for s in range(n):
        while excess[s] > 0:
            stamp += 1
            depth, x, found = 0, s, False
            mark[s] = stamp
            while True:
                if excess[x] < 0:
                    found = True
                    break
                advanced = False
                while cur[x] < ptr[x + 1]:
                    q = cur[x]
                    a, g, y = arc[q], sign[q], other[q]
                    steps += 1
                    if mark[y] != stamp and mark[y] != -1 and (flow[a] < cap[a] if g > 0 else flow[a] > 0) \
                            and cost[a] + p[tail[a]] - p[head[a]] == 0:
                        path[depth] = q
                        depth += 1
                        mark[y] = stamp
                        x, advanced = y, True
                        break
                    cur[x] += 1
                if advanced:
                    continue
                if x != s:
                    mark[x] = -1  # leads nowhere (in this call)
                if depth == 0:
                    break
                depth -= 1
                q = path[depth]
                x = tail[arc[q]] if sign[q] > 0 else head[arc[q]]
                cur[x] += 1
            if not found:
                break
            for t in range(depth):
                flow[arc[path[t]]] += sign[path[t]]
            excess[s] -= 1
            excess[x] += 1
            moved += 1
    for x in range(n):
        if mark[x] == -1:
            mark[x] = 0
    return moved, steps, stamp


@nb.njit(cache=True, nogil=True)
def repair_flow(ptr, arc, sign, other, tail, head, cost, cap, flow, p, excess, budget):
    """Move every excess to a deficit by shortest paths (``flow``, ``p`` and ``excess`` in
    place). Each round a Dijkstra search to the nearest deficit sets the potentials, then
    every path of reduced cost 0 is used. Returns False when a search finds no deficit or
    ``budget`` search steps ran out."""
    n = p.shape[0]
    dist = np.full(n, _INF, np.int64)
    done = np.zeros(n, np.bool_)
    via = np.full(n, -1, np.int64)
    seen = np.empty(n, np.int64)
    hk = np.empty(arc.shape[0] + n, np.int64)
    hn = np.empty(arc.shape[0] + n, np.int64)
    cur = np.empty(n, np.int64)
    mark = np.zeros(n, np.int64)
    path = np.empty(n, np.int64)
    stamp = 0
    left = 0
    for x in range(n):
        if excess[x] > 0:
            left += excess[x]
    while left > 0 and budget >= 0:
        target, far, touched = _search(ptr, arc, sign, other, tail, head, cost, cap, flow, p, excess,
                                       dist, done, via, hk, hn, seen)
        if target < 0:
            return False
        budget -= touched
        for t in range(touched):
            x = seen[t]
            if done[x]:
                p[x] += dist[x] - far
        for t in range(touched):
            x = seen[t]
            dist[x], done[x], via[x] = _INF, False, -1
        moved, steps, stamp = _zero_paths(ptr, arc, sign, other, tail, head, cost, cap, flow, p, excess,
                                          cur, mark, stamp, path)
        budget -= steps
        if moved == 0:
            return False  # the path just found has reduced cost 0: cannot happen
        left -= moved
    return left == 0


@nb.njit(cache=True, nogil=True)
def adjacency(tail, head, size):
    """Every arc at each node, both ways, by a counting sort: CSR ``ptr`` over ``(arc, +1
    leaving by it / -1 leaving against it, other end)``; at each node the arcs leaving by
    themselves come first, each group in arc order."""
    n_arcs = tail.shape[0]
    ptr = np.zeros(size + 1, np.int64)
    for a in range(n_arcs):
        ptr[tail[a] + 1] += 1
        ptr[head[a] + 1] += 1
    for x in range(size):
        ptr[x + 1] += ptr[x]
    fill = ptr[:-1].copy()
    arc = np.empty(2 * n_arcs, np.int64)
    sign = np.empty(2 * n_arcs, np.int64)
    other = np.empty(2 * n_arcs, np.int64)
    for a in range(n_arcs):
        q = fill[tail[a]]
        arc[q], sign[q], other[q] = a, 1, head[a]
        fill[tail[a]] += 1
    for a in range(n_arcs):
        q = fill[head[a]]
        arc[q], sign[q], other[q] = a, -1, tail[a]
        fill[head[a]] += 1
    return ptr, arc, sign, other


@nb.njit(cache=True, nogil=True)
def relax_passes(d, ptr, head, w, active, limit):
    """Bellman-Ford passes in place over edges grouped by tail (CSR ``ptr``), each pass
    only from the nodes that improved in the last one (``active`` marks the first).
    Returns the number of passes until nothing improves, or -1 after ``limit`` passes."""
    nxt = np.zeros_like(active)
    for step in range(limit):
        changed = False
        for x in range(d.shape[0]):
            if not active[x]:
                continue
            dx = d[x]
            for q in range(ptr[x], ptr[x + 1]):
                y = head[q]
                if dx + w[q] < d[y]:
                    d[y] = dx + w[q]
                    nxt[y] = True
                    changed = True
        if not changed:
            return step
        for x in range(d.shape[0]):
            active[x], nxt[x] = nxt[x], False
    return -1
