"""The text the linter matches: one spelling per meaning, and every match mapped back to what the agent typed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from quick_replies.lint_normalize import normalize, normalize_wording

PIECES = ["That's", "that is", "you're", "problems", "can't", "won't", "team's", "退款", "验\u200b证码", "ＶＩＰ",
          "  ", "\t", " ", "，", "。", "don’t", "12315", "İstanbul", "refunded", "x", "\u00ad"]


def test_contractions_and_inflections_read_as_one_form():
    assert normalize_wording("That's not our problems") == normalize_wording("that is not our problem")
    assert normalize_wording("You're overreacting") == normalize_wording("you are overreacting")
    assert normalize_wording("We can't refund") == normalize_wording("we cannot refunds")
    assert normalize_wording("the tech team's fault") == normalize_wording("the tech team fault")
    assert normalize_wording("退款不能") == "退款不能", "Chinese is left as it is"


def test_a_match_maps_back_to_the_whole_words_typed():
    text = "OK, That's NOT our problems!"
    normal = normalize(text)
    start = normal.text.index("that is not our problem")
    assert text[slice(*normal.original(start, start + len("that is not our problem")))] == "That's NOT our problems"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14), st.data())
def test_every_span_maps_inside_the_text_and_whole_pieces_map_to_what_was_typed(pieces, data):
    text = "，".join(pieces)  # a clause mark between pieces: no two pieces make one word
    normal = normalize(text)
    size = len(normal.text)
    start = data.draw(st.integers(0, size))
    end = data.draw(st.integers(start, size))
    original_start, original_end = normal.original(start, end)
    assert 0 <= original_start <= original_end <= len(text)
    first = data.draw(st.integers(0, len(pieces) - 1))
    last = data.draw(st.integers(first + 1, len(pieces)))
    before = normalize("，".join(pieces[:first]) + ("，" if first else "")).text
    inside = normalize("，".join(pieces[first:last])).text
    piece_start = len("，".join(pieces[:first])) + (1 if first else 0)
    piece_end = piece_start + len("，".join(pieces[first:last]))
    assert normal.text[len(before):len(before) + len(inside)] == inside
    mapped_start, mapped_end = normal.original(len(before), len(before) + len(inside))
    assert piece_start <= mapped_start <= mapped_end <= piece_end
    assert normalize(text[mapped_start:mapped_end]).text == inside, "the words typed, nothing else"


def test_threads_normalizing_at_once_get_what_one_thread_gets():
    # The composer lints on the interface thread while a worker checks customers' messages: the stemmer keeps
    # state while it works (the pure-Python Snowball above all), so each thread has its own. Every word here is
    # new to the shared cache of word forms, so each thread really stems at the same time as the others.
    import threading

    import snowballstemmer

    reference = snowballstemmer.stemmer("english")
    endings = ("", "s", "ed", "ing", "ation", "ness", "fulness", "ies", "ly")
    words = {thread: ["".join("abcdefghij"[int(digit)] for digit in f"{thread}{number:04d}") + endings[number % 9]
                      for number in range(300)] for thread in range(8)}
    expected = {word: f"we {reference.stemWord(word)} it" for batch in words.values() for word in batch}
    failures: list[str] = []

    def work(thread: int):
        for word in words[thread]:
            if normalize(f"we {word} it").text != expected[word]:
                failures.append(word)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
