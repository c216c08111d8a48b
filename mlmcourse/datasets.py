"""The course data sets, shipped with the package so that a downloaded notebook works anywhere."""
from difflib import get_close_matches
from pathlib import Path

import pandas as pd

# In an installed wheel the CSV files sit in ``mlmcourse/data``; in a checkout, in ``data/``.
_PACKAGED = Path(__file__).parent / "data"
DATA_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).parents[1] / "data"

_DATASETS = {
    "bacteria": (
        "H. influenzae in children with otitis media: 220 checks of 50 children in a drug trial",
        {"ID": str, "trt": pd.CategoricalDtype(["placebo", "drug", "drug+"])},
    ),
    "bdf": (
        "Dutch language scores: 2,287 pupils in grade 8 of 131 schools, with verbal IQ",
        {"school": str},
    ),
    "cbpp": (
        "Bovine pleuropneumonia: new cases out of herd size in 15 herds over 4 periods",
        {"herd": str, "period": str},
    ),
    "chickweight": (
        "Chick growth: body weight of 50 chicks on four diets, measured up to 12 times in 21 days",
        {"Chick": str, "Diet": str},
    ),
    "contraception": (
        "Contraception in Bangladesh: use by 1,934 women in 60 districts",
        {"woman": str, "district": str, "livch": str},
    ),
    "egsingle": (
        "Mathematics growth: test scores of 1,721 children in 60 schools over up to six years",
        {"child": str, "school": str},
    ),
    "epil": (
        "Epileptic seizures: counts in four two-week periods for 59 patients",
        {"subject": str},
    ),
    "exam": (
        "Inner London exams: exam scores of 4,059 students in 65 schools, with intake test scores",
        {"school": str},
    ),
    "gcsemv": (
        "GCSE science: coursework and written-paper scores of 1,905 students in 73 schools",
        {"school": str, "student": str},
    ),
    "grouseticks": (
        "Grouse ticks: tick counts on 403 red grouse chicks in 118 broods at 63 locations",
        {"INDEX": str, "BROOD": str, "YEAR": str, "LOCATION": str},
    ),
    "guimmun": (
        "Immunization in Guatemala: 2,159 children of 1,595 mothers in 161 communities",
        {"kid": str, "mom": str, "comm": str},
    ),
    "hsb": (
        "High School and Beyond: math achievement of 7,185 students in 160 schools",
        {"school": str},
    ),
    "insteval": (
        "Lecture evaluations: 73,421 ratings of 1,128 lecturers by 2,972 students (crossed)",
        {"s": str, "d": str, "dept": str},
    ),
    "orthodont": (
        "Orthodontic growth: a skull distance of 27 children measured at ages 8, 10, 12 and 14",
        {"Subject": str},
    ),
    "oxboys": (
        "Oxford boys: heights of 26 boys measured on nine occasions around age 12",
        {"Subject": str},
    ),
    "pastes": (
        "Paste strength: 60 assays of samples from casks nested in 10 batches",
        {"batch": str, "cask": str, "sample": str},
    ),
    "radon": (
        "Minnesota radon: log radon in 919 homes in 85 counties, by floor and county uranium",
        {"county": str},
    ),
    "scotssec": (
        "Scottish schools: attainment at 16 of 3,435 students from 148 primary schools",
        {"primary": str, "second": str},
    ),
    "sleepstudy": (
        "Sleep deprivation: reaction times of 18 subjects over 10 days",
        {"Subject": str},
    ),
    "verbagg": (
        "Verbal aggression: 24 yes/no item responses of each of 316 people (crossed)",
        {"id": str},
    ),
}


def list_datasets():
    """Describe the course data sets.

    Returns
    -------
    pandas.DataFrame
        One row per data set: its name, rows, columns and a description.

    Examples
    --------
    >>> import mlmcourse
    >>> mlmcourse.list_datasets()["name"].tolist()
    ['bacteria', 'bdf', 'cbpp', 'chickweight', 'contraception', 'egsingle', 'epil', 'exam',
     'gcsemv', 'grouseticks', 'guimmun', 'hsb', 'insteval', 'orthodont', 'oxboys', 'pastes',
     'radon', 'scotssec', 'sleepstudy', 'verbagg']
    """
    rows = []
    for name, (description, _) in sorted(_DATASETS.items()):
        data = load_dataset(name)
        rows.append({"name": name, "rows": len(data), "columns": data.shape[1],
                     "description": description})
    return pd.DataFrame(rows)


def load_dataset(name):
    """Load a course data set as a tidy DataFrame.

    Parameters
    ----------
    name : str
        One of the names that :func:`list_datasets` gives.

    Returns
    -------
    pandas.DataFrame
        One row per observation; grouping columns hold strings. A treatment whose reference
        level is not the first in alphabetical order (``bacteria``'s ``trt``) loads as
        categories in the order of its R source, placebo first.

    Examples
    --------
    >>> import mlmcourse
    >>> radon = mlmcourse.load_dataset("radon")
    >>> radon.shape
    (919, 5)
    """
    if name not in _DATASETS:
        close = get_close_matches(str(name), _DATASETS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown data set {name!r}.{hint} "
                         f"Known data sets: {', '.join(sorted(_DATASETS))}.")
    _, dtypes = _DATASETS[name]
    return pd.read_csv(DATA_DIR / f"{name}.csv", dtype=dtypes)
