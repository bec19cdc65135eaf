"""The identity graph: visitors joined into people through identify/alias edges.

Nodes are strings, typed by a prefix (``visitor:<id>``, ``user:<id>``,
``email:<sha256>``; see :func:`node`). An edge says two nodes are the same person.
A person is a connected component, and its id is a hash of the component's smallest
node: the same edges give the same ids whatever order they arrive in and however
they are chunked. When new edges join two components the merged person takes the
id of the smaller of the two smallest nodes (so one of the two old ids lives on).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

PERSON_PREFIX = "p_"


def node(kind: str, value: str) -> str:
    """A typed node id such as ``visitor:abc``; ``kind`` keeps a visitor id and a user
    id that happen to be equal apart."""
    if not kind or ":" in kind:
        raise ValueError(f"bad node kind {kind!r}")
    return f"{kind}:{value}"


def hash_email(email: str) -> str:
    """The email node for an address: SHA-256 of the trimmed, lower-cased address."""
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
    return node("email", digest)


def person_id(smallest_node: str) -> str:
    """A person's id from its component's smallest node (also for a lone visitor)."""
    return PERSON_PREFIX + hashlib.sha256(smallest_node.encode("utf-8")).hexdigest()[:24]


class IdentityGraph:
    """Union-find whose root is always the component's smallest node.

    Feed it edges in chunks with :meth:`add_edges`; read people with :meth:`people`.
    """

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._parent)

    def add_node(self, n: str) -> None:
        self._parent.setdefault(n, n)

    def find(self, n: str) -> str:
        parent = self._parent
        if n not in parent:
            parent[n] = n
            return n
        root = n
        while parent[root] != root:
            root = parent[root]
        while parent[n] != root:  # path compression
            parent[n], n = root, parent[n]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if rb < ra:
            ra, rb = rb, ra
        self._parent[rb] = ra

    def add_edges(self, edges: Iterable[tuple[str, str]]) -> None:
        for a, b in edges:
            if not a or not b:
                raise ValueError(f"an identity edge needs two node ids, got ({a!r}, {b!r})")
            self.union(a, b)

    def components(self) -> Iterator[tuple[str, str]]:
        """(node, smallest node of its component) for every node seen."""
        for n in list(self._parent):
            yield n, self.find(n)

    def people(self) -> dict[str, str]:
        """node → person id, for every node seen."""
        ids: dict[str, str] = {}
        out = {}
        for n, root in self.components():
            if root not in ids:
                ids[root] = person_id(root)
            out[n] = ids[root]
        return out


def resolve_identities(
    edges: Iterable[tuple[str, str]], nodes: Iterable[str] = ()
) -> dict[str, str]:
    """node → person id over an edge list (plus lone ``nodes``, e.g. visitors never
    identified). A pure function: the answer depends only on the set of edges."""
    graph = IdentityGraph()
    for n in nodes:
        graph.add_node(n)
    graph.add_edges(edges)
    return graph.people()
