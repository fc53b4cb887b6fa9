import pytest

from wewall.data.coeffs import DEMO_COEFFS, RangeTableError, lookup, read_coeffs_file, validate_rows

SQ = "square_coeffs"
WAY = "way_to_subway_coeffs"


def rows(*triples):
    return [{"min_square": a, "max_square": b, "coeff": c} for a, b, c in triples]


def test_demo_tables_are_valid():
    for table, table_rows in DEMO_COEFFS.items():
        assert validate_rows(table, table_rows)


def test_gap_names_both_rows():
    with pytest.raises(RangeTableError, match=r"пропуск между строкой 1 \(до 100\) и строкой 2 \(от 150\)"):
        validate_rows(SQ, rows((0, 100, 1.1), (150, 300, 1.0)))


def test_overlap_names_both_rows_even_unsorted():
    with pytest.raises(RangeTableError, match=r"строки 2 \(0–200\) и 1 \(100–300\) перекрываются"):
        validate_rows(SQ, rows((100, 300, 1.0), (0, 200, 1.1)))


@pytest.mark.parametrize(
    "bad,message",
    [
        ([{"min_square": 0, "coeff": 1}], "нет поля 'max_square'"),
        (rows((0, "много", 1)), "должны быть числами"),
        (rows((100, 50, 1)), "пуст или отрицателен"),
        (rows((0, 50, 0)), r"вне \(0; 10\]"),
        ([], "таблица пуста"),
    ],
)
def test_bad_rows(bad, message):
    with pytest.raises(RangeTableError, match=message):
        validate_rows(SQ, bad)


def test_lookup_bounds_and_outside():
    table = validate_rows(WAY, DEMO_COEFFS[WAY])
    assert lookup(WAY, table, 0) == 1.10
    assert lookup(WAY, table, 300) == 1.10
    assert lookup(WAY, table, 300.01) == 1.00
    with pytest.raises(RangeTableError, match="вне таблицы"):
        lookup(WAY, table, 1e7)


def test_read_csv_detects_table_by_header(tmp_path):
    path = tmp_path / "way.csv"
    path.write_text("min_distance,max_distance,coeff\n0,500,1.1\n500,3000,0.9\n", encoding="utf-8")
    assert read_coeffs_file(path) == {WAY: [
        {"min_distance": 0.0, "max_distance": 500.0, "coeff": 1.1},
        {"min_distance": 500.0, "max_distance": 3000.0, "coeff": 0.9},
    ]}
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(RangeTableError, match="не понимаю таблицу"):
        read_coeffs_file(path)


def test_read_json_validates_each_table(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"square_coeffs": [{"min_square": 0, "max_square": 10, "coeff": 1}], "foo": []}', encoding="utf-8")
    with pytest.raises(RangeTableError, match="неизвестная таблица «foo»"):
        read_coeffs_file(path)
