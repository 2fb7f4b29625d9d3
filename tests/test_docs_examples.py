"""The Python examples in the docs run as written.

Every ```python block of docs/library.md, docs/unicorn.md, docs/user-guide.md and README.md is
run from the repository root in a fresh namespace and must finish without an exception. The examples check
their own results with `assert` lines (registers and memory worked out by hand from the guest
code), so a wrong result fails here, not only a crash. Blocks fenced as ```python unicorn are
Unicorn's side of a comparison: they run only where the unicorn package is installed."""

import gc
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/library.md", "docs/unicorn.md", "docs/user-guide.md", "README.md")
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def blocks(doc: str):
    """(first line number, info after `python`, source) of each ```python block of a doc."""
    text = (ROOT / doc).read_text()
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start(2)) + 1
        yield line, m.group(1).strip(), m.group(2)


def examples(unicorn: bool):
    for doc in DOCS:
        for line, info, source in blocks(doc):
            if ("unicorn" in info.split()) == unicorn:
                yield pytest.param(doc, line, source, id=f"{Path(doc).stem}:{line}")


@pytest.mark.parametrize("doc, line, source", list(examples(unicorn=False)))
def test_example_runs(doc, line, source, monkeypatch):
    _run(doc, line, source, monkeypatch)


@pytest.mark.parametrize("doc, line, source", list(examples(unicorn=True)))
def test_unicorn_side_runs_where_unicorn_is_installed(doc, line, source, monkeypatch):
    pytest.importorskip("unicorn", reason="Unicorn's side of the comparison needs unicorn")
    _run(doc, line, source, monkeypatch)


def _run(doc, line, source, monkeypatch):
    monkeypatch.chdir(ROOT)                     # the examples use demo/hello.elf, plugins/
    code = compile(source, f"{doc}:{line}", "exec")
    namespace = {"__name__": "__doc_example__"}
    try:
        exec(code, namespace)
    finally:
        namespace.clear()
        gc.collect()                            # a machine with native plugins lets go of them


def test_every_doc_has_examples():
    # A fence the pattern stopped matching would silently run nothing.
    counts = {doc: len(list(blocks(doc))) for doc in DOCS}
    assert counts["docs/library.md"] >= 12, counts
    assert counts["docs/user-guide.md"] >= 1 and counts["README.md"] >= 1, counts
    ours = [b for b in blocks("docs/unicorn.md") if "unicorn" not in b[1].split()]
    theirs = [b for b in blocks("docs/unicorn.md") if "unicorn" in b[1].split()]
    assert ours and theirs, "unicorn.md compares the two side by side"
    for doc in DOCS:
        text = (ROOT / doc).read_text()
        assert text.count("```python") == counts[doc], f"{doc}: a ```python fence not matched"
