"""Sphinx extension: two fixes to the HTML that Jupyter Book 1 writes, found by the browser tests.

Loaded from `_config.yml` (`sphinx: local_extensions: {sphinx_html_fixes: scripts/}`).

1. Inline scripts written twice. Sphinx 7.4 registers an inline script that an extension adds
   after the builder has started (`app.add_js_file(None, body=...)`, as sphinx-thebe and
   sphinx-togglebutton do) once with the file name `None` and again with `''`, so every page
   declares `const THEBE_JS_URL` twice and the browser reports a SyntaxError. Each page keeps the
   first copy of every script.
2. Bibliography roles. Docutils marks each reference `role="doc-biblioentry"` inside a
   `role="list"`; DPUB-ARIA 1.1 deprecates that role and asks for `listitem` there, and axe-core
   reports the list as a critical violation (aria-required-children).
"""

DEPRECATED_ROLE = 'role="doc-biblioentry"'
LIST_ITEM_ROLE = 'role="listitem"'


def script_key(script):
    """What makes two page scripts the same script: file, priority and attributes."""
    filename = getattr(script, "filename", script) or ""
    attributes = sorted(getattr(script, "attributes", {}).items())
    return str(filename), getattr(script, "priority", 500), tuple(attributes)


def without_repeats(scripts):
    """The scripts in their order, each one once."""
    seen, kept = set(), []
    for script in scripts:
        key = script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def fix_page(app, pagename, templatename, context, doctree):
    """Write each script once and give bibliography entries the list-item role."""
    if "script_files" in context:
        context["script_files"] = without_repeats(context["script_files"])
    if DEPRECATED_ROLE in context.get("body", ""):
        context["body"] = context["body"].replace(DEPRECATED_ROLE, LIST_ITEM_ROLE)


def setup(app):
    app.connect("html-page-context", fix_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
