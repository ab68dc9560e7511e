"""The amazon-connect JSON stream reader: chunk boundaries change nothing, reading is lazy
(memory stays flat however long the file), bad stretches and bad bytes are named."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from itertools import count, islice
from pathlib import Path

import pytest

from callkpi_connector_amazon_connect.jsonstream import Record, read_chunks, records

CTR = Path(__file__).parent / "fixtures" / "amazon_connect" / "ctr_firehose.jsonl"


def pieces(text: str, size: int) -> Iterator[str]:
    return (text[at : at + size] for at in range(0, len(text), size))


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_chunk_boundaries_change_nothing(size: int) -> None:
    # The fixture mixes JSON lines, two concatenated objects, a pretty-printed array spanning
    # lines 5–74 and a record cut off at the end: any split must read the same records.
    text = CTR.read_text(encoding="utf-8")
    whole = list(records(iter([text])))
    assert list(records(pieces(text, size))) == whole
    # 9 values (the array's two elements counted) + the cut record on line 77.
    assert [r.position for r in whole] == ["1", "2", "3", "4", "4", "5[0]", "5[1]", "75", "76",
                                           "77"]  # fmt: skip


def test_a_number_cut_by_a_chunk_boundary_is_read_whole() -> None:
    assert list(records(iter(["12", "34\n", "5"]))) == [Record(1234, 1, "1"), Record(5, 2, "2")]


def test_reading_is_lazy_so_an_endless_input_still_yields() -> None:
    endless = (f'{{"ContactId": "c{n}"}}\n' for n in count())
    first = [r.value["ContactId"] for r in islice(records(endless), 3)]
    assert first == ["c0", "c1", "c2"]  # would never return if the input were read whole


def test_a_bad_line_in_the_middle_is_not_json_and_reading_resumes() -> None:
    found = list(records(pieces('{"a": 1}\n{"b": \n{"c": 3}\n', 3)))
    assert [(r.value, r.line, r.error is None) for r in found] == [
        ({"a": 1}, 1, True), ('{"b": \n', 2, False), ({"c": 3}, 3, True),
    ]  # fmt: skip
    assert found[1].error is not None
    # '{"b": ' takes line 3's object as its value, then finds no ',' after it: character 17
    # of the stretch (6 + newline + 8 for '{"c": 3}' + newline = 16 characters before it).
    assert found[1].error.startswith("not JSON: Expecting ',' delimiter at character 17")


def test_gzip_reads_like_plain_and_a_bad_byte_names_its_offset(tmp_path: Path) -> None:
    packed = tmp_path / "connect-ctr"  # no .gz: recognised by its magic bytes
    packed.write_bytes(gzip.compress(CTR.read_bytes()))
    assert "".join(read_chunks(packed)) == CTR.read_text(encoding="utf-8")
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"Name": "café"}'.encode("latin-1"))  # é = 0xe9 at byte 13
    with pytest.raises(ValueError, match=r"latin.json: byte b'\\xe9' at offset 13 is not UTF-8"):
        list(read_chunks(latin))
