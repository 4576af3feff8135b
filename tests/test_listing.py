"""The README's list of supported NumPy and SciPy functions is the registry's."""

from __future__ import annotations

import pathlib

from s2sdiff.rules import listing

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_block_is_generated_from_the_rules():
    text = README.read_text(encoding="utf-8")
    block = text[text.index(listing.BEGIN) + len(listing.BEGIN) + 1:text.index(listing.END)]
    assert block == listing.markdown(), (
        "the README's function list is stale: run python -m s2sdiff.rules.listing --write README.md")


def test_the_listing_names_rules_of_every_kind():
    block = listing.markdown()
    for name in ("`np.sin`", "`np.linalg.eigh`", "`np.linalg.multi_dot`", "`np.argmax`",
                 "`scipy.stats.norm.logpdf`", "`scipy.special.softmax`"):
        assert name in block
    assert "`np.std`: 0 where the variance is 0" in block


def test_replacing_the_block(tmp_path):
    text = f"# T\n\n{listing.BEGIN}\nold\n{listing.END}\nrest\n"
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    assert listing.main(["--write", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == text.replace("old\n", listing.markdown())
