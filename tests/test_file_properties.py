"""Property tests: no space, prior, observed or posterior file makes a loader raise anything but one line.

Like the scenario files' test in test_config.py: Hypothesis writes arbitrary TOML (random
tables, keys, types and nesting, NaN/inf, huge numbers, unicode) and arbitrary CSV, and each
file is read with the loader the command line uses: ``optimize --space`` (parse_space),
``calibrate --prior`` (load_prior, with and without choice priors), ``calibrate --observed``
(load_observed) and ``--uncertainty`` / ``--robust`` posterior.csv (load_draws). Each either
succeeds or raises a ValueError (a ScenarioError) whose message is one line.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.scenario.config import Config

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

# Names a loader knows (so the examples get past the first check often), among arbitrary text.
KNOWN_KEYS = [
    "organization.listening_coverage",
    "organization.headcount.marketing",
    "organization.model",
    "organization.hubs",
    "organization.shared_tool",
    "support.hop_loss.cross",
    "support.handling_minutes",
    "network.mean_degree",
    "customers.sentiment_mean",
    "content.guidelines",
    "detection_rate",
    "resolution_rate",
    "crisis_containment_h",
    "net_share_of_voice",
    "engagement_rate_pct",
    "weight",
    "distance",
]
WORDS = ["uniform", "loguniform", "normal", "lognormal", "choice", "reason", "value", "sd"]
WORDS += ["range", "choices", "log", "step", "space", "prior", "observed"]

keys = st.one_of(st.sampled_from(KNOWN_KEYS + WORDS), st.text(max_size=12))
numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 1e300, -1e300, 5e-324, 2.0, 20]),
)
scalars = st.one_of(numbers, st.text(max_size=12), st.booleans(), st.sampled_from(["centralized", "x"]))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=10,
)
# a file's tables: {table name: {key: value}} (a table name a loader expects, often)
documents = st.dictionaries(
    st.one_of(st.sampled_from(["space", "prior", "observed"]), st.text(max_size=8)),
    st.one_of(st.dictionaries(keys, values, max_size=4), values),
    max_size=3,
)


# Files of each kind: mostly its own table with entries shaped like its own (to get past the first
# checks), sometimes any document at all.
plain = st.one_of(st.floats(min_value=-2, max_value=30), st.integers(min_value=-2, max_value=30), numbers)
args = st.one_of(st.lists(plain, min_size=2, max_size=2), st.lists(st.one_of(plain, scalars), max_size=4))
prior_entries = st.one_of(
    st.builds(
        lambda kind, a, reason: {kind: a, **reason},
        st.sampled_from(["uniform", "loguniform", "normal", "lognormal", "choice", "beta"]),
        args,
        st.one_of(st.just({}), st.dictionaries(st.just("reason"), scalars)),
    ),
    st.dictionaries(st.sampled_from(["uniform", "normal", "choice", "reason", "x"]), st.one_of(args, scalars)),
)
observed_entries = st.one_of(
    plain,
    st.builds(lambda v, sd: {"value": v, "sd": sd}, plain, plain),
    st.dictionaries(st.sampled_from(["value", "sd", "x"]), st.one_of(plain, scalars), max_size=3),
)
space_entries = st.one_of(
    st.builds(
        lambda kind, a, extra: {kind: a, **extra},
        st.sampled_from(["range", "choices"]),
        args,
        st.dictionaries(st.sampled_from(["log", "step"]), st.one_of(st.booleans(), plain), max_size=2),
    ),
    st.dictionaries(st.sampled_from(["range", "choices", "log", "step", "x"]), st.one_of(args, plain), max_size=3),
)


PARAMETERS = [k for k in KNOWN_KEYS if "." in k]
KPIS = [k for k in KNOWN_KEYS if "." not in k and k not in ("weight", "distance")]


def of_kind(table: str, entries, known: list[str]) -> st.SearchStrategy:  # noqa: ANN001
    """Mostly ``[table]`` with known keys and entries shaped like the kind's; one in five any document."""
    names = st.integers(0, 9).flatmap(lambda i: keys if i == 0 else st.sampled_from(known))
    shaped = st.integers(0, 4).flatmap(lambda i: values if i == 0 else entries)
    own = st.dictionaries(names, shaped, min_size=1, max_size=3).map(lambda t: {table: t})
    return st.integers(0, 4).flatmap(lambda i: documents if i == 0 else own)


def toml_key(key: str) -> str:
    return toml_string(key)


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value) -> str:  # noqa: ANN001
    """A value as TOML (inline tables and arrays; JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def toml_document(document: dict) -> str:
    lines = []
    for name, table in document.items():
        if isinstance(table, dict):
            lines.append(f"[{toml_key(name)}]")
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
        else:
            lines.insert(0, f"{toml_key(name)} = {toml_value(table)}")  # a top-level key, before any table
    return "\n".join(lines) + "\n"


def one_line_or_nothing(action) -> None:  # noqa: ANN001
    """``action()`` succeeds, or raises a ValueError (ScenarioError) whose message is one line."""
    try:
        action()
    except ValueError as err:
        assert "\n" not in str(err) and str(err).strip(), repr(err)


def write(folder, name: str, text: str):  # noqa: ANN001, ANN201
    path = folder / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("files")


def test_no_space_file_raises_anything_but_one_line(folder):
    from simulation.studies.optimizer.problem import parse_space

    base = Config()

    @SETTINGS
    @given(document=of_kind("space", space_entries, PARAMETERS), raw=st.text(max_size=60))
    def check(document, raw):
        for text in (toml_document(document), raw):
            path = write(folder, "space.toml", text)
            one_line_or_nothing(lambda: parse_space(base, path))  # noqa: B023

    check()


def test_no_prior_file_raises_anything_but_one_line(folder):
    from simulation.scenario.priors import apply_draw, load_prior, sample_prior

    base = Config()

    def load_and_draw(path, choice: bool) -> None:  # noqa: ANN001
        priors = load_prior(path, choice=choice)
        draws = sample_prior(priors, 3, seed=0)  # a loaded prior draws...
        apply_draw(base, draws.iloc[0].to_dict())  # ... values its parameters take (or says why not)

    @SETTINGS
    @given(document=of_kind("prior", prior_entries, PARAMETERS), raw=st.text(max_size=60))
    def check(document, raw):
        for text in (toml_document(document), raw):
            path = write(folder, "prior.toml", text)
            for choice in (True, False):
                one_line_or_nothing(lambda: load_and_draw(path, choice))  # noqa: B023

    check()


def test_no_observed_file_raises_anything_but_one_line(folder):
    from simulation.studies.calibration import load_observed

    @SETTINGS
    @given(document=of_kind("observed", observed_entries, KPIS), raw=st.text(max_size=60))
    def check(document, raw):
        for text in (toml_document(document), raw):
            path = write(folder, "observed.toml", text)
            one_line_or_nothing(lambda: load_observed(path))  # noqa: B023

    check()


cells = st.one_of(
    numbers.map(str),
    st.text(max_size=8),
    st.sampled_from(["", "nan", "inf", "-inf", "1e400", '"', "0x10", "1,5", " 0.5 "]),
)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text

    return "\n".join(",".join(cell(c) for c in line) for line in [header, *rows]) + "\n"


def test_no_posterior_csv_raises_anything_but_one_line(folder):
    from simulation.scenario.priors import apply_draw, load_draws

    base = Config()

    def load_and_apply(path) -> None:  # noqa: ANN001
        whole = load_draws(path)  # --uncertainty posterior.csv given whole ...
        load_draws(path, 4, seed=1)  # ... or resampled by weight
        apply_draw(base, whole.iloc[0].to_dict())

    @SETTINGS
    @given(
        header=st.lists(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=10)), min_size=0, max_size=4),
        rows=st.lists(st.lists(cells, min_size=0, max_size=5), max_size=4),
        raw=st.text(max_size=60),
    )
    def check(header, rows, raw):
        for text in (csv_text(header, rows), raw):
            path = write(folder, "posterior.csv", text)
            one_line_or_nothing(lambda: load_and_apply(path))  # noqa: B023

    check()
