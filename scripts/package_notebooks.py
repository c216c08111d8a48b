"""One archive with every chapter notebook, the data and the helper package, for offline classes.

    python scripts/package_notebooks.py [OUT.zip]     # default: mlmcourse-notebooks.zip

The book build also writes it, as a Sphinx extension loaded from `_config.yml`
(`sphinx: local_extensions: {package_notebooks: scripts/}`), to `_downloads/mlmcourse-notebooks.zip`
in the built HTML, where the introduction links to it.

Inside, everything sits in one folder: the notebooks at its top, next to `mlmcourse/` (the helper
package) and `data/`, so that a notebook opened there imports the package and finds the data with
no installation and no network (numpy, pandas, statsmodels, matplotlib and seaborn must be
installed). The archive is reproducible: files in sorted order with a fixed timestamp.
"""
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE_NAME = "mlmcourse-notebooks.zip"
FOLDER = "mlmcourse-notebooks"
DOWNLOADS = "_downloads"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)

README = """\
Multilevel Models with Python: the chapter notebooks, offline
=============================================================

Open the notebooks in this folder with Jupyter (`jupyter lab` or `jupyter notebook`, started in
this folder). The helper package (mlmcourse/) and the data sets (data/) are here too, so nothing
needs to be downloaded; you need Python 3.10 or newer with numpy, pandas, scipy, statsmodels,
matplotlib and seaborn installed. Each data set's source and licence are in data/README.md.
Text CC BY 4.0 (LICENSE-CONTENT), code MIT (LICENSE).
"""


def archive_members(root=ROOT):
    """Map each archive path to the file it comes from: notebooks, package, data and licences."""
    members = {f"{FOLDER}/{path.name}": path for path in sorted((root / "chapters").glob("*.ipynb"))}
    for folder in ("mlmcourse", "data"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                members[f"{FOLDER}/{path.relative_to(root).as_posix()}"] = path
    for name in ("LICENSE", "LICENSE-CONTENT"):
        members[f"{FOLDER}/{name}"] = root / name
    return members


def write_archive(out, root=ROOT):
    """Write the archive to `out` and return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(f"{FOLDER}/README.txt", FIXED_TIME), README)
        for name, path in archive_members(root).items():
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return out


def add_archive_to_html(app, exception):
    """After a successful HTML build, write the archive where the introduction links to it."""
    if exception is None and app.builder.format == "html":
        write_archive(Path(app.outdir) / DOWNLOADS / ARCHIVE_NAME)


def setup(app):
    app.connect("build-finished", add_archive_to_html)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    target = write_archive(sys.argv[1] if len(sys.argv) > 1 else ARCHIVE_NAME)
    print(f"wrote {target}")
