import json

import pytest

from wewall.data.stations import parse_hh_metro, read_hh_metro


def _line(line_id, name, stations):
    return {
        "id": line_id,
        "name": name,
        "hex_color": "FF0000",
        "stations": [
            {"id": f"{line_id}.{i}", "name": n, "lat": lat, "lng": lng, "order": i}
            for i, (n, lat, lng) in enumerate(stations)
        ],
    }


def _hh(*lines, city_id="1"):
    return [{"id": "2", "name": "Санкт-Петербург", "lines": []}, {"id": city_id, "name": "Москва", "lines": list(lines)}]


STRAIGHT = [("А", 55.70, 37.60), ("Б", 55.71, 37.60), ("В", 55.72, 37.60), ("Г", 55.73, 37.60)]


def test_transfer_station_merged_with_its_lines():
    data = _hh(
        _line("1", "Первая", [("Киевская", 55.7432, 37.5656), ("Смоленская", 55.7477, 37.5833)]),
        _line("2", "Вторая", [("Киевская ", 55.7440, 37.5660), ("Парк Победы", 55.7363, 37.5166)]),
    )
    result = parse_hh_metro(data)
    kiev = next(s for s in result.stations if s["name"] == "Киевская")
    assert [line["name"] for line in kiev["lines"]] == ["Первая", "Вторая"]
    assert kiev["lat"] == pytest.approx(55.7436) and kiev["location"]["coordinates"][0] == pytest.approx(37.5658)
    assert len(result.stations) == 3 and result.entries == 4


def test_names_normalised_but_displayed_as_written():
    result = parse_hh_metro(_hh(_line("1", "Л", [("Библиотека им.Ленина", 55.75, 37.61), ("Филёвский  парк", 55.74, 37.48)])))
    names = {s["name_key"]: s["name"] for s in result.stations}
    assert names == {"библиотека им. ленина": "Библиотека им. Ленина", "филевский парк": "Филёвский парк"}


def test_coordinates_outside_moscow_refused_but_station_kept():
    result = parse_hh_metro(_hh(_line("1", "Л", STRAIGHT + [("Далёкая", 55.74, 39.48)])))
    assert [r.name for r in result.refused] == ["Далёкая"]
    assert "вне Москвы" in result.refused[0].reason
    far = next(s for s in result.stations if s["name"] == "Далёкая")
    assert far["location"] is None and far["lat"] is None


def test_station_far_from_both_neighbours_refused():
    line = STRAIGHT[:2] + [("Скачок", 55.715, 37.95)] + STRAIGHT[2:]
    result = parse_hh_metro(_hh(_line("1", "Л", line)))
    assert [r.name for r in result.refused] == ["Скачок"]
    assert "км от соседних" in result.refused[0].reason


def test_terminal_station_near_its_neighbour_is_accepted():
    result = parse_hh_metro(_hh(_line("1", "Л", STRAIGHT)))
    assert result.refused == [] and all(s["location"] for s in result.stations)


def test_file_without_moscow_is_a_clear_error(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_hh(city_id="99")), encoding="utf-8")
    with pytest.raises(ValueError, match="нет Москвы"):
        read_hh_metro(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="это не JSON"):
        read_hh_metro(path)


def test_real_hh_file(hh_metro_path):
    result = read_hh_metro(hh_metro_path)
    assert len(result.stations) == 296 and result.entries == 364 and result.lines == 19
    refused = {r.name for r in result.refused}
    # ../shared/data/README.md names these two; the neighbour rule may find more, never fewer.
    assert {"Народное Ополчение", "Терехово"} <= refused
    assert len({s["name_key"] for s in result.stations}) == 296
    butyrskaya = next(s for s in result.stations if s["name_key"] == "бутырская")
    assert butyrskaya["name"] == "Бутырская"
