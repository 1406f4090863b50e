"""The [keys] remaps are spelled and checked before the app starts, the way Textual will match them."""

from textual.binding import Binding

from console.keymap import keymap_problems, normalized


def test_keys_are_spelled_as_textual_names_them():
    assert normalized("?") == ["question_mark"]
    assert normalized("ctrl+o, f6") == ["ctrl+o", "f6"]
    assert normalized("a,/,$") == ["a", "slash", "dollar_sign"]


def test_an_empty_name_in_a_list_binds_nothing():
    assert normalized("ctrl+o,,f6") == ["ctrl+o", "f6"]
    assert normalized(" , ") == []


def test_a_key_written_as_its_character_clashes_with_the_same_key_written_by_name():
    bindings = [Binding("question_mark", "help", "Help", id="help"), Binding("f6", "tag", "Tag", id="tag_chat")]
    assert keymap_problems(bindings, [], {"tag_chat": "?"}) == [
        "[keys] question_mark is claimed by help and tag_chat; only one of them will work"
    ]
