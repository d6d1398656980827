"""The structured pass on colours written without a template in mind: a hair colour with no noun,
questions and their answers, similes, and colours fused to a part by a hyphen in either order; and the
distractors, keys and synonyms around them still read as before."""

from __future__ import annotations

import pytest

from cgan.core.errors import CganError
from cgan.text.colour_parse import parse
from cgan.text.prompt_reader import check_prompt, combine


def _read(text: str) -> tuple[str | None, str | None]:
    p = parse(text)
    return p.colour("hair"), p.colour("eyes")


@pytest.mark.parametrize("text, hair, eyes", [
    ("crimson-eyed, blonde", "blonde", "red"),
    ("a crimson-eyed blonde", "blonde", "red"),
    ("a blonde girl with green eyes", "blonde", "green"),
    ("Blond, blue eyes", "blonde", "blue"),
    ("a brunette with hazel eyes", "brown", "brown"),
    ("a redhead in a blue dress, green eyes", "red", "green"),
    ("A REDHEADED BOY, PURPLE EYES", "red", "purple"),
    ("green-eyed ginger", "orange", "green"),
    ("a platinum blonde, violet eyes", "blonde", "purple"),
])
def test_a_hair_colour_named_without_the_word_hair(text, hair, eyes):
    assert _read(text) == (hair, eyes)


def test_a_bare_hair_word_is_said_and_never_overrides_a_named_hair_colour():
    r = combine("crimson-eyed, blonde")
    assert (r.hair, r.eyes, r.missing) == ("blonde", "red", [])
    assert "'blonde' read as blonde hair (a hair colour named without the word hair)" in " ".join(r.notes)
    assert not any("names no hair colour" in n for n in r.notes)
    check_prompt("a redhead with green eyes", strict=True)  # names both: --strict accepts it
    # A blonde doll is a distractor once the hair has its own colour; "blonde" on the eyes stays an error.
    assert _read("a blonde doll, pink hair, blue eyes") == ("pink", "blue")
    with pytest.raises(CganError, match="'blonde' is not an eye colour"):
        combine("blonde eyes, black hair")


@pytest.mark.parametrize("text, hair, eyes", [
    ("Her eyes? Green. Hair: silver.", "gray", "green"),
    ("What colour are her eyes? Blue. Her hair? Pink.", "pink", "blue"),
    ("What colour is her hair? It's pink, and her eyes are blue.", "pink", "blue"),
    ("HAIR COLOUR? AQUA! EYE COLOUR? RED", "aqua", "red"),
    ("Q: hair? A: orange. Q: eyes? A: yellow", "orange", "yellow"),
    ("Green hair, and her eyes? Yellow!", "green", "yellow"),
    ("Hair and eyes? Pink and blue.", "pink", "blue"),
    ("Her eyes? Hard to say. A red hat.", None, None),  # the answer ends with its sentence
])
def test_a_colour_answering_a_question_takes_the_noun_asked_about(text, hair, eyes):
    assert _read(text) == (hair, eyes)


def test_one_answer_for_two_nouns_is_both_and_said():
    r = combine("Hair and eyes? Both purple.")
    assert (r.hair, r.eyes) == ("purple", "purple") and "eyes purple, the colour named for both" in " ".join(r.notes)


@pytest.mark.parametrize("text, hair, eyes", [
    ("eyes as blue as the sea", None, "blue"),
    ("eyes as green as emeralds, hair as white as snow", "white", "green"),
    ("her eyes, as red as rubies, and her hair, as black as ebony", "black", "red"),
    ("eyes that are as golden as the sun and pink hair", "pink", "yellow"),
    ("hair like gold and eyes like sapphires", "blonde", "blue"),
    ("eyes that shine like emeralds, pink hair", "pink", "green"),
    ("hair pink like cherry blossoms, eyes like blue glass", "pink", "blue"),
])
def test_a_simile_binds_its_colour_to_the_noun_it_describes(text, hair, eyes):
    assert _read(text) == (hair, eyes)


def test_as_links_only_the_colour_it_frames():
    # "as" before a colour that no second "as" follows is no simile: the red belongs to the ribbons.
    assert _read("blue eyes, as red ribbons flutter") == (None, "blue")
    assert _read("her eyes as a red car passes") == (None, None)
    assert _read("pink hair as well as a red bow") == ("pink", None)


@pytest.mark.parametrize("text, hair, eyes", [
    ("crimson-eyed", None, "red"),
    ("eyes-blue, hair-red", "red", "blue"),
    ("blue-eyes and pink-hair", "pink", "blue"),
    ("eye-green / hair-silver", "gray", "green"),
    ("a girl eyed-brown, haired-gray", "gray", "brown"),
    ("a red-headed girl with blue eyes", "red", "blue"),
    ("Blonde-Haired, Blue-Eyed", "blonde", "blue"),
    ("pink-haired green-eyed girl", "pink", "green"),
])
def test_a_colour_fused_to_a_part_by_a_hyphen_in_either_order(text, hair, eyes):
    assert _read(text) == (hair, eyes)


@pytest.mark.parametrize("text, hair, eyes", [
    ("a blue-eyed girl in a red hat with green hair", "green", "blue"),
    ("a girl in a yellow raincoat with aqua hair and pink eyes", "aqua", "pink"),
    ("hair: aqua / eyes: pink", "aqua", "pink"),
    ("EYES = RED, HAIR = BLACK", "black", "red"),
    ("a red ribbon like a flame, blue eyes, green hair", "green", "blue"),
    ("Navy hair with Scarlet eyes, white background", "blue", "red"),
])
def test_distractors_keys_capitals_and_synonyms_read_as_before(text, hair, eyes):
    assert _read(text) == (hair, eyes)
