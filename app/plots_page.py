"""Write `.dvc/plots.html`, the page `dvc plots show` and `dvc plots diff` fill, with Vega inlined.

In:  the Vega, Vega-Lite and Vega-Embed libraries as bundled by the `vl-convert-python` package
     (`pip install vl-convert-python`; needed only to rewrite this file, not to use it).
Out: `.dvc/plots.html`, committed, which `.dvc/config` names as DVC's `plots.html_template`. DVC's
     own page loads these libraries from a CDN, so its plots are blank offline; this one has no
     `{scripts}` placeholder, so DVC adds no remote script to it. Run: `python -m app.plots_page`.
"""
from pathlib import Path

VEGA_LITE = "v5.21"   # DVC's plot templates are Vega-Lite 5 specs
PAGE = Path(__file__).resolve().parent.parent / ".dvc" / "plots.html"

TEMPLATE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC Plot</title>
    <!-- Vega %(version)s libraries inlined (BSD-3-Clause, https://vega.github.io), written by
         `python -m app.plots_page`: the plots render with no network. -->
    <script type="text/javascript">
%(bundle)s
    </script>
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def main() -> None:
    import vl_convert

    bundle = vl_convert.javascript_bundle(vl_version=VEGA_LITE)
    if "</script" in bundle.lower():
        raise SystemExit("plots_page: the bundle contains '</script', which would end the inline script early")
    PAGE.write_text(TEMPLATE % {"bundle": bundle, "version": f"(Vega-Lite {VEGA_LITE}, via vl-convert {vl_convert.__version__})"},
                    encoding="utf-8")
    print(f"wrote {PAGE} ({PAGE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
