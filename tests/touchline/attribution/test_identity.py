"""The identity graph: people as connected components, ids independent of edge order."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from touchline.attribution.identity import (
    IdentityGraph,
    hash_email,
    node,
    person_id,
    resolve_identities,
)

EDGES = [
    ("visitor:v3", "user:42"),
    ("visitor:v1", "user:42"),
    ("visitor:v9", "email:" + "e" * 64),
    ("visitor:v1", "email:" + "e" * 64),  # joins the two groups above
    ("visitor:v5", "user:7"),
    ("visitor:v6", "visitor:v6"),  # a self-loop is harmless
]


def test_components_and_deterministic_ids():
    people = resolve_identities(EDGES, nodes=["visitor:v8"])
    group = {"visitor:v3", "user:42", "visitor:v1", "visitor:v9", "email:" + "e" * 64}
    assert {people[n] for n in group} == {person_id("email:" + "e" * 64)}
    assert people["visitor:v5"] == people["user:7"] == person_id("user:7")
    assert people["visitor:v8"] == person_id("visitor:v8")  # never identified
    assert people["visitor:v6"] == person_id("visitor:v6")
    assert len(set(people.values())) == 4


def test_ids_do_not_depend_on_order_or_chunking():
    expected = resolve_identities(EDGES)
    rng = random.Random(1)
    for _ in range(20):
        edges = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in EDGES]
        rng.shuffle(edges)
        graph = IdentityGraph()
        cut = rng.randrange(len(edges))
        graph.add_edges(edges[:cut])
        graph.people()  # reading between chunks changes nothing
        graph.add_edges(edges[cut:])
        assert graph.people() == expected


def test_a_long_chain_in_reverse_order_is_one_person():
    edges = [(f"visitor:{i:06d}", f"visitor:{i + 1:06d}") for i in range(50_000)][::-1]
    people = resolve_identities(edges)
    assert set(people.values()) == {person_id("visitor:000000")}


def test_node_helpers():
    assert node("visitor", "abc") == "visitor:abc"
    assert hash_email("  Ann@Example.COM ") == hash_email("ann@example.com")
    assert hash_email("ann@example.com").startswith("email:")
    assert person_id("visitor:a") != person_id("visitor:b")
    assert person_id("visitor:a").startswith("p_")


NODES = [f"visitor:v{i}" for i in range(8)] + [f"user:u{i}" for i in range(4)]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)), max_size=20),
    st.randoms(use_true_random=False),
)
def test_people_are_exactly_the_connected_components(edges, rnd):
    people = resolve_identities(edges, nodes=NODES)
    # oracle: breadth-first search over the undirected graph
    neighbours: dict[str, set[str]] = {n: set() for n in NODES}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    for start in NODES:
        seen, queue = {start}, [start]
        while queue:
            for nxt in neighbours[queue.pop()] - seen:
                seen.add(nxt)
                queue.append(nxt)
        assert {people[n] for n in seen} == {person_id(min(seen))}
        assert all(people[n] != people[start] for n in set(NODES) - seen)
    shuffled = [(b, a) for a, b in edges]
    rnd.shuffle(shuffled)
    assert resolve_identities(shuffled, nodes=reversed(NODES)) == people
