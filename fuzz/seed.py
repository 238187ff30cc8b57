#!/usr/bin/env python3
"""Fills fuzz/corpus/<target>/ with realistic inputs: the string literals of
the code (and tests) that each target exercises, the demo community's text,
the guards' labelled corpora, and a few hand-made files (seeds/ beside this
script). Run from anywhere; existing corpus files are kept. An optional
folder of real-world documents (HEARTH_FUZZ_DOCS, e.g. the product's seed
documents) adds Markdown and guard inputs.
"""

import hashlib
import os
import re
import struct
import sys
import zlib
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORE = ROOT / "crates/hearth-core"
SERVER = ROOT / "crates/hearth-server/src"
SEP = "\x01"
MAX_LEN = 8192

RAW = re.compile(r'r(#*)"(.*?)"\1', re.S)
PLAIN = re.compile(r'(?<![r#\w])"((?:[^"\\]|\\.)*)"', re.S)


def unescape(s):
    s = re.sub(r"\\\n\s*", "", s)
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n in simple:
                out.append(simple[n])
                i += 2
                continue
            m = re.match(r"u\{([0-9a-fA-F]+)\}", s[i + 1 :])
            if m:
                out.append(chr(int(m.group(1), 16)))
                i += 1 + len(m.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out)


def literals(*paths):
    """The string literals of Rust files (globs under the repository)."""
    found = []
    for pattern in paths:
        for path in sorted(ROOT.glob(pattern)):
            text = path.read_text()
            for m in RAW.finditer(text):
                found.append(m.group(2))
            for m in PLAIN.finditer(RAW.sub("", text)):
                found.append(unescape(m.group(1)))
    return [s for s in found if len(s) >= 3]


def tsv_texts(path):
    """The text column of a labelled corpus (`label<TAB>text`)."""
    out = []
    for line in (CORE / path).read_text().splitlines():
        if line and not line.startswith("#") and "\t" in line:
            out.append(line.split("\t", 1)[1])
    return out


def documents():
    folder = os.environ.get("HEARTH_FUZZ_DOCS")
    if not folder or not Path(folder).is_dir():
        return []
    return [p.read_text(errors="replace")[:MAX_LEN] for p in sorted(Path(folder).iterdir()) if p.is_file()]


def write(target, items):
    folder = FUZZ / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    hand = FUZZ / "seeds" / target
    if hand.is_dir():
        items = list(items) + [p.read_bytes() for p in sorted(hand.iterdir())]
    count = 0
    for item in items:
        data = item.encode() if isinstance(item, str) else item
        data = data[:MAX_LEN]
        name = hashlib.sha1(data).hexdigest()
        (folder / name).write_bytes(data)
        count += 1
    print(f"{target}: {count} seeds")


def png(w, h):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\0" + b"\xff\x00\x00" * w for _ in range(h))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def images():
    gif = b"GIF89a" + struct.pack("<HH", 3, 2) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff" \
        + b",\x00\x00\x00\x00\x03\x00\x02\x00\x00\x02\x02D\x01\x00;"
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" \
        + b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", 480, 640) + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01" \
        + b"\xff\xd9"
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (99).to_bytes(3, "little") + (49).to_bytes(3, "little")
    webp = b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x
    vp8l = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", (15) | (7 << 14)) + b"\x00"
    webp_lossless = b"RIFF" + struct.pack("<I", 4 + len(vp8l)) + b"WEBP" + vp8l
    return [png(1, 1), png(16, 9), gif, jpeg, webp, webp_lossless, b"BM" + b"\0" * 40, b"<svg/>"]


def main():
    demo = literals("crates/hearth-server/src/demo.rs")
    docs = documents()
    personal = tsv_texts("corpus/personal/dev.tsv") + tsv_texts("corpus/personal/heldout.tsv")
    spam = tsv_texts("corpus/spam/corpus.tsv")
    crisis = (CORE / "corpus/crisis/default.txt").read_text()
    prose = [s for s in demo if " " in s] + personal

    write("markdown", prose + docs + literals("crates/hearth-core/src/text/*.rs",
                                             "crates/hearth-server/tests/it/*.rs")[:2000])
    write("personal_guard", personal + [s for s in demo if " " in s] + docs
          + literals("crates/hearth-core/src/guard/personal/*.rs"))
    word_lists = literals("crates/hearth-core/src/guard/words.rs", "crates/hearth-core/src/guard/crisis.rs")
    lists = [s for s in word_lists if "\n" in s]
    combined = []
    for i, text in enumerate(spam[:300] + prose[:200]):
        block = lists[i % len(lists)] if lists else ""
        replace = "chemo => chemotherapy\nbloody => b****"
        combined.append(SEP.join([text, block, "", "", replace, crisis if i % 10 == 0 else ""]))
    write("word_lists", combined)
    queries = []
    for text in prose[:400]:
        words = text.split()
        queries.append(" ".join(words[1:4]) + SEP + text)
        queries.append('"' + " ".join(words[:2]) + '" -' + words[-1] + SEP + text)
    write("search_query", queries + literals("crates/hearth-core/src/text/search.rs"))
    hours = [s for s in literals("crates/hearth-core/src/hours.rs") if any(d in s.lower() for d in ("day", "mon", "tue", ":"))]
    zones = ["Europe/London", "America/New_York", "Pacific/Chatham", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]
    write("hours", [h + SEP + zones[i % len(zones)] + SEP + str(1_700_000_000_000 + i * 86_400_000 // 3)
                    for i, h in enumerate(hours)])
    write("values", literals("crates/hearth-core/src/model/*.rs"))
    pages = literals("crates/hearth-server/src/webmention/*.rs", "crates/hearth-server/src/web/webmention.rs",
                     "crates/hearth-server/tests/it/webmention*.rs")
    write("webmention_page", [p for p in pages if "<" in p]
          + ['<https://source.example/wm>; rel="webmention"' + SEP + p for p in pages if "<a" in p][:50])
    write("pingback_xml", [p for p in literals("crates/hearth-server/src/webmention/pingback.rs",
                                                 "crates/hearth-server/tests/it/*.rs") if "<" in p])
    write("upload_sniff", images())
    write("request_bits", literals("crates/hearth-server/src/web/session.rs", "crates/hearth-server/src/web/share.rs",
                                   "crates/hearth-server/src/web/home.rs", "crates/hearth-server/src/webmention/discover.rs"))


if __name__ == "__main__":
    sys.exit(main())
