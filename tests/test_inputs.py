"""Input files (edge lists and org charts): every bad file is one clear ScenarioError naming the key and line."""

import pytest

from simulation import ScenarioError, build_config
from simulation.scenario.inputs import check_inputs, input_digests, read_edgelist, read_org_chart

EDGES = "source,target\n" + "\n".join(f"n{i},n{(i + 1) % 12}" for i in range(12)) + "\n"
CHART = "employee,department,manager\nana,marketing,\nbo,marketing,ana\ncy,it,\ndi,it,cy\n"

BAD_EDGES = {
    "not_utf8": (b"source,target\n\xff\xfe,x\n", "not UTF-8 text"),
    "huge_field": (("source,target\n" + "a" * 200_000 + ",b\n").encode(), "line 2: not valid CSV (field larger"),
    "long_name": (("source,target\n" + "a" * 5000 + ",b\n").encode(), "line 2: a field of 5000 characters"),
    "short_row": (b"source,target\n1\n", "line 2: expected source,target"),
    "empty_name": (b"source,target\n,b\n", "line 2: empty node name"),
    "too_few_nodes": (b"a,b\nb,c\n", "at least 10 needed"),
}

BAD_CHARTS = {
    "not_utf8": (b"employee,department,manager\n\xe9va,it,\n", "not UTF-8 text"),
    "huge_field": (("employee,department,manager\n" + "x" * 200_000 + ",it,\n").encode(), "line 2: not valid CSV"),
    "short_row": (b"employee,department,manager\nana,it\n", "line 2: expected 3 columns, found 2"),
    "missing_column": (b"employee,dept,manager\nana,it,\n", "missing column(s) department"),
    "empty_employee": (b"employee,department,manager\n,it,\n", "line 2: empty employee name"),
    "empty_department": (b"employee,department,manager\nana,,\n", "line 2: empty department for 'ana'"),
    "agency": (b"employee,department,manager\nana,agency,\n", "department 'agency' is reserved"),
    "self_manager": (b"employee,department,manager\nana,it,ana\n", "'ana' is their own manager"),
    "cycle": (b"employee,department,manager\nana,it,bo\nbo,it,cy\ncy,it,ana\n", "managers form a cycle"),
    "duplicate": (b"employee,department,manager\nana,it,\nana,pr,\n", "already listed on line 2"),
    "unknown_manager": (b"employee,department,manager\nana,it,zed\n", "unknown manager 'zed'"),
    "no_employees": (b"employee,department,manager\n", "no employees"),
}


@pytest.mark.parametrize("case", sorted(BAD_EDGES))
def test_bad_edge_lists_name_the_key_and_line(tmp_path, case):
    data, expected = BAD_EDGES[case]
    path = tmp_path / "g.csv"
    path.write_bytes(data)
    with pytest.raises(ScenarioError, match="network.path") as err:
        read_edgelist(path)
    assert expected in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("case", sorted(BAD_CHARTS))
def test_bad_org_charts_name_the_key_and_line(tmp_path, case):
    data, expected = BAD_CHARTS[case]
    path = tmp_path / "org.csv"
    path.write_bytes(data)
    with pytest.raises(ScenarioError, match="organization.org_chart") as err:
        read_org_chart(path)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_a_utf8_bom_is_read_like_excel_writes_it(tmp_path):
    chart = tmp_path / "org.csv"
    chart.write_bytes(b"\xef\xbb\xbf" + CHART.encode())
    read = read_org_chart(chart)
    assert read.employees == ["ana", "bo", "cy", "di"] and read.departments[0] == "marketing"
    assert read.managers == {"bo": "ana", "di": "cy"}
    edges = tmp_path / "g.csv"
    edges.write_bytes(b"\xef\xbb\xbf" + EDGES.encode())
    assert read_edgelist(edges).number_of_nodes() == 12


def test_digests_follow_the_contents(tmp_path):
    edges = tmp_path / "g.csv"
    edges.write_text(EDGES)
    config = build_config({"network": {"kind": "edgelist", "path": str(edges)}})
    check_inputs(config)
    first = input_digests(config)
    assert set(first) == {"network.path"} and len(first["network.path"]) == 64
    edges.write_text(EDGES + "n0,n5\n")
    assert input_digests(config) != first
    assert input_digests(build_config({})) == {}


def test_check_inputs_names_a_department_missing_from_the_chart(tmp_path):
    chart = tmp_path / "org.csv"
    chart.write_text(CHART)
    config = build_config({"organization": {"org_chart": str(chart), "posters": ["marketing"]}})
    with pytest.raises(ScenarioError, match="support.owners.product_question: 'sales' is not a department in the org"):
        check_inputs(config)
