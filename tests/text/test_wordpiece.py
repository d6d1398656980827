from cgan.text.wordpiece import WordPiece, basic_tokens


def _vocab(tmp_path, words):
    p = tmp_path / "vocab.txt"
    p.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *words]) + "\n")
    return WordPiece(p)


def test_basic_tokens_lowercase_strip_accents_split_punctuation():
    assert basic_tokens("Café-au-LAIT, naïve!") == ["cafe", "-", "au", "-", "lait", ",", "naive", "!"]
    assert basic_tokens("  tabs\tand\nnewlines  ") == ["tabs", "and", "newlines"]
    assert basic_tokens("red花yellow") == ["red", "花", "yellow"]  # CJK ideographs stand alone
    assert basic_tokens("a\x00b\u200bc") == ["abc"]  # NUL and zero-width (format) characters dropped
    assert basic_tokens("$5 #ff0000 `x`") == ["$", "5", "#", "ff0000", "`", "x", "`"]


def test_wordpiece_longest_match_first_and_unknown_words(tmp_path):
    wp = _vocab(tmp_path, ["flower", "flow", "##er", "##s", "red", "pet", "##al", "##als"])
    v = wp.vocab
    assert wp.ids("Red flowers") == [v["red"], v["flower"], v["##s"]]
    assert wp.ids("petals") == [v["pet"], v["##als"]]  # longest piece, not ##al + ##s
    assert wp.ids("zebra red") == [wp.unk, v["red"]]  # no split possible: the whole word is [UNK]
    assert wp.ids("red" * 40) == [wp.unk]  # over 100 characters
