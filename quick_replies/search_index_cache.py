"""The search index kept on disk, so a start with an unchanged library skips the build.

One .npz file of plain arrays (the postings, the entry order, token names and readings as JSON bytes), read
with allow_pickle=False: a cache file is data, never code. It is used only if its fingerprint, a hash of every
indexed text and of the code that indexes it, equals the library's; anything else (missing, damaged, another
version) means a fresh build that replaces it.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pypinyin

from quick_replies.search import SearchDoc
from quick_replies.search_index import SearchIndex
from quick_replies.search_index_build import Postings

FORMAT = "search-index-4"  # 3: f tokens (the word a field starts with); 4: j tokens after leading punctuation
FILE_NAME = "search-index.npz"


def fingerprint(docs: list[SearchDoc], source: str | None = None) -> str:
    """Names the library an index was built from: `source` if the caller has a cheap, sure name for it (the
    console names its library by its files' paths, sizes and modification times), else a hash of every
    indexed text. marshal only turns the texts into bytes to hash, at C speed; nothing is unmarshalled."""
    head = f"{FORMAT}\x1e{sys.version}\x1e{pypinyin.__version__}\x1e{np.__version__}\x1e{len(docs)}"
    digest = hashlib.blake2b(head.encode(), digest_size=20)
    if source is not None:
        digest.update(b"source\x1e" + source.encode("utf-8", "surrogatepass"))
    else:
        digest.update(marshal.dumps([(doc.kind, doc.key, doc.shortcut, doc.fields) for doc in docs], 2))
    return digest.hexdigest()


def load_or_build(docs: list[SearchDoc], cache_dir: Path | None, source: str | None = None) -> SearchIndex:
    if cache_dir is None:
        return SearchIndex.build(docs)
    path = Path(cache_dir) / FILE_NAME
    stamp = fingerprint(docs, source)
    index = load(docs, path, stamp)
    if index is None:
        index = SearchIndex.build(docs)
        try:
            save(index, docs, path, stamp)
        except OSError:
            pass  # a read-only or full disk costs the next start a build, nothing more
    return index


def save(index: SearchIndex, docs: list[SearchDoc], path: Path, stamp: str) -> None:
    postings = index.postings
    position = {id(doc): n for n, doc in enumerate(docs)}
    arrays = {
        "stamp": _text_array(stamp),
        "order": np.array([position[id(doc)] for doc in index.docs], dtype=np.int64),
        "offsets": postings.offsets,
        "ids": postings.ids,
        "tokens": _text_array(json.dumps(postings.tokens, ensure_ascii=False)),
        "spellings": _text_array(json.dumps(postings.spellings, ensure_ascii=False)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".search-index-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(docs: list[SearchDoc], path: Path, stamp: str) -> SearchIndex | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            if _text(stored["stamp"]) != stamp:
                return None
            order = stored["order"]
            if order.size != len(docs):
                return None
            postings = Postings(json.loads(_text(stored["tokens"])), stored["offsets"], stored["ids"],
                                {k: tuple(v) for k, v in json.loads(_text(stored["spellings"])).items()})
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # missing or damaged: build afresh
    return SearchIndex(list(map(docs.__getitem__, order.tolist())), postings)


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def _text(array: np.ndarray) -> str:
    return array.tobytes().decode("utf-8", "surrogatepass")
