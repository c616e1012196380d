"""Tests of the VADER sentiment domains (real data from vaderSentiment==3.3.2)."""

import collections
import io
import re
import tarfile

import numpy as np
import pytest

from keras_transfer import data
from keras_transfer.data.datasets import vader_sentiment as vader
from keras_transfer.testing import require

# name: (rows in the file, unique snippets, kept, positive kept, train, test)
EXPECTED = {
    "vader_movies": (10605, 10603, 10070, 4995, 6713, 3357),
    "vader_amazon": (3708, 3697, 2976, 1743, 1984, 992),
    "vader_nyt": (5190, 5119, 2925, 1171, 1943, 982),
    "vader_tweets": (4200, 4200, 3432, 2345, 2288, 1144),
}


def _words(text):
    return re.sub(r"\W+", "", text.casefold())


@pytest.fixture(scope="module")
def raw_rows():
    """name -> parsed rows of the real files (downloads the sdist once)."""
    try:
        inner = vader._inner_archive()
    except RuntimeError as error:
        require(False, f"vaderSentiment sdist unavailable: {error}")
    return {name: vader.parse_ground_truth(vader._read_member(inner, member), member)
            for name, member in vader.DOMAINS.items()}


def test_row_counts_filtering_and_class_balance(raw_rows):
    for name, (rows, unique, kept, positive, train, test) in EXPECTED.items():
        assert len(raw_rows[name]) == rows, name
        assert len({text for _, _, text in raw_rows[name]}) == unique, name
        train_split = data.load_dataset(name, "train")
        test_split = data.load_dataset(name, "test")
        assert (len(train_split.y), len(test_split.y)) == (train, test), name
        assert int(train_split.y.sum() + test_split.y.sum()) == positive, name
        assert train + test == kept
        assert train_split.class_names == ("negative", "positive")


def test_no_text_or_variant_on_both_sides(raw_rows):
    for name in EXPECTED:
        train = data.load_dataset(name, "train").x.tolist()
        test = data.load_dataset(name, "test").x.tolist()
        assert len(set(train)) == len(train) and len(set(test)) == len(test)
        assert not {_words(t) for t in train} & {_words(t) for t in test}, name
    # The contrived tweets are case/punctuation variants of a few texts;
    # all six "phone interview" variants fall on one side.
    tweets = data.load_dataset("vader_tweets", "train").x.tolist()
    variants = [t for t in tweets + data.load_dataset("vader_tweets", "test").x.tolist()
                if _words(t) == "yayanothergoodphoneinterview"]
    assert len(variants) == 6
    assert len({t in tweets for t in variants}) == 1


def test_documents_stay_on_one_side(raw_rows):
    for name in ("vader_amazon", "vader_nyt"):
        document = {text: ident.split("_")[0] for ident, _, text in raw_rows[name]}
        sides = collections.defaultdict(set)
        for split in ("train", "test"):
            for text in data.load_dataset(name, split).x:
                sides[document[text]].add(split)
        assert all(len(s) == 1 for s in sides.values()), name


def test_labels_are_the_sign_of_the_aligned_mean_rating(raw_rows):
    for name in EXPECTED:
        ratings = collections.defaultdict(list)
        for _, rating, text in raw_rows[name]:
            ratings[text].append(rating)
        for split in ("train", "test"):
            x, y, _ = data.load_dataset(name, split, num_examples=200, seed=5)
            r = data.load_vader_ratings(name, split, num_examples=200, seed=5)
            assert r.dtype == np.float32 and r.shape == (200,)
            expected = np.array([np.mean(ratings[t]) for t in x], np.float32)
            np.testing.assert_allclose(r, expected, rtol=0, atol=1e-6)
            assert np.all(np.abs(r) >= 0.5)
            assert np.array_equal(y, (r > 0).astype(np.int32))
    # A repeated snippet keeps the mean of its two ratings (-2.842..., -2.125).
    x = data.load_dataset("vader_movies", "train").x.tolist()
    x += data.load_dataset("vader_movies", "test").x.tolist()
    assert x.count("...a pretentious mess...") == 1


def test_seed_chooses_within_the_pool(raw_rows):
    a = data.load_dataset("vader_nyt", "train", num_examples=30, seed=1)
    b = data.load_dataset("vader_nyt", "train", num_examples=30, seed=2)
    assert a.class_counts() == {"negative": 18, "positive": 12}
    assert set(a.x.tolist()) != set(b.x.tolist())
    pool = set(data.load_dataset("vader_nyt", "test").x.tolist())
    assert not set(a.x.tolist()) & pool
    with pytest.raises(ValueError, match=r"holds 982 examples, fewer than requested"):
        data.load_dataset("vader_nyt", "test", num_examples=983)


def _tar(files):
    """A .tar.gz in memory holding `files` (name -> bytes)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, payload in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def test_cleaning_and_grouping_on_a_small_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path))
    lines = [
        "1_1\t2.0\tGreat  &amp; cheap.",
        "1_2\t-0.4\tIt arrived on Monday.",  # near-neutral: dropped
        "2_1\t-3.0\tBroke after a day.",
        "3_1\t1.0\tGreat & cheap.",  # same text as 1_1 after cleaning
        "4_1\t-1.5\tBROKE after a day!",  # variant of 2_1: same group
        "5_1\t0.5\tFine.",  # on the band's edge: kept
    ]
    member = vader.DOMAINS["vader_amazon"]
    inner = _tar({member: "\r\n".join(lines).encode("utf-8")})
    monkeypatch.setattr(vader, "_inner_archive", lambda archive=None: inner)
    texts, ratings, groups = vader.read_domain("vader_amazon")
    assert texts.tolist() == ["Great & cheap.", "Broke after a day.",
                              "BROKE after a day!", "Fine."]
    assert ratings.tolist() == [1.5, -3.0, -1.5, 0.5]
    assert groups.tolist() == ["document:1", "document:2", "document:2",
                               "document:5"]
    # Groups shuffled with the fixed seed: documents 1 and 2 (3 of 4 rows)
    # reach a third of the rows, so they are the test pool, variants together.
    test = data.load_dataset("vader_amazon", "test")
    assert sorted(test.x.tolist()) == sorted(texts[:3].tolist())
    ratings_test = data.load_vader_ratings("vader_amazon", "test")
    assert dict(zip(test.x.tolist(), ratings_test.tolist())) == {
        "Great & cheap.": 1.5, "Broke after a day.": -3.0,
        "BROKE after a day!": -1.5}
    assert data.load_dataset("vader_amazon", "train").x.tolist() == ["Fine."]


@pytest.mark.parametrize("line, fragment", [
    ("1\t5.0\ttoo high", r"line 2 is not 'id<TAB>rating in \[-4, 4\]<TAB>text'"),
    ("1\tnan\tnot a number", r"line 2 is not"),
    ("1\t1.0", r"line 2 is not .*'1\\t1.0'"),
])
def test_malformed_lines_fail_with_one_line(line, fragment):
    raw = ("0\t1.0\tfine\n" + line).encode()
    with pytest.raises(ValueError, match=fragment):
        vader.parse_ground_truth(raw, "x.txt")
    with pytest.raises(ValueError, match=r"x.txt is not UTF-8"):
        vader.parse_ground_truth(b"0\t1.0\t\xff\n", "x.txt")


def test_members_are_read_by_exact_name_and_bounded(monkeypatch):
    member = vader.DOMAINS["vader_tweets"]
    archive = _tar({member: b"1\t1.0\thi\n", "other.txt": b"x"})
    assert vader._read_member(archive, member) == b"1\t1.0\thi\n"
    with pytest.raises(RuntimeError, match=r"lacks 'hutto_ICWSM_2014/movieReview"):
        vader._read_member(archive, vader.DOMAINS["vader_movies"])
    monkeypatch.setattr(vader, "_MEMBER_BOUND", 4)
    with pytest.raises(RuntimeError, match=r"not a regular file of at most 4 bytes"):
        vader._read_member(archive, member)
    with pytest.raises(RuntimeError, match=r"not a .tar.gz"):
        vader._read_member(b"not a tarball", member)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        link = tarfile.TarInfo(member)
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(RuntimeError, match=r"not a regular file"):
        vader._read_member(buffer.getvalue(), member)


def test_tampered_sdist_and_tampered_cache_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "home"))
    member = vader.DOMAINS["vader_tweets"]
    fake = tmp_path / "vaderSentiment-3.3.2.tar.gz"
    fake.write_bytes(_tar({vader.INNER: _tar({member: b"1\t3.0\tpwned\n"})}))
    with pytest.raises(RuntimeError,
                       match=r"not the pinned hash of vaderSentiment==3.3.2"):
        data.load_dataset("vader_tweets", archive=str(fake))
    # A cached inner tarball that is not the pinned one is refused too.
    cached = tmp_path / "home" / "sdists" / "vadersentiment-3.3.2" / vader.INNER
    cached.parent.mkdir(parents=True)
    cached.write_bytes(_tar({member: b"1\t3.0\tpwned\n"}))
    with pytest.raises(RuntimeError,
                       match=r"not the pinned d5bb07d8.*refusing to read it"):
        data.load_vader_ratings("vader_tweets")


def test_arguments_are_checked():
    with pytest.raises(ValueError, match=r"`name` must be one of \['vader_movies'"):
        vader.load_vader_sentiment("vader_yelp")
    with pytest.raises(ValueError, match=r"Received: split='dev'"):
        data.load_vader_ratings("vader_tweets", "dev")
    with pytest.raises(ValueError, match=r"num_examples"):
        data.load_vader_ratings("vader_tweets", num_examples=0)
