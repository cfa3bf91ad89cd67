"""The profile bench's pure parts: py-spy's collapsed stacks, categories, largest functions."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench import profile


def test_read_collapsed_sums_each_stack(tmp_path: Path) -> None:
    raw = tmp_path / "p.txt"
    raw.write_text("main (a.py:1);run_cv (zygarde/ml/cv.py:168) 7\n"
                   "main (a.py:1);find_one (pymongo/collection.py:9) 3\n"
                   "main (a.py:1);run_cv (zygarde/ml/cv.py:168) 2\n\n")
    assert profile.read_collapsed(raw) == Counter({"main (a.py:1);run_cv (zygarde/ml/cv.py:168)": 9,
                                                   "main (a.py:1);find_one (pymongo/collection.py:9)": 3})


def test_the_first_category_in_the_stack_takes_the_sample() -> None:
    # a MongoDB read inside a trial's CV counts as the trial's work; one from the trainer loop as MongoDB
    assert profile.categorize("handle (t.py:1);run_cv (zygarde/ml/cv.py:1);find_one (pymongo/c.py:1)") \
        == "the trial's own CV (run_cv)"
    assert profile.categorize("handle (t.py:1);stop_reason (zygarde/store/trials.py:1);find_one (pymongo/c.py:1)") \
        == "MongoDB client (pymongo)"
    assert profile.categorize("handle (t.py:1);publish (zygarde/bus/producer.py:1)") \
        == "Kafka client (confluent_kafka calls)"
    assert profile.categorize("handle (t.py:1);helper (services/x.py:1)") == profile.OTHER


def test_top_functions_count_a_frame_once_per_stack_and_skip_entry_points() -> None:
    loop = "run (zygarde/bus/consumer.py:1)"
    stacks = Counter({f"{loop};f (services/a.py:1);g (zygarde/b.py:2);f (services/a.py:1)": 6,
                      f"{loop};g (zygarde/b.py:2);sendall (pymongo/n.py:3)": 4})
    ours, leaves = profile.top_functions(stacks)
    assert ours == [("g (zygarde/b.py:2)", 1.0), ("f (services/a.py:1)", 0.6)]  # no library, no loop
    assert leaves == [("f (services/a.py:1)", 0.6), ("sendall (pymongo/n.py:3)", 0.4)]
