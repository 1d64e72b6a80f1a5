"""Topic names, filters and the subscription tree (MQTT 3.1.1 section 4.7)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pycharge.broker.retained import RetainedStore
from pycharge.broker.topics import SubscriptionTree, matches, valid_topic_filter, valid_topic_name


@pytest.mark.parametrize(("name", "valid"), [
    ("a", True), ("/", True), ("a//b", True), ("$SYS/x", True), (" ", True),
    ("", False), ("a/+", False), ("a/#", False), ("a+b", False),
])
def test_topic_names(name: str, valid: bool) -> None:
    assert valid_topic_name(name) is valid


@pytest.mark.parametrize(("topic_filter", "valid"), [
    ("#", True), ("+", True), ("a/#", True), ("+/+", True), ("/+", True), ("a/+/b", True),
    ("", False), ("a#", False), ("a/#/b", False), ("a+", False), ("+a/b", False), ("##", False),
])
def test_topic_filters(topic_filter: str, valid: bool) -> None:
    assert valid_topic_filter(topic_filter) is valid


@pytest.mark.parametrize(("topic_filter", "topic", "expected"), [
    ("sport/tennis/player1/#", "sport/tennis/player1", True),
    ("sport/tennis/player1/#", "sport/tennis/player1/ranking", True),
    ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", True),
    ("sport/#", "sport", True),
    ("sport/tennis/+", "sport/tennis/player1", True),
    ("sport/tennis/+", "sport/tennis/player1/tournament", False),
    ("sport/+", "sport", False),
    ("sport/+", "sport/", True),
    ("+/+", "/finance", True),
    ("/+", "/finance", True),
    ("+", "/finance", False),
    ("#", "$SYS/x", False),
    ("+/monitor/Clients", "$SYS/monitor/Clients", False),
    ("$SYS/#", "$SYS/monitor/Clients", True),
    ("$SYS/monitor/+", "$SYS/monitor/Clients", True),
    ("a/b", "a/b", True),
    ("a/b", "a/b/c", False),
    ("a/b/c", "a/b", False),
])
def test_matching_follows_the_standard_examples(topic_filter: str, topic: str,
                                                 expected: bool) -> None:
    assert matches(topic_filter, topic) is expected
    tree = SubscriptionTree()
    tree.add(topic_filter, "me", 1)
    assert tree.match(topic) == ({"me": 1} if expected else {})


_level = st.sampled_from(["a", "b", "", "$x"])
_topics = st.lists(_level, min_size=1, max_size=4).map("/".join)
_filters = st.lists(st.sampled_from(["a", "b", "", "$x", "+"]), min_size=1, max_size=4).flatmap(
    lambda levels: st.sampled_from(["/".join(levels), "/".join([*levels, "#"]), "#"]))


@given(st.lists(_filters, min_size=1, max_size=12), _topics)
def test_tree_agrees_with_matching_one_filter_at_a_time(filters: list[str], topic: str) -> None:
    tree = SubscriptionTree()
    for index, topic_filter in enumerate(filters):
        tree.add(topic_filter, index, index % 2)
    expected = {i: i % 2 for i, f in enumerate(filters) if matches(f, topic)}
    assert tree.match(topic) == expected


def test_highest_qos_wins_per_subscriber_and_resubscribe_replaces() -> None:
    tree = SubscriptionTree()
    tree.add("a/#", "me", 0)
    tree.add("a/+", "me", 1)
    tree.add("a/b", "you", 1)
    assert tree.match("a/b") == {"me": 1, "you": 1}
    tree.add("a/+", "me", 0)
    assert tree.match("a/b") == {"me": 0, "you": 1}


def test_remove_forgets_and_prunes() -> None:
    tree = SubscriptionTree()
    tree.add("a/b/c", "me", 1)
    tree.add("a/b", "you", 1)
    tree.remove("a/b/c", "me")
    tree.remove("a/b/c", "me")        # twice is harmless
    tree.remove("x/y", "me")          # never subscribed
    assert tree.match("a/b/c") == {}
    assert tree.match("a/b") == {"you": 1}
    tree.remove("a/b", "you")
    assert tree._root.children == {}


def test_retained_store_replaces_deletes_and_matches() -> None:
    store = RetainedStore()
    store.store("a/b", b"1", 1)
    store.store("a/b", b"2", 0)
    store.store("a/c", b"3", 1)
    store.store("$SYS/x", b"4", 1)
    assert list(store.matching("a/b")) == [("a/b", b"2", 0)]
    assert sorted(store.matching("#")) == [("a/b", b"2", 0), ("a/c", b"3", 1)]
    store.store("a/b", b"", 1)
    assert list(store.matching("a/+")) == [("a/c", b"3", 1)]
    assert list(store.matching("$SYS/+")) == [("$SYS/x", b"4", 1)]
