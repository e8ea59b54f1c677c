"""The XES reader and writer: layouts, entities, refusals, real logs, and round trips."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import random
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procflow.errors import FormatError, MappingError, TimestampError, UnsafeInputError
from procflow.ingest import xes
from procflow.ingest.sniff import Limits
from procflow.ingest.xes import read_xes
from procflow.store import export_xes
from procflow.store.export_xes import write_xes

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

LOG = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event"><string key="org:resource" value="UNKNOWN"/></global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="concept:name" value="the log"/>
  <trace>
    <string key="concept:name" value="c1"/>
    <event>
      <string key="concept:name" value="Submit"/>
      <date key="time:timestamp" value="2024-01-02T09:00:00.000+01:00"/>
      <string key="org:resource" value="Ann"/>
    </event>
    <event>
      <string key="concept:name" value="Approve"/>
      <date key="time:timestamp" value="2024-01-03T10:30:00.000+01:00"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="c2"/>
    <int key="priority" value="3"/>
    <event>
      <string key="concept:name" value="Submit"/>
      <date key="time:timestamp" value="2024-01-04T08:00:00Z"/>
      <string key="org:resource" value="Bob"/>
    </event>
  </trace>
</log>
"""


_HOME: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _home(tmp_path_factory: pytest.TempPathFactory) -> None:
    _HOME[:] = [tmp_path_factory.mktemp("xes")]


def xes_file(text: str | bytes, name: str = "log.xes") -> Path:
    folder = Path(tempfile.mkdtemp(dir=_HOME[0]))
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def read_text(text: str | bytes) -> dict[str, list[object]]:
    return read_xes(xes_file(text)).to_pydict()


def wrap_events(*events: str, trace: str = "") -> str:
    body = "".join(f"<event>{e}</event>" for e in events)
    return f'<log><trace><string key="concept:name" value="c"/>{trace}{body}</trace></log>'


# -- crafted layouts -------------------------------------------------------------------------


def test_rows_columns_trace_attributes_and_nulls() -> None:
    table = read_xes(xes_file(LOG))
    assert table.column_names == ["concept:name", "time:timestamp", "org:resource",
                                  "case:concept:name", "case:priority", "__row"]
    assert all(table.schema.field(n).type == pa.string() for n in table.column_names[:-1])
    assert table.schema.field("__row").type == pa.int64()
    data = table.to_pydict()
    assert data["concept:name"] == ["Submit", "Approve", "Submit"]
    assert data["time:timestamp"] == ["2024-01-02T09:00:00.000+01:00",
                                      "2024-01-03T10:30:00.000+01:00", "2024-01-04T08:00:00Z"]
    assert data["org:resource"] == ["Ann", None, "Bob"]  # the global default is not applied
    assert data["case:concept:name"] == ["c1", "c1", "c2"]
    assert data["case:priority"] == [None, None, "3"]
    assert data["__row"] == [1, 2, 3]
    assert "creator" not in data and "case:creator" not in data


def test_attribute_order_quotes_and_whitespace_inside_tags() -> None:
    data = read_text(wrap_events(
        """<string value="v1" key="a"/><string key='b' value='it"s'/>""",
        """<string\n\tkey = "a"\r\n   value="v2"\n/><string key="b" value="x"></string>"""
        """<string key="c" value="x>y" extra="1"/>""",
    ))
    assert data["a"] == ["v1", "v2"]
    assert data["b"] == ['it"s', "x"]
    assert data["c"] == [None, "x>y"]


def test_entities_and_character_references_are_decoded() -> None:
    data = read_text(wrap_events(
        '<string key="a" value="&amp; &lt;b&gt; &quot;q&quot; &apos;s&apos; caf&#233; &#x1F600;"/>'
        '<string key="k&amp;y" value="line&#10;break"/>',
        '<string key="a" value="two\nlines\tand\r\ntabs"/>',
    ))
    assert data["a"] == ["& <b> \"q\" 's' café 😀", "two lines and tabs"]
    assert data["k&y"] == ["line\nbreak", None]


def test_comments_cdata_and_processing_instructions_are_skipped() -> None:
    text = ('<?xml version="1.0"?>\n<!-- a <event> in a comment -->\n<log><trace>'
            '<?pi <event> ?><string key="concept:name" value="c"/><!-- <trace> -->'
            '<event><![CDATA[<event><string key="x" value="no"/></event>]]>'
            '<string key="concept:name" value="A"/><!-- </event> --></event></trace></log>')
    data = read_text(text)
    assert data == {"concept:name": ["A"], "case:concept:name": ["c"], "__row": [1]}


def test_nested_list_and_container_attributes_do_not_leak() -> None:
    data = read_text(wrap_events(
        '<string key="concept:name" value="A"><string key="meta" value="m"/>'
        '<int key="deep" value="1"><int key="deeper" value="2"/></int></string>'
        '<list key="items"><values><string key="item" value="i1"/></values></list>'
        '<container key="box"><string key="inside" value="in"/></container>'
        '<string key="after" value="ok"/>',
        trace='<string key="tattr" value="t"><string key="tmeta" value="no"/></string>',
    ))
    assert set(data) == {"concept:name", "after", "case:concept:name", "case:tattr", "__row"}
    assert data["concept:name"] == ["A"] and data["after"] == ["ok"]


def test_trace_attributes_after_events_apply_to_all_its_events() -> None:
    text = ('<log><trace><event><string key="concept:name" value="A"/></event>'
            '<string key="concept:name" value="late"/><event/></trace></log>')
    data = read_text(text)
    assert data["case:concept:name"] == ["late", "late"]
    assert data["concept:name"] == ["A", None]


def test_duplicate_key_keeps_the_last_value_and_empty_traces_give_no_rows() -> None:
    data = read_text('<log><trace/><trace><event><string key="a" value="1"/>'
                     '<string key="a" value="2"/></event></trace></log>')
    assert data == {"a": ["2"], "__row": [1]}


def test_bom_declared_encodings_and_prefixed_names() -> None:
    bom = b"\xef\xbb\xbf" + LOG.encode()
    assert read_xes(xes_file(bom)).num_rows == 3
    latin = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + wrap_events(
        '<string key="a" value="café"/>')).encode("latin-1")
    assert read_text(latin)["a"] == ["café"]
    prefixed = ('<x:log xmlns:x="http://www.xes-standard.org/"><x:trace><x:event>'
                '<x:string key="a" value="1"/></x:event></x:trace></x:log>')
    assert read_text(prefixed)["a"] == ["1"]


def test_unsupported_encoding_is_refused() -> None:
    text = '<?xml version="1.0" encoding="EBCDIC-CP-US"?><log/>'
    with pytest.raises(FormatError, match="encoding 'ebcdic-cp-us'"):
        read_xes(xes_file(text))
    with pytest.raises(FormatError, match="UTF-16"):
        read_xes(xes_file(LOG.encode("utf-16")))


def test_event_outside_a_trace_is_an_error_with_its_line() -> None:
    text = '<log>\n<trace></trace>\n<event><string key="a" value="1"/></event>\n</log>'
    with pytest.raises(FormatError, match=r"line 3 .*outside a <trace>"):
        read_xes(xes_file(text))


def test_small_chunks_give_the_same_table(monkeypatch: pytest.MonkeyPatch) -> None:
    trace = LOG[LOG.index("  <trace>"):LOG.index("</log>")]
    trace = trace.replace("<event>", "<!-- a <long> comment -->\n<event>").replace(
        '<string key="org:resource" value="Ann"/>',
        '<string key="org:resource" value="Ann &amp; Co"><string key="m" value="x"/></string>'
        "<![CDATA[ <event> ]]>")
    text = LOG.replace("</log>", trace * 20 + "</log>")
    expected = read_xes(xes_file(text))
    assert expected.num_rows == 63 and len(text) > 4 * 4096
    for size in (7, 16, 50, 333):
        monkeypatch.setattr(xes, "CHUNK", size)
        assert read_xes(xes_file(text)).equals(expected)


def test_progress_reports_bytes_read() -> None:
    seen: list[int] = []
    path = xes_file(LOG)
    read_xes(path, progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == path.stat().st_size


# -- malformed input -------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "<log><trace><event></trace></log>",  # unclosed event
    "<log><trace><event><string key='a' value='1'></event></trace></log>",  # unclosed attr
    "<log><trace><event><string key='a' value='1'></int></event></trace></log>",  # mismatch
    '<log><trace><event><string key="a" value="1"/></event></trace>',  # truncated
    '<log><trace><event><string key="a" value="1',  # cut inside a tag
    "<log><trace>garbage<event/></trace></log>",  # text content
    '<log><trace><event><string key="a" value="<"/></event></trace></log>',
    '<log><trace><event><string key="a" value="&nope;"/></event></trace></log>',
    '<log><trace><event><string key="a" value="&#0;"/></event></trace></log>',
    '<log><trace><event><string key="a" value="1" key="2"/></event></trace></log>',
    "<log/><log/>",
    "<log></log>trailing",
    "<log><!-- never closed",
    "not xml at all",
    "   \n\t ",
    "",
])
def test_malformed_xml_is_a_format_error(text: str) -> None:
    with pytest.raises(FormatError) as caught:
        read_xes(xes_file(text, "broken.xes"))
    assert "broken.xes" in str(caught.value)


def test_errors_report_the_line() -> None:
    text = '<log>\n<trace>\n<event>\n<string key="a" value="1">\n</int>\n</event></trace></log>'
    with pytest.raises(FormatError, match="line 5"):
        read_xes(xes_file(text))
    with pytest.raises(FormatError, match=r"line 3 \(byte 21\).*truncated"):
        read_xes(xes_file("<log>\n<trace>\n<event>"))


@pytest.mark.parametrize("blob", [
    bytes(range(256)) * 40,
    b"<log>" + bytes(range(256)) * 4,
    b"<log>\x00\x01\x02</log>",
    b"<log>\xff\xfe\xfa</log>",
    random.Random(7).randbytes(4096),
])
def test_binary_garbage_is_a_format_error(blob: bytes) -> None:
    with pytest.raises(FormatError):
        read_xes(xes_file(blob))


# -- refused for safety ----------------------------------------------------------------------


def test_doctype_and_entities_are_refused() -> None:
    internal = '<!DOCTYPE log [<!ENTITY who "x">]><log><trace><event>' \
               '<string key="a" value="&who;"/></event></trace></log>'
    with pytest.raises(UnsafeInputError, match="DOCTYPE") as caught:
        read_xes(xes_file(internal, "evil.xes"))
    assert "evil.xes" in str(caught.value)
    with pytest.raises(UnsafeInputError):
        read_xes(xes_file('<!DOCTYPE log SYSTEM "log.dtd"><log/>'))
    with pytest.raises(UnsafeInputError):
        read_xes(xes_file("<log><!-- <!ENTITY x 'y'> --></log>"))


def test_external_entity_is_refused_without_reading_the_file() -> None:
    text = ('<?xml version="1.0"?><!DOCTYPE log [<!ENTITY pw SYSTEM "file:///etc/passwd">]>'
            '<log><trace><event><string key="a" value="&pw;"/></event></trace></log>')
    with pytest.raises(UnsafeInputError) as caught:
        read_xes(xes_file(text))
    assert "root:" not in str(caught.value)


def test_doctype_after_the_first_chunk_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xes, "CHUNK", 64)
    text = LOG.replace("</log>", '<!DOCTYPE x [<!ENTITY a "b">]></log>')
    with pytest.raises(UnsafeInputError):
        read_xes(xes_file(text))


def test_billion_laughs_is_refused_fast() -> None:
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", '<!ENTITY lol "lol">']
    lines += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    lines[-9] = lines[-9].replace("&lol0;", "&lol;")
    lines += ["]>", "<log><trace><event>", '<string key="a" value="&lol9;"/>',
              "</event></trace></log>"]
    start = time.perf_counter()
    with pytest.raises(UnsafeInputError):
        read_xes(xes_file("\n".join(lines)))
    assert time.perf_counter() - start < 1.0


def test_gzip_bomb_and_ratio_caps_surface_as_unsafe_input() -> None:
    body = LOG.replace("</log>", "<!--" + " " * 3_000_000 + "--></log>")
    path = xes_file(gzip.compress(body.encode()), "bomb.xes.gz")
    with pytest.raises(UnsafeInputError, match="exceeds"):
        read_xes(path, limits=Limits(max_bytes=1_000_000))
    with pytest.raises(UnsafeInputError, match="ratio"):
        read_xes(path, limits=Limits(max_ratio=50, ratio_grace=100_000))


def test_gzip_content_is_read_whatever_the_name_and_truncation_is_an_error() -> None:
    packed = gzip.compress(LOG.encode())
    assert read_xes(xes_file(packed, "plain-name.xes")).equals(read_xes(xes_file(LOG)))
    with pytest.raises(FormatError):
        read_xes(xes_file(packed[: len(packed) // 2], "cut.xes.gz"))
    broken = packed[:20] + bytes(b ^ 0x55 for b in packed[20:40]) + packed[40:]
    with pytest.raises(FormatError):
        read_xes(xes_file(broken, "corrupt.xes.gz"))


# -- real logs -------------------------------------------------------------------------------


def shared(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"real log {name} not found in {DATA} (shared data folder absent)")
    return path


REAL = [  # file, cases, events, activities (None: not checked)
    ("running-example.xes", 6, 42, 8),
    ("receipt.xes.gz", 1434, 8577, 27),
    ("BPI_2020_DomesticDeclarations.xes.gz", 10500, 56437, 17),
    ("BPIC15_1.xes.gz", 1199, 52217, None),
    ("BPIC15_2.xes.gz", 832, 44354, None),
    ("bpic2013_closed_problems.xes.gz", 1487, 6660, 4),
    ("ConsultaDataMining201618.xes.gz", 954, 13740, 18),
    ("interval_event_log.xes", 1266, 8109, 8),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "cases", "events", "activities"), REAL)
def test_real_log_counts(name: str, cases: int, events: int, activities: int | None) -> None:
    df = read_xes(shared(name)).to_pandas()
    assert len(df) == events
    assert df["case:concept:name"].nunique() == cases
    if activities is not None:
        assert df["concept:name"].nunique() == activities
    assert df["__row"].tolist() == list(range(1, events + 1))


def pm4py_frame(path: Path) -> pd.DataFrame:
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        return pm4py.read_xes(str(path), return_legacy_log_object=False)


def instants(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["running-example.xes", "receipt.xes.gz",
                                  "ConsultaDataMining201618.xes.gz"])
def test_real_log_equals_pm4py_event_by_event(name: str) -> None:
    path = shared(name)
    ours, theirs = read_xes(path).to_pandas(), pm4py_frame(path)
    assert set(ours.columns) - {"__row"} == set(theirs.columns)
    for column in ("case:concept:name", "concept:name", "org:resource"):
        assert ours[column].tolist() == theirs[column].tolist(), column
    assert (instants(ours["time:timestamp"]) == theirs["time:timestamp"]).all()


# -- writing ---------------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["running-example.xes", "receipt.xes.gz",
                                  "interval_event_log.xes"])
def test_real_log_round_trip(name: str, tmp_path: Path) -> None:
    original = read_xes(shared(name))
    out = tmp_path / "again.xes"
    write_xes(original, out)
    assert read_xes(out).equals(original)
    theirs = pm4py_frame(out)
    assert len(theirs) == original.num_rows
    assert theirs["case:concept:name"].nunique() == len(set(original["case:concept:name"]))
    assert theirs["concept:name"].tolist() == original["concept:name"].to_pylist()


def typed_table() -> pa.Table:
    utc = dt.UTC
    times = [dt.datetime(2024, 3, 1, 9, 0, 0, 123000, utc), dt.datetime(2024, 3, 1, 10, tzinfo=utc),
             dt.datetime(2024, 3, 2, 8, 30, 15, 250000, utc)]
    return pa.table({
        "case:concept:name": ["b", "a", "b"],
        "concept:name": ["Check <urgent>", 'Say "hi" & go', "Close\ttab\nline"],
        "time:timestamp": pa.array(times, pa.timestamp("ms", "Europe/Amsterdam")),
        "start_timestamp": pa.array([times[0], None, times[2]], pa.timestamp("us", "UTC")),
        "org:resource": ["Ann", None, "Bob"],
        "cost": pa.array([1.5, None, float("nan")]),
        "count": pa.array([1, 2, None], pa.int64()),
        "urgent": pa.array([True, False, None]),
        "case:unit": ["North", "South", "ignored: not the case's first event"],
        "__row": pa.array([1, 2, 3], pa.int64()),
    })


@pytest.mark.parametrize("batch", [1, 2, 50_000])
def test_write_groups_cases_types_values_and_escapes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    monkeypatch.setattr(export_xes, "WRITE_BATCH", batch)
    out = tmp_path / "typed.xes"
    write_xes(typed_table(), out)
    text = out.read_text("utf-8")
    assert '<date key="time:timestamp" value="2024-03-01T10:00:00.123+01:00"/>' in text
    assert '<date key="start_timestamp" value="2024-03-01T09:00:00.123000+00:00"/>' in text
    assert '<float key="cost" value="1.5"/>' in text and "nan" not in text
    assert '<int key="count" value="1"/>' in text and '<boolean key="urgent"' in text
    assert 'key="__row"' not in text
    data = read_xes(out).to_pydict()
    assert data["case:concept:name"] == ["b", "b", "a"]
    assert data["concept:name"] == ["Check <urgent>", "Close\ttab\nline", 'Say "hi" & go']
    assert data["case:unit"] == ["North", "North", "South"]
    assert data["org:resource"] == ["Ann", "Bob", None]
    assert data["cost"] == ["1.5", None, None]
    assert data["urgent"] == ["true", None, "false"]
    assert instants(pd.Series(data["time:timestamp"])).tolist() == [
        pd.Timestamp("2024-03-01T09:00:00.123Z"), pd.Timestamp("2024-03-02T08:30:15.250Z"),
        pd.Timestamp("2024-03-01T10:00:00Z")]
    theirs = pm4py_frame(out)
    assert theirs["concept:name"].tolist() == data["concept:name"]


def test_write_takes_any_case_column_and_writes_ids_as_text(tmp_path: Path) -> None:
    out = tmp_path / "ids.xes"
    write_xes(pa.table({"case_id": [7, 5, 7], "concept:name": ["a", "b", "c"]}), out,
              case_column="case_id")
    assert '<string key="concept:name" value="7"/>' in out.read_text("utf-8")
    data = read_xes(out).to_pydict()
    assert data["case:concept:name"] == ["7", "7", "5"]
    assert data["concept:name"] == ["a", "c", "b"]


def test_write_refuses_what_xes_cannot_hold(tmp_path: Path) -> None:
    out = tmp_path / "bad.xes"
    with pytest.raises(MappingError, match="no case column"):
        write_xes(pa.table({"concept:name": ["a"]}), out)
    with pytest.raises(MappingError, match="no case id"):
        write_xes(pa.table({"case:concept:name": [None, "x"]}, ), out)
    with pytest.raises(TimestampError, match="time zone"):
        write_xes(pa.table({"case:concept:name": ["x"],
                            "time:timestamp": pa.array([dt.datetime(2024, 1, 1)])}), out)
    with pytest.raises(MappingError, match="control characters"):
        write_xes(pa.table({"case:concept:name": ["x"], "concept:name": ["a\x01b"]}), out)


XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"),
                                 blacklist_characters="\ufffe\uffff"), max_size=12)
KEYS = XML_TEXT.filter(lambda k: k not in ("", "concept:name", "__row")
                       and not k.startswith("case:"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["c1", "c&2", "c<3>"]), XML_TEXT, XML_TEXT),
                min_size=1, max_size=12), KEYS)
def test_write_then_read_keeps_any_text(rows: list[tuple[str, str, str]], key: str) -> None:
    cases, activities, notes = (list(column) for column in zip(*rows, strict=True))
    table = pa.table({"case:concept:name": cases, "concept:name": activities, key: notes})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "prop.xes"
        write_xes(table, out)
        back = read_xes(out).to_pydict()
    order = sorted(range(len(rows)), key=lambda i: cases.index(cases[i]))
    assert back["case:concept:name"] == [cases[i] for i in order]
    assert back["concept:name"] == [activities[i] for i in order]
    assert back[key] == [notes[i] for i in order]
